package dev.zonekeeper.dns.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.zone.Zone;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;

/** The snapshot file itself: what is written is what is read back, and the bounds hold on both sides. */
class ZoneSnapshotsTest {
    @TempDir
    Path dir;

    private final List<String> events = new ArrayList<>();

    private ZoneSnapshots snapshots(long maxBytes) {
        return new ZoneSnapshots(
                dir,
                "127.0.0.1:5300",
                ZoneSnapshots.keyId("k:hmac-sha256:c2VjcmV0"),
                Duration.ofHours(1),
                maxBytes,
                Clock.systemUTC(),
                new ZoneSnapshots.Listener() {
                    @Override
                    public void refused(Name zone, ZoneSnapshots.Refusal reason) {
                        events.add("refused " + zone + " " + reason.label());
                    }

                    @Override
                    public void written(Name zone, long serial) {
                        events.add("written " + zone + " " + serial);
                    }

                    @Override
                    public void writeFailed(Name zone) {
                        events.add("failed " + zone);
                    }
                });
    }

    private static Zone zone(String origin, String... body) {
        StringBuilder sb = new StringBuilder("$TTL 300\n@ 3600 IN SOA ns1 hostmaster 4242 3600 600 86400 30\n"
                + "@ IN NS ns1\nns1 IN A 192.0.2.1\n");
        for (String line : body) {
            sb.append(line).append('\n');
        }
        return Zone.parse(Name.fromConstantString(origin), sb.toString());
    }

    @Test
    void everyRecordTypeComesBackAsWritten() throws Exception {
        Zone zone = zone(
                "Example.TEST.",
                "WWW IN A 192.0.2.10",
                "www IN AAAA 2001:db8::10",
                "alias 60 IN CNAME www",
                "@ IN MX 10 mail",
                "txt IN TXT \"a \\\"quoted\\\" string\" \"\\000\\255 binary\"",
                "_http._tcp IN SRV 0 100 80 www",
                "@ IN CAA 0 issue \"ca.example\"",
                "10.0.0.192.in-addr IN PTR www",
                "sub IN NS ns.sub",
                "ns.sub IN A 192.0.2.53",
                "*.wild IN A 192.0.2.99",
                "opaque IN TYPE65280 \\# 3 010203",
                "sp\\032ace IN A 192.0.2.7");
        try (ZoneSnapshots s = snapshots(ZoneSnapshots.DEFAULT_MAX_BYTES)) {
            s.write(zone);
            ZoneSnapshots.Loaded loaded = s.load(zone.origin());
            assertThat(loaded).as(events.toString()).isNotNull();
            assertThat(loaded.zone().serial()).isEqualTo(4242);
            assertThat(new HashSet<>(loaded.zone().records())).isEqualTo(new HashSet<>(zone.records()));
            assertThat(loaded.zone().records()).hasSameSizeAs(zone.records());
        }
        assertThat(events).isEmpty();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .as("the snapshot only: no temporary file left")
                    .containsExactly("example.test.snapshot");
        }
    }

    @Test
    void anOddZoneNameGetsASafeFileName() throws Exception {
        Zone zone = zone("we\\/ird\\032zone.test.", "www IN A 192.0.2.10");
        try (ZoneSnapshots s = snapshots(ZoneSnapshots.DEFAULT_MAX_BYTES)) {
            assertThat(s.file(zone.origin()).getParent()).isEqualTo(dir);
            assertThat(s.file(zone.origin()).getFileName().toString()).matches("zone-[0-9a-f]{64}\\.snapshot");
            s.write(zone);
            assertThat(s.load(zone.origin()).zone().records()).hasSameSizeAs(zone.records());
        }
    }

    @Test
    void aZoneOverTheBoundIsNotWrittenAndTheOldSnapshotStays() throws Exception {
        Zone small = zone("example.test.", "www IN A 192.0.2.10");
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            many.add("host" + i + " IN A 192.0.2." + (i % 250));
        }
        Zone big = zone("example.test.", many.toArray(new String[0]));
        try (ZoneSnapshots s = snapshots(2_000)) {
            s.save(small);
            s.flush(Duration.ofSeconds(10));
            s.save(big);
            s.flush(Duration.ofSeconds(10));
            assertThat(events).containsExactly("written example.test. 4242", "failed example.test.");
            assertThat(s.load(big.origin()).zone().records()).hasSameSizeAs(small.records());
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.count()).as("no temporary file left").isEqualTo(1);
        }
    }

    /** A FIFO in the directory would block the start on its open; a symbolic link could point anywhere. */
    @Test
    void onlyARegularFileIsRead() throws Exception {
        Zone zone = zone("example.test.", "www IN A 192.0.2.10");
        try (ZoneSnapshots s = snapshots(ZoneSnapshots.DEFAULT_MAX_BYTES)) {
            Path elsewhere = dir.resolve("elsewhere");
            s.write(zone);
            Files.move(s.file(zone.origin()), elsewhere);
            Files.createSymbolicLink(s.file(zone.origin()), elsewhere);
            assertThat(s.load(zone.origin())).isNull();
            Files.delete(s.file(zone.origin()));
            Process mkfifo = new ProcessBuilder("mkfifo", s.file(zone.origin()).toString()).start();
            assertThat(mkfifo.waitFor()).isZero();
            assertThat(s.load(zone.origin())).isNull();
        }
        assertThat(events).containsExactly("refused example.test. unreadable", "refused example.test. unreadable");
    }

    @Test
    void aSnapshotOfAnotherPrimaryIsForeign() throws Exception {
        Zone zone = zone("example.test.", "www IN A 192.0.2.10");
        try (ZoneSnapshots s = snapshots(ZoneSnapshots.DEFAULT_MAX_BYTES)) {
            s.write(zone);
        }
        try (ZoneSnapshots other = new ZoneSnapshots(
                dir,
                "127.0.0.2:5300",
                ZoneSnapshots.keyId("k:hmac-sha256:c2VjcmV0"),
                Duration.ofHours(1),
                ZoneSnapshots.DEFAULT_MAX_BYTES,
                Clock.systemUTC(),
                new ZoneSnapshots.Listener() {
                    @Override
                    public void refused(Name z, ZoneSnapshots.Refusal reason) {
                        events.add("refused " + z + " " + reason.label());
                    }
                })) {
            assertThat(other.load(zone.origin())).isNull();
        }
        assertThat(events).containsExactly("refused example.test. foreign");
    }
}
