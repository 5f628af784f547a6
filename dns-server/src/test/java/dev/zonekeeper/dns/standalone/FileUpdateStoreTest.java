package dev.zonekeeper.dns.standalone;

import static dev.zonekeeper.dns.standalone.ManifestDirectoryTest.dnsRecord;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zonekeeper.dns.StandaloneZones;
import dev.zonekeeper.dns.update.ChangeSet;
import dev.zonekeeper.dns.update.ChangeSet.RRsetChange;
import dev.zonekeeper.dns.update.UpdatePolicy;
import dev.zonekeeper.dns.update.UpdateResult;
import dev.zonekeeper.dns.update.UpdateStore;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * The standalone update store on a real directory, watched and served as the server does it: what a commit writes is
 * served when it returns, is a DnsRecord file under {@code updates/} that a restart loads again, and is all or
 * nothing (a file the loader refuses puts every file of the commit back; a commit a crash interrupted is finished or
 * discarded at the next start).
 */
class FileUpdateStoreTest {
    private static final Name ZONE = Name.fromConstantString("example.test.");
    private static final UpdatePolicy POLICY = new UpdatePolicy(
            "",
            "acme",
            ZONE,
            Name.fromConstantString("acme-key."),
            new TSIG(TSIG.HMAC_SHA256, "acme-key.", "c2VjcmV0"),
            List.of());

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /** A store over {@code dir} wired as DirectoryZoneSource wires it; {@code served} gives the zones served now. */
    private record Served(FileUpdateStore store, ZoneSet[] zones) {
        Zone zone() {
            return zones[0].get(ZONE);
        }
    }

    private Served start() throws IOException {
        FileUpdateStore.recover(dir);
        ZoneSet[] served = {ZoneSet.empty()};
        FileUpdateStore store = new FileUpdateStore(dir, () -> served[0]);
        StandaloneZones zones = new StandaloneZones(List.of(ZONE), InetAddress.getLoopbackAddress(), 30);
        DirectoryWatcher watcher = DirectoryWatcher.start(
                new ManifestDirectory(dir, Set.of(ZONE)),
                r -> {
                    store.loaded(r);
                    served[0] = zones.build(r.records());
                },
                Duration.ofMillis(50),
                Duration.ofHours(1));
        open.add(watcher);
        store.watcher(watcher);
        return new Served(store, served);
    }

    private static org.xbill.DNS.Record txt(String name, String value) {
        return new TXTRecord(Name.fromConstantString(name), DClass.IN, 60, value);
    }

    private static org.xbill.DNS.Record a(String name, String address) throws IOException {
        return new ARecord(Name.fromConstantString(name), DClass.IN, 60, java.net.InetAddress.getByName(address));
    }

    private static Set<String> served(Zone zone, String name, int type) {
        Set<String> out = new TreeSet<>();
        Set<org.xbill.DNS.Record> rrset = zone.rrset(Name.fromConstantString(name), type);
        if (rrset != null) {
            rrset.forEach(r -> out.add(r instanceof TXTRecord t ? texts(t) : r.rdataToString()));
        }
        return out;
    }

    private static String texts(TXTRecord t) {
        List<String> texts = new ArrayList<>();
        t.getStringsAsByteArrays().forEach(b -> texts.add(new String(b, StandardCharsets.UTF_8)));
        return String.join("|", texts);
    }

    private Set<String> updateFiles() throws IOException {
        Set<String> names = new TreeSet<>();
        Path u = dir.resolve(FileUpdateStore.DIRECTORY);
        if (Files.isDirectory(u)) {
            try (Stream<Path> s = Files.list(u)) {
                s.forEach(p -> names.add(p.getFileName().toString()));
            }
        }
        return names;
    }

