package dev.zonekeeper.dns.query;

import static dev.zonekeeper.dns.zone.ZoneFixtures.name;
import static dev.zonekeeper.dns.zone.ZoneFixtures.presentation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Asks Knot DNS ({@code knotd}, Debian package {@code knot}) serving the same zone files the same questions as
 * {@link QueryEngineTest}, over TCP on loopback, and checks that rcode, AA and all three sections agree with
 * {@link QueryEngine}. The few cases where we choose differently from Knot are listed in {@link #DIFFERENT}.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class KnotParityTest {
    /** Cases where we deliberately differ from Knot 3.2, with the reason. */
    private static final Map<String, String> DIFFERENT = Map.of(
            "ANY: every RRset at the name", "Knot answers ANY with one RRset on every transport (RFC 8482); the engine gives all, sent over TCP (over UDP QueryProcessor keeps one)",
            "ANY at the apex", "Knot answers ANY with one RRset on every transport (RFC 8482); the engine gives all, sent over TCP (over UDP QueryProcessor keeps one)",
            "ANY: additional does not repeat the answer", "Knot answers ANY with one RRset on every transport (RFC 8482); the engine gives all, sent over TCP",
            "wildcard ANY", "Knot answers ANY with one RRset on every transport (RFC 8482); the engine gives all, sent over TCP",
            "CNAME across zones", "Knot follows CNAMEs only inside one zone; we follow across served zones",
            "CNAME across zones and back", "Knot follows CNAMEs only inside one zone",
            "CNAME across zones to NXDOMAIN: target zone's SOA", "Knot follows CNAMEs only inside one zone");

    private static Process knotd;
    private static int port;
    private static Path dir;

    @BeforeAll
    static void startKnot() throws Exception {
        String knotdPath = findKnotd();
        if (knotdPath == null) {
            String msg = "knotd not found (Debian package 'knot'): cannot compare answers with Knot DNS";
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail(msg);
            }
            Assumptions.abort(msg);
        }
        dir = Files.createTempDirectory("knot-parity");
        port = freePort();
        Map<String, String> zones = Map.of(
                "example.test", QueryEngineTest.EXAMPLE,
                "other.test", QueryEngineTest.OTHER,
                "sub.example.test", QueryEngineTest.SUB,
                "2.0.192.in-addr.arpa", QueryEngineTest.REVERSE);
        StringBuilder conf = new StringBuilder()
                .append("server:\n  listen: 127.0.0.1@").append(port).append('\n')
                .append("  rundir: ").append(dir).append('\n')
                .append("database:\n  storage: ").append(dir.resolve("db")).append('\n')
                .append("template:\n  - id: default\n    storage: ").append(dir).append('\n')
                .append("    zonefile-load: whole\n    journal-content: none\n")
                .append("zone:\n");
        for (Map.Entry<String, String> z : zones.entrySet()) {
            Files.writeString(dir.resolve(z.getKey() + ".zone"), z.getValue(), StandardCharsets.UTF_8);
            conf.append("  - domain: ").append(z.getKey()).append("\n    file: ").append(z.getKey()).append(".zone\n");
        }
        Path confFile = dir.resolve("knot.conf");
        Files.writeString(confFile, conf.toString(), StandardCharsets.UTF_8);
        File log = dir.resolve("knotd.log").toFile();
        knotd = new ProcessBuilder(knotdPath, "-c", confFile.toString())
                .redirectErrorStream(true).redirectOutput(log).start();
        await("knotd serving all zones on port " + port)
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions()
                .until(() -> {
                    assertThat(knotd.isAlive()).as("knotd alive; log: %s", readLog(log)).isTrue();
                    for (String zone : zones.keySet()) {
                        Message m = ask(zone + ".", Type.SOA);
                        if (m.getRcode() != Rcode.NOERROR || m.getSection(Section.ANSWER).isEmpty()) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    @AfterAll
    static void stopKnot() throws Exception {
        if (knotd != null) {
            knotd.destroy();
            knotd.waitFor();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static Stream<QueryEngineTest.Case> cases() {
        return QueryEngineTest.cases().filter(c -> !DIFFERENT.containsKey(c.desc()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameAnswerAsKnot(QueryEngineTest.Case tc) throws Exception {
        int qtype = Type.value(tc.qtype());
        Answer ours = QueryEngine.answer(QueryEngineTest.ZONES, name(tc.qname()), qtype, DClass.IN);
        Message knot = ask(tc.qname(), qtype);

        assertThat(Rcode.string(ours.rcode())).as("rcode").isEqualTo(Rcode.string(knot.getRcode()));
        assertThat(ours.authoritative()).as("AA").isEqualTo(knot.getHeader().getFlag(Flags.AA));
        assertThat(lower(ours.answer())).as("answer").isEqualTo(lower(knot.getSection(Section.ANSWER)));
        assertThat(lower(ours.authority())).as("authority").isEqualTo(lower(knot.getSection(Section.AUTHORITY)));
        List<org.xbill.DNS.Record> knotAdditional = new ArrayList<>();
        for (org.xbill.DNS.Record r : knot.getSection(Section.ADDITIONAL)) {
            if (r.getType() != Type.OPT) {
                knotAdditional.add(r);
            }
        }
        assertThat(lower(ours.additional())).as("additional").isEqualTo(lower(knotAdditional));
    }

    /**
     * Presentation strings in lower case: Knot compresses owner names against the question, so on the wire they
     * take the letter case of the qname as sent; letter case of owner names carries no meaning (RFC 4343).
     */
    private static Set<String> lower(List<org.xbill.DNS.Record> records) {
        Set<String> out = new TreeSet<>();
        for (String s : presentation(records)) {
            out.add(s.toLowerCase(Locale.ROOT));
        }
        return out;
    }

    private static Message ask(String qname, int qtype) throws IOException {
        SimpleResolver resolver = new SimpleResolver(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        resolver.setTCP(true);
        resolver.setTimeout(Duration.ofSeconds(5));
        return resolver.send(Message.newQuery(org.xbill.DNS.Record.newRecord(name(qname), qtype, DClass.IN)));
    }

    private static String findKnotd() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.add("/usr/sbin");
        dirs.add("/usr/local/sbin");
        for (String d : dirs) {
            File f = new File(d, "knotd");
            if (!d.isEmpty() && f.canExecute()) {
                return f.getPath();
            }
        }
        return null;
    }

    /** A port free for both TCP and UDP on 127.0.0.1 (knotd listens on both). */
    private static int freePort() throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            try (ServerSocket tcp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int p = tcp.getLocalPort();
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), p))) {
                    return p;
                } catch (IOException busy) {
                    // try another
                }
            }
        }
        throw new IOException("no free loopback port for knotd");
    }

    private static String readLog(File log) {
        try {
            return Files.readString(log.toPath());
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
