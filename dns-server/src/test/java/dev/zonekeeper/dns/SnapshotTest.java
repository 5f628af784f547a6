package dev.zonekeeper.dns;

import static dev.zonekeeper.dns.testing.Loopback.loopback;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.testing.Closer;
import dev.zonekeeper.dns.testing.ServerProcess;
import dev.zonekeeper.dns.transfer.PrimaryZones;
import dev.zonekeeper.dns.transfer.TransferServer;
import dev.zonekeeper.dns.transfer.TsigKeyFile;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.testing.DnsClients;
import dev.zonekeeper.testing.DnsClients.Reply;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;

/**
 * Last-known zones ({@code --snapshot-dir}): the sidecar as a real child process, killed with SIGKILL (as the OOM
 * killer does) and started again on the same directory (the chart's emptyDir), against the operator's primary
 * ({@link PrimaryZones} + {@link TransferServer}) in this JVM, which is stopped to play an operator or API server
 * outage. Every check is over real sockets: dig, {@code /ready}, {@code /metrics}.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class SnapshotTest {
    private static final String KEY_TEXT =
            "zonekeeper-transfer:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXM=";
    private static final String OTHER_KEY_TEXT =
            "zonekeeper-transfer:hmac-sha256:YW5vdGhlci1zZWNyZXQtYW5vdGhlci1zZWNyZXQtMzI=";
    private static final TSIG KEY = TsigKeyFile.parse(KEY_TEXT);
    private static final Name ORIGIN = Name.fromConstantString("example.test.");
    private static final String ZONE = "zone=\"example.test.\"";

    @TempDir
    Path tmp;

    private final Closer closer = new Closer();
    private final PrimaryZones zones = new PrimaryZones();
    private TransferServer primary;
    private int primaryPort;
    private int runs;

    @AfterEach
    void tearDown() throws Exception {
        closer.close();
    }

    private static Zone zone(long serial, String... body) {
        StringBuilder sb = new StringBuilder("$TTL 300\n@ 3600 IN SOA ns1.example.test. hostmaster.example.test. "
                + serial + " 3600 600 86400 30\n@ IN NS ns1\nns1 IN A 192.0.2.1\n");
        for (String line : body) {
            sb.append(line).append('\n');
        }
        return Zone.parse(ORIGIN, sb.toString());
    }

    private void startPrimary() throws IOException {
        primary = TransferServer.start(loopback(primaryPort), zones, KEY);
        primaryPort = primary.address().getPort();
    }

    private Path keyFile(String text) throws IOException {
        Path file = Files.createTempFile(tmp, "tsig", ".key");
        Files.writeString(file, text + "\n", StandardCharsets.UTF_8);
        return file;
    }

    private ServerProcess sidecar(Path snapshots, String keyText, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of(
                "--primary",
                "127.0.0.1:" + primaryPort,
                "--tsig-key-file",
                keyFile(keyText).toString(),
                "--notify-listen",
                "127.0.0.1:0",
                "--zone",
                "example.test",
                "--upstream",
                "none",
                "--udp-sockets",
                "1",
                "--snapshot-dir",
                snapshots.toString()));
        args.addAll(Arrays.asList(extra));
        return closer.add(
                ServerProcess.start(tmp.resolve("sidecar-" + (++runs) + ".log"), args.toArray(new String[0])));
    }

    private static Path snapshotFile(Path dir) {
        return dir.resolve("example.test.snapshot");
    }

    /** The serial in the snapshot file's header, or -1 while there is none. */
    private static long snapshotSerial(Path dir) throws IOException {
        Path f = snapshotFile(dir);
        if (!Files.exists(f)) {
            return -1;
        }
        byte[] head = Arrays.copyOf(Files.readAllBytes(f), 512);
        for (String line : new String(head, StandardCharsets.US_ASCII).split("\n")) {
            if (line.startsWith("serial ")) {
                return Long.parseLong(line.substring(7));
            }
        }
        return -1;
    }

    private static List<String> addresses(InetSocketAddress dns, String name) {
        Reply r = DnsClients.dig(dns, name, "A");
        List<String> out = new ArrayList<>();
        for (String a : r.answer()) {
            String[] fields = a.split("\\s+");
            out.add(fields[fields.length - 1]);
        }
        return out;
    }

    /**
     * Sidecar killed, then started again while the primary is down: it answers from its snapshot at once, ready,
     * saying so on /ready and in the metrics. When the primary comes back with a newer zone, the sidecar asks for the
     * changes since the snapshot's serial (an incremental IXFR, which the primary can only answer for that serial).
     */
    @Test
    void aSidecarRestartedWithThePrimaryDownServesItsSnapshotThenCatchesUpByIxfr() throws Exception {
        Path snapshots = tmp.resolve("snapshots");
        startPrimary();
        long s1 = zones.put(zone(10, "www IN A 192.0.2.10"));
        ServerProcess first = sidecar(snapshots, KEY_TEXT);
        await().atMost(Duration.ofSeconds(60)).until(() -> snapshotSerial(snapshots) == s1);
        assertThat(addresses(first.dns(), "www.example.test")).containsExactly("192.0.2.10");
        first.kill();

        // The operator (or the API server behind it) is down, and the sidecar restarts.
        primary.close();
        long axfrsBefore = primary.stats().axfr();
        ServerProcess second = sidecar(snapshots, KEY_TEXT);
        Reply fromSnapshot = DnsClients.dig(second.dns(), "www.example.test", "A");
        assertThat(fromSnapshot.rcode()).as(second.log()).isEqualTo("NOERROR");
        assertThat(fromSnapshot.aa()).isTrue();
        assertThat(addresses(second.dns(), "www.example.test")).containsExactly("192.0.2.10");
        assertThat(DnsClients.dig(second.dns(), "missing.example.test", "A").rcode())
                .isEqualTo("NXDOMAIN");
        HttpResponse<String> ready = second.get("/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("serial " + s1).contains("from snapshot");
        assertThat(second.metric("zonekeeper_dns_zone_from_snapshot", ZONE)).isEqualTo(1.0);
        assertThat(second.metric("zonekeeper_dns_zone_snapshot_age_seconds", ZONE))
                .isGreaterThanOrEqualTo(0.0);
        assertThat((long) second.metric("zonekeeper_dns_zone_serial", ZONE)).isEqualTo(s1);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> second.metric("zonekeeper_dns_transfer_failures_total", ZONE) >= 1);
        assertThat(addresses(second.dns(), "www.example.test"))
                .as("still served with the primary away")
                .containsExactly("192.0.2.10");

        // The primary returns with a change made meanwhile (journaled from serial 10).
        long s2 = zones.put(zone(11, "www IN A 192.0.2.11", "new IN A 192.0.2.12"));
        assertThat(s2).isNotEqualTo(s1);
        TransferServer before = primary;
        startPrimary();
        closer.add(primary);
        await().atMost(Duration.ofSeconds(120))
                .until(() -> addresses(second.dns(), "new.example.test").equals(List.of("192.0.2.12")));
        assertThat(addresses(second.dns(), "www.example.test")).containsExactly("192.0.2.11");
        assertThat(primary.stats().ixfr())
                .as("an incremental IXFR from the snapshot's serial")
                .isEqualTo(1);
        assertThat(primary.stats().axfr()).as("no AXFR").isZero();
        assertThat(primary.stats().ixfrAsAxfr()).as("not the whole zone").isZero();
        assertThat(second.metric("zonekeeper_dns_transfers_total", "kind=\"IXFR\"," + ZONE))
                .isEqualTo(1.0);
        assertThat(second.metric("zonekeeper_dns_transfers_total", "kind=\"AXFR\"," + ZONE))
                .isEqualTo(0.0);
        assertThat(second.metric("zonekeeper_dns_zone_from_snapshot", ZONE)).isEqualTo(0.0);
        assertThat(second.get("/ready").body()).contains("serial " + s2).doesNotContain("snapshot");
        await().atMost(Duration.ofSeconds(60)).until(() -> snapshotSerial(snapshots) == s2);
        assertThat(before.stats().axfr()).isEqualTo(axfrsBefore);
    }

    /** A valid snapshot, written by a sidecar of the primary (which is then stopped). */
    private Path validSnapshot() throws Exception {
        Path snapshots = tmp.resolve("valid");
        startPrimary();
        long serial = zones.put(zone(10, "www IN A 192.0.2.10"));
        ServerProcess writer = sidecar(snapshots, KEY_TEXT);
        await().atMost(Duration.ofSeconds(60)).until(() -> snapshotSerial(snapshots) == serial);
        writer.kill();
        primary.close();
        return snapshotFile(snapshots);
    }

    /** A sidecar started on {@code dir} with the primary down refuses its snapshot for {@code reason}, and lives. */
    private void refused(Path dir, String reason, String keyText, String... extra) throws Exception {
        ServerProcess s = sidecar(dir, keyText, extra);
        assertThat(s.metric("zonekeeper_dns_zone_snapshots_refused_total", "reason=\"" + reason + "\"," + ZONE))
                .as(s.log())
                .isEqualTo(1.0);
        assertThat(s.logLines()).anyMatch(l -> l.contains(" WARN ") && l.contains("refused (" + reason + ")"));
        Reply r = DnsClients.dig(s.dns(), "www.example.test", "A");
        assertThat(r.rcode()).as("nothing served from a refused snapshot").isEqualTo("SERVFAIL");
        assertThat(s.get("/ready").statusCode()).isEqualTo(503);
        assertThat(s.metric("zonekeeper_dns_zone_from_snapshot", ZONE)).isEqualTo(0.0);
        assertThat(s.alive()).isTrue();
        s.kill();
    }

    private Path dirWith(String name, byte[] content) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.write(snapshotFile(dir), content);
        return dir;
    }

    @Test
    void corruptTruncatedForeignOversizedOrExpiredSnapshotsAreRefused() throws Exception {
        byte[] valid = Files.readAllBytes(validSnapshot());

        byte[] flipped = valid.clone();
        flipped[valid.length - 90] ^= 0x01; // in the last record, before the trailer
        refused(dirWith("corrupt", flipped), "corrupt", KEY_TEXT);

        refused(dirWith("truncated", Arrays.copyOf(valid, valid.length / 2)), "truncated", KEY_TEXT);

        byte[] garbage = new byte[4096];
        new java.util.Random(7).nextBytes(garbage);
        refused(dirWith("garbage", garbage), "corrupt", KEY_TEXT);

        // Another cluster's (or key's) snapshot: intact, but not ours.
        refused(dirWith("foreign", valid), "foreign", OTHER_KEY_TEXT);

        byte[] huge = Arrays.copyOf(valid, (32 << 20) + 1);
        refused(dirWith("huge", huge), "too_large", KEY_TEXT);

        Path old = dirWith("expired", valid);
        Files.setLastModifiedTime(snapshotFile(old), FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        refused(old, "expired", KEY_TEXT, "--snapshot-max-age", "3600");

        // The same bytes, fresh, are served: the refusals above are the file's faults, not the test's.
        ServerProcess ok = sidecar(dirWith("fresh", valid), KEY_TEXT);
        assertThat(addresses(ok.dns(), "www.example.test")).as(ok.log()).containsExactly("192.0.2.10");
    }

    /**
     * A snapshot served while the primary stays away stops being served once the primary has not confirmed it for
     * longer than --snapshot-max-age: from then on SERVFAIL and not ready, as before any transfer.
     */
    @Test
    void aSnapshotServedPastItsMaximumAgeStops() throws Exception {
        byte[] valid = Files.readAllBytes(validSnapshot());
        Path dir = dirWith("aging", valid);
        // confirmed 40 s ago, served up to 60 s: loaded at start, expired about 20 s later
        Files.setLastModifiedTime(snapshotFile(dir), FileTime.from(Instant.now().minus(Duration.ofSeconds(40))));
        ServerProcess s = sidecar(dir, KEY_TEXT, "--snapshot-max-age", "60");
        assertThat(addresses(s.dns(), "www.example.test")).as(s.log()).containsExactly("192.0.2.10");
        assertThat(s.get("/ready").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofSeconds(1))
                .until(() ->
                        DnsClients.dig(s.dns(), "www.example.test", "A").rcode().equals("SERVFAIL"));
        assertThat(s.get("/ready").statusCode()).isEqualTo(503);
        assertThat(s.metric("zonekeeper_dns_zone_from_snapshot", ZONE)).isEqualTo(0.0);
        assertThat(s.logLines()).anyMatch(l -> l.contains(" WARN ") && l.contains("--snapshot-max-age"));
        assertThat(s.alive()).isTrue();
    }

    /**
     * A primary that answers like a standard one (RFC 1995: an IXFR from a serial it is not behind gets the single
     * current SOA) and holds an older serial than the snapshot: an operator restarted with lower serials. The sidecar
     * must not take "nothing newer" as a confirmation of its snapshot, but the primary's zone.
     */
    @Test
    void aPrimaryBehindTheSnapshotsSerialIsTakenWhole() throws Exception {
        Zone primaryZone = zone(5, "www IN A 192.0.2.50");
        try (FakePrimary fake = new FakePrimary(primaryZone)) {
            Path dir = Files.createDirectories(tmp.resolve("behind"));
            try (dev.zonekeeper.dns.transfer.ZoneSnapshots writer = new dev.zonekeeper.dns.transfer.ZoneSnapshots(
                    dir,
                    "127.0.0.1:" + fake.port(),
                    dev.zonekeeper.dns.transfer.ZoneSnapshots.keyId(null),
                    Duration.ofDays(1),
                    1 << 20,
                    java.time.Clock.systemUTC(),
                    dev.zonekeeper.dns.transfer.ZoneSnapshots.Listener.NONE)) {
                writer.save(zone(1000, "www IN A 192.0.2.10"));
                writer.flush(Duration.ofSeconds(10));
            }
            assertThat(snapshotSerial(dir)).isEqualTo(1000);
            ServerProcess s = closer.add(ServerProcess.start(
                    tmp.resolve("behind.log"),
                    "--primary",
                    "127.0.0.1:" + fake.port(),
                    "--notify-listen",
                    "127.0.0.1:0",
                    "--zone",
                    "example.test",
                    "--upstream",
                    "none",
                    "--udp-sockets",
                    "1",
                    "--snapshot-dir",
                    dir.toString()));
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> addresses(s.dns(), "www.example.test").equals(List.of("192.0.2.50")));
            assertThat(fake.requests()).as(s.log()).startsWith("IXFR 1000").contains("AXFR");
            assertThat((long) s.metric("zonekeeper_dns_zone_serial", ZONE)).isEqualTo(5);
            assertThat(s.metric("zonekeeper_dns_zone_from_snapshot", ZONE)).isEqualTo(0.0);
            await().atMost(Duration.ofSeconds(60)).until(() -> snapshotSerial(dir) == 5);
        }
    }

    /** A minimal primary over TCP, without TSIG: IXFR gets the single current SOA, AXFR the zone. */
    private static final class FakePrimary implements AutoCloseable {
        private final java.net.ServerSocket server =
                new java.net.ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress());
        private final Zone zone;
        private final List<String> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final Thread thread;

        FakePrimary(Zone zone) throws IOException {
            this.zone = zone;
            thread = new Thread(this::serve, "fake-primary");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        List<String> requests() {
            return List.copyOf(requests);
        }

        private void serve() {
            while (!server.isClosed()) {
                try (java.net.Socket s = server.accept()) {
                    java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
                    java.io.DataOutputStream out = new java.io.DataOutputStream(s.getOutputStream());
                    while (true) {
                        byte[] q = new byte[in.readUnsignedShort()];
                        in.readFully(q);
                        org.xbill.DNS.Message query = new org.xbill.DNS.Message(q);
                        org.xbill.DNS.Message reply =
                                new org.xbill.DNS.Message(query.getHeader().getID());
                        reply.getHeader().setFlag(org.xbill.DNS.Flags.QR);
                        reply.getHeader().setFlag(org.xbill.DNS.Flags.AA);
                        reply.addRecord(query.getQuestion(), org.xbill.DNS.Section.QUESTION);
                        if (query.getQuestion().getType() == org.xbill.DNS.Type.IXFR) {
                            long serial = ((org.xbill.DNS.SOARecord) query.getSection(org.xbill.DNS.Section.AUTHORITY)
                                            .get(0))
                                    .getSerial();
                            requests.add("IXFR " + serial);
                            reply.addRecord(zone.soa(), org.xbill.DNS.Section.ANSWER);
                        } else {
                            requests.add("AXFR");
                            for (org.xbill.DNS.Record r : zone.records()) {
                                reply.addRecord(r, org.xbill.DNS.Section.ANSWER);
                            }
                            reply.addRecord(zone.soa(), org.xbill.DNS.Section.ANSWER);
                        }
                        byte[] wire = reply.toWire();
                        out.writeShort(wire.length);
                        out.write(wire);
                        out.flush();
                    }
                } catch (IOException e) {
                    // the client closed its connection, or the server is closed
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** After a refused snapshot the primary's zone is served and written over it. */
    @Test
    void aRefusedSnapshotIsReplacedByTheNextTransfer() throws Exception {
        startPrimary();
        long serial = zones.put(zone(20, "www IN A 192.0.2.20"));
        byte[] garbage = new byte[1000];
        new java.util.Random(3).nextBytes(garbage);
        Path dir = dirWith("replaced", garbage);
        ServerProcess s = sidecar(dir, KEY_TEXT);
        await().atMost(Duration.ofSeconds(60)).until(() -> snapshotSerial(dir) == serial);
        assertThat(addresses(s.dns(), "www.example.test")).containsExactly("192.0.2.20");
        assertThat(s.metric("zonekeeper_dns_zone_snapshots_refused_total", "reason=\"corrupt\"," + ZONE))
                .isEqualTo(1.0);
        closer.add(primary);
    }
}