    @Test
    void aCommitIsServedWhenItReturnsAndSurvivesARestart() throws Exception {
        Served s = start();
        long serialBefore = s.zone().serial();
        org.xbill.DNS.Record one = new TXTRecord(
                Name.fromConstantString("_acme-challenge.example.test."), DClass.IN, 60, List.of("token-one"));
        org.xbill.DNS.Record two = txt("_acme-challenge.example.test.", "token-two");
        org.xbill.DNS.Record multi = new TXTRecord(
                Name.fromConstantString("multi.example.test."),
                DClass.IN,
                60,
                List.of("a b", "c\\\"d\\\\", "e")); // escaped as in a zone file
        org.xbill.DNS.Record www = a("www.example.test.", "192.0.2.10");
        org.xbill.DNS.Record wild = a("*.dyn.example.test.", "192.0.2.11");

        s.store()
                .commit(
                        POLICY,
                        new ChangeSet(
                                ZONE,
                                List.of(
                                        new RRsetChange(one.getName(), Type.TXT, 60, List.of(), List.of(one, two)),
                                        new RRsetChange(www.getName(), Type.A, 60, List.of(), List.of(www)),
                                        new RRsetChange(multi.getName(), Type.TXT, 60, List.of(), List.of(multi)),
                                        new RRsetChange(wild.getName(), Type.A, 60, List.of(), List.of(wild)))));

        assertThat(served(s.zone(), "multi.example.test.", Type.TXT)).containsExactly("a b|c\"d\\|e");
        assertThat(served(s.zone(), "_acme-challenge.example.test.", Type.TXT))
                .containsExactly("token-one", "token-two");
        assertThat(served(s.zone(), "www.example.test.", Type.A)).containsExactly("192.0.2.10");
        assertThat(served(s.zone(), "*.dyn.example.test.", Type.A)).containsExactly("192.0.2.11");
        assertThat(s.zone().serial()).isGreaterThan(serialBefore);
        assertThat(updateFiles())
                .containsExactly(
                        "_acme-challenge.example.test-TXT.yaml",
                        "_star_.dyn.example.test-A.yaml",
                        "multi.example.test-TXT.yaml",
                        "www.example.test-A.yaml");
        assertThat(Files.readString(dir.resolve("updates/_acme-challenge.example.test-TXT.yaml")))
                .contains("DnsRecord", "zonekeeper.dev/update-key", "acme-key", "token-one", "token-two");

        // one value cleaned up, the other kept; then the A RRset deleted, its file gone
        s.store()
                .commit(
                        POLICY,
                        new ChangeSet(
                                ZONE,
                                List.of(
                                        new RRsetChange(one.getName(), Type.TXT, 60, List.of(one, two), List.of(two)),
                                        new RRsetChange(www.getName(), Type.A, 60, List.of(www), List.of()))));
        assertThat(served(s.zone(), "_acme-challenge.example.test.", Type.TXT)).containsExactly("token-two");
        assertThat(served(s.zone(), "www.example.test.", Type.A)).isEmpty();
        assertThat(updateFiles())
                .containsExactly(
                        "_acme-challenge.example.test-TXT.yaml",
                        "_star_.dyn.example.test-A.yaml",
                        "multi.example.test-TXT.yaml");

        close();
        open.clear();
        Served restarted = start();
        assertThat(served(restarted.zone(), "_acme-challenge.example.test.", Type.TXT))
                .containsExactly("token-two");
    }

    @Test
    void namesWrittenByHandOrGeneratedAreNotTakenOver() throws Exception {
        Files.writeString(dir.resolve("hand.yaml"), dnsRecord("hand", "hand.example.test.", "A", null, "192.0.2.1"));
        Served s = start();

        assertThat(s.store().ownership(POLICY, Name.fromConstantString("hand.example.test."), Type.TXT))
                .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(UpdateResult.OWNED_ELSEWHERE));
        assertThat(s.store().ownership(POLICY, ZONE, Type.SOA))
                .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(UpdateResult.GENERATED_NAME));
        assertThat(s.store().ownership(POLICY, ZONE, Type.NS))
                .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(UpdateResult.GENERATED_NAME));
        assertThat(s.store().ownership(POLICY, ZONE, Type.TXT)).isEmpty();
        assertThat(s.store().ownership(POLICY, Name.fromConstantString("new.example.test."), Type.A))
                .isEmpty();
    }

    @Test
    void aFileTheLoaderRefusesUndoesTheWholeCommit() throws Exception {
        Served s = start();
        org.xbill.DNS.Record kept = txt("kept.example.test.", "v1");
        s.store()
                .commit(
                        POLICY,
                        new ChangeSet(
                                ZONE,
                                List.of(new RRsetChange(kept.getName(), Type.TXT, 60, List.of(), List.of(kept)))));
        // a hand-written file holds the TXT at aaa: the commit below (not checked by ownership here) clashes with it
        Files.writeString(dir.resolve("clash.yaml"), dnsRecord("clash", "aaa.example.test.", "TXT", null, "by hand"));
        org.awaitility.Awaitility.await()
                .until(() -> !served(s.zone(), "aaa.example.test.", Type.TXT).isEmpty());
        org.xbill.DNS.Record changed = txt("kept.example.test.", "v2");
        org.xbill.DNS.Record clash = txt("aaa.example.test.", "by update");

        assertThatThrownBy(() -> s.store()
                        .commit(
                                POLICY,
                                new ChangeSet(
                                        ZONE,
                                        List.of(
                                                new RRsetChange(
                                                        kept.getName(), Type.TXT, 60, List.of(kept), List.of(changed)),
                                                new RRsetChange(
                                                        clash.getName(), Type.TXT, 60, List.of(), List.of(clash))))))
                .isInstanceOf(UpdateStore.UpdateStoreException.class);

        // the loader refuses the clashing file, so neither RRset of the commit is written
        assertThat(served(s.zone(), "kept.example.test.", Type.TXT)).containsExactly("v1");
        assertThat(served(s.zone(), "aaa.example.test.", Type.TXT)).containsExactly("by hand");
        assertThat(updateFiles()).containsExactly("kept.example.test-TXT.yaml");
    }

    @Test
    void aCommitInterruptedAfterItsJournalIsFinishedAtTheNextStart() throws Exception {
        Path u = Files.createDirectories(dir.resolve(FileUpdateStore.DIRECTORY));
        Files.writeString(
                u.resolve("gone.example.test-TXT.yaml"), dnsRecord("g", "gone.example.test.", "TXT", null, "x"));
        Files.writeString(u.resolve(".tmp-1-0.yaml"), dnsRecord("n", "new.example.test.", "TXT", null, "y"));
        Files.writeString(u.resolve(".tmp-2-0.yaml"), dnsRecord("o", "orphan.example.test.", "TXT", null, "z"));
        Files.writeString(
                u.resolve(FileUpdateStore.JOURNAL),
                "R .tmp-1-0.yaml new.example.test-TXT.yaml\nD gone.example.test-TXT.yaml\n",
                StandardCharsets.UTF_8);

        Served s = start();

        assertThat(served(s.zone(), "new.example.test.", Type.TXT)).containsExactly("y");
        assertThat(served(s.zone(), "gone.example.test.", Type.TXT)).isEmpty();
        assertThat(served(s.zone(), "orphan.example.test.", Type.TXT)).isEmpty();
        assertThat(updateFiles()).containsExactly("new.example.test-TXT.yaml");
    }

    @Test
    void fileNamesAreSafeForEveryOwnerName() throws Exception {
        assertThat(FileUpdateStore.fileName(Name.fromString("*.dyn.example.test."), Type.A))
                .isEqualTo("_star_.dyn.example.test-A.yaml");
        String longName = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + ".example.test.";
        assertThat(FileUpdateStore.fileName(Name.fromString(longName), Type.TXT).length())
                .isLessThan(255);
        assertThat(FileUpdateStore.fileName(Name.fromString("a\\047b.example.test."), Type.TXT))
                .doesNotContain("/")
                .endsWith("-TXT.yaml");
    }
}
