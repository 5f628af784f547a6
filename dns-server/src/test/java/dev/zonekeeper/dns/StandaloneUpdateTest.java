package dev.zonekeeper.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.config.ServerConfig;
import dev.zonekeeper.dns.testing.Closer;
import dev.zonekeeper.dns.testing.UpdateClients;
import dev.zonekeeper.dns.testing.UpdateClients.Tool;
import dev.zonekeeper.testing.KnotSecondary;
import dev.zonekeeper.testing.RawDns;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

/**
 * Standalone mode applies dynamic updates itself: real {@code nsupdate} and {@code knsupdate} against the server,
 * over UDP and TCP, with each TSIG algorithm, every prerequisite kind and every operation; what they wrote is served,
 * is a DnsRecord file under {@code --records/updates/}, survives a restart and can be edited by hand. Bad requests
 * get the RFC 8945 and RFC 2136 answers.
 */
@org.junit.jupiter.api.Tag("real")
class StandaloneUpdateTest {
    private static final List<String> ALGORITHMS =
            List.of("hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512");

    @TempDir
    Path tmp;

    private final Closer closer = new Closer();
    private Path records;

    @AfterEach
    void close() throws Exception {
        closer.close();
    }

    private static String secret(String algorithm) {
        return Base64.getEncoder()
                .encodeToString(("secret-of-" + algorithm + "-0123456789abcdef").getBytes(StandardCharsets.UTF_8));
    }

    /** {@code -y} argument of the key of {@code algorithm} (name {@code key-<algorithm>}). */
    private static String key(String algorithm) {
        return algorithm + ":key-" + algorithm + ":" + secret(algorithm);
    }

    /**
     * A records directory with one policy per algorithm (every name of example.test, every type), one policy that
     * only allows {@code _acme-challenge} TXT records, and a DnsRecord written by hand.
     */
    private void writeRecords() throws IOException {
        records = Files.createDirectories(tmp.resolve("records"));
        Path keys = Files.createDirectories(tmp.resolve("keys"));
        StringBuilder policies = new StringBuilder();
        for (String alg : ALGORITHMS) {
            Files.writeString(keys.resolve(alg + ".key"), "key-" + alg + ":" + alg + ":" + secret(alg) + "\n");
            policies.append(policy("all-" + alg, keys.resolve(alg + ".key"), "subdomain", "example.test", ""));
        }
        Files.writeString(keys.resolve("acme.key"), "acme:hmac-sha256:" + secret("acme") + "\n");
        policies.append(policy("acme", keys.resolve("acme.key"), "subdomain", "_acme-challenge.example.test", "TXT"));
        Files.writeString(records.resolve("policies.yaml"), policies.toString());
        Files.writeString(
                records.resolve("hand.yaml"),
                String.join(
                        "\n",
                        "apiVersion: zonekeeper.dev/v1alpha1",
                        "kind: DnsRecord",
                        "metadata: {name: hand}",
                        "spec: {name: hand.example.test, type: A, values: ['192.0.2.99']}",
                        ""));
    }

    private static String policy(String name, Path keyFile, String match, String grantName, String types) {
        return String.join(
                "\n",
                "---",
                "apiVersion: zonekeeper.dev/v1alpha1",
                "kind: DnsUpdatePolicy",
                "metadata: {name: " + name + "}",
                "spec:",
                "  zone: example.test",
                "  keyFile: " + keyFile,
                "  grants:",
                "    - {match: " + match + ", name: " + grantName + (types.isEmpty() ? "" : ", types: [" + types + "]")
                        + "}",
                "");
    }

    private DnsServer start(String... extra) throws Exception {
        if (records == null) {
            writeRecords();
        }
        List<String> args = new ArrayList<>(List.of(
                "--listen", "127.0.0.1:0",
                "--upstream", "none",
                "--warmup-rounds", "0",
                "--records", records.toString(),
                "--zone", "example.test"));
        args.addAll(List.of(extra));
        return closer.add(DnsServer.start(ServerConfig.parse(args.toArray(new String[0]), List.of())));
    }

    private static InetSocketAddress dns(DnsServer s) {
        return s.transport().address();
    }

    /** What the server answers for name/type over TCP: the rdata of the answer, sorted; empty for none. */
    private static Set<String> served(DnsServer s, String name, int type) throws IOException {
        SimpleResolver r = new SimpleResolver(dns(s));
        r.setTCP(true);
        Message m = r.send(Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(name), type, DClass.IN)));
        Set<String> out = new TreeSet<>();
        for (org.xbill.DNS.Record rec : m.getSection(Section.ANSWER)) {
            if (rec.getType() == type) {
                out.add(rec.rdataToString());
            }
        }
        return out;
    }

    static Stream<Arguments> clients() {
        List<Arguments> rows = new ArrayList<>();
        for (Tool tool : Tool.values()) {
            for (boolean tcp : new boolean[] {false, true}) {
                rows.add(Arguments.of(tool, tcp));
            }
        }
        return rows.stream();
    }

    /**
     * One step of the scenario: the script's lines ({@code N} stands for the row's own name), the rcode the client
     * must report, then what the server must serve for {@code checkName} ({@code N} too) and type.
     */
    private record Step(
            String what, List<String> lines, String rcode, String checkName, int type, Set<String> values) {}

    private static Step step(
            String what, String rcode, String checkName, int type, Set<String> values, String... lines) {
        return new Step(what, List.of(lines), rcode, checkName, type, values);
    }

    /** Every prerequisite kind passing and failing, and every operation, in an order where each depends on the last. */
    private static final List<Step> SCENARIO = List.of(
            step("add", "NOERROR", "N", Type.A, Set.of("192.0.2.1"), "update add N 300 A 192.0.2.1"),
            step(
                    "prereq nxdomain fails",
                    "YXDOMAIN",
                    "N",
                    Type.A,
                    Set.of("192.0.2.1"),
                    "prereq nxdomain N",
                    "update add N 300 A 192.0.2.5"),
            step(
                    "prereq nxdomain passes",
                    "NOERROR",
                    "new.N",
                    Type.A,
                    Set.of("192.0.2.6"),
                    "prereq nxdomain new.N",
                    "update add new.N 300 A 192.0.2.6"),
            step(
                    "prereq yxdomain passes",
                    "NOERROR",
                    "N",
                    Type.TXT,
                    Set.of("hello"),
                    "prereq yxdomain N",
                    "update add N 300 TXT hello"),
            step(
                    "prereq yxdomain fails",
                    "NXDOMAIN",
                    "nothere.N",
                    Type.A,
                    Set.of(),
                    "prereq yxdomain nothere.N",
                    "update add nothere.N 300 A 192.0.2.7"),
            step(
                    "prereq nxrrset fails",
                    "YXRRSET",
                    "N",
                    Type.A,
                    Set.of("192.0.2.1"),
                    "prereq nxrrset N A",
                    "update add N 300 A 192.0.2.8"),
            step(
                    "prereq nxrrset passes",
                    "NOERROR",
                    "N",
                    Type.MX,
                    Set.of("10 mail.example.test."),
                    "prereq nxrrset N MX",
                    "update add N 300 MX 10 mail.example.test."),
            step(
                    "prereq yxrrset fails",
                    "NXRRSET",
                    "N",
                    Type.AAAA,
                    Set.of(),
                    "prereq yxrrset N AAAA",
                    "update add N 300 AAAA 2001:db8::1"),
            step(
                    "prereq yxrrset by value passes",
                    "NOERROR",
                    "N",
                    Type.A,
                    Set.of("192.0.2.1", "192.0.2.2"),
                    "prereq yxrrset N A 192.0.2.1",
                    "update add N 300 A 192.0.2.2"),
            step(
                    "prereq yxrrset by value fails",
                    "NXRRSET",
                    "N",
                    Type.A,
                    Set.of("192.0.2.1", "192.0.2.2"),
                    "prereq yxrrset N A 192.0.2.9",
                    "update add N 300 A 192.0.2.3"),
            step(
                    "a name outside the zone",
                    "NOTZONE",
                    "N",
                    Type.A,
                    Set.of("192.0.2.1", "192.0.2.2"),
                    "prereq yxdomain elsewhere.invalid.",
                    "update add N 300 A 192.0.2.4"),
            step(
                    "two TXT values",
                    "NOERROR",
                    "_acme-challenge.N",
                    Type.TXT,
                    Set.of("one", "two"),
                    "update add _acme-challenge.N 60 TXT one",
                    "update add _acme-challenge.N 60 TXT two"),
            step(
                    "delete one RR",
                    "NOERROR",
                    "_acme-challenge.N",
                    Type.TXT,
                    Set.of("two"),
                    "update delete _acme-challenge.N TXT one"),
            step("delete an RRset", "NOERROR", "N", Type.A, Set.of(), "update delete N A"),
            step("the rest of the name stays", "NOERROR", "N", Type.TXT, Set.of("hello"), "prereq yxdomain N"),
            step("delete every RRset at a name", "NOERROR", "N", Type.TXT, Set.of(), "update delete N"),
            step("the name is gone", "NXDOMAIN", "N", Type.MX, Set.of(), "prereq yxdomain N"));

    @ParameterizedTest(name = "{0}, tcp {1}")
    @MethodSource("clients")
    void everyPrerequisiteAndOperation(Tool tool, boolean tcp) throws Exception {
        DnsServer server = start();
        String n = tool.name().toLowerCase() + (tcp ? "-tcp" : "-udp") + ".example.test.";
        for (Step step : SCENARIO) {
            List<String> lines = new ArrayList<>(List.of("zone example.test."));
            step.lines()
                    .forEach(l -> lines.add(
                            l.replace("N ", n + " ").replace(".N", "." + n).replaceAll("N$", n)));
            UpdateClients.Result result = UpdateClients.run(tool, dns(server), key("hmac-sha256"), tcp, lines);

            assertThat(result.rcode())
                    .as(step.what() + ": " + lines + "\n" + result.output())
                    .isEqualTo(step.rcode());
            String check = step.checkName().equals("N") ? n : step.checkName().replace(".N", "." + n);
            assertThat(served(server, check, step.type()))
                    .as(step.what() + ": " + check + " " + Type.string(step.type()))
                    .isEqualTo(new TreeSet<>(step.values()));
        }
        assertThat(server.metrics().count("zonekeeper.updates", "result", "applied", "zone", "example.test."))
                .isEqualTo(SCENARIO.stream()
                        .filter(s -> s.rcode().equals("NOERROR"))
                        .count());
        assertThat(server.metrics().count("zonekeeper.updates", "result", "prereq_nxrrset", "zone", "example.test."))
                .isEqualTo(2);
    }

    static Stream<Arguments> algorithms() {
        List<Arguments> rows = new ArrayList<>();
        for (String alg : ALGORITHMS) {
            for (Tool tool : Tool.values()) {
                for (boolean tcp : new boolean[] {false, true}) {
                    rows.add(Arguments.of(alg, tool, tcp));
                }
            }
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} {1} tcp {2}")
    @MethodSource("algorithms")
    void eachAlgorithm(String algorithm, Tool tool, boolean tcp) throws Exception {
        DnsServer server = start();
        String name = algorithm + "." + tool.name().toLowerCase() + (tcp ? ".tcp" : ".udp") + ".example.test.";

        UpdateClients.Result r = UpdateClients.run(
                tool,
                dns(server),
                key(algorithm),
                tcp,
                List.of("zone example.test.", "update add " + name + " 60 A 192.0.2.44"));

        assertThat(r.rcode()).as(r.output()).isEqualTo("NOERROR");
        assertThat(served(server, name, Type.A)).containsExactly("192.0.2.44");
    }

    /**
     * The common use: nsupdate without a `zone` line first asks `<first name> SOA`, signed, to find the zone, and
     * accepts only a signed answer; then the update applies and is served.
     */
    @ParameterizedTest(name = "tcp {0}")
    @ValueSource(booleans = {false, true})
    void nsupdateWithoutAZoneLineFindsTheZoneBySignedSoa(boolean tcp) throws Exception {
        DnsServer server = start();
        String name = "_acme-challenge.nozone" + (tcp ? "-tcp" : "-udp") + ".example.test.";

        UpdateClients.Result r = UpdateClients.run(
                Tool.NSUPDATE, dns(server), key("hmac-sha256"), tcp, List.of("update add " + name + " 60 TXT token"));

        assertThat(r.rcode()).as(r.output()).isEqualTo("NOERROR");
        assertThat(served(server, name, Type.TXT)).containsExactly("token");
    }

    @Test
    void withoutAPolicyUpdateIsNotImplementedAsBefore() throws Exception {
        writeRecords();
        Files.delete(records.resolve("policies.yaml"));
        DnsServer server = start();

        UpdateClients.Result r = UpdateClients.run(
                Tool.NSUPDATE,
                dns(server),
                key("hmac-sha256"),
                false,
                List.of("zone example.test.", "update add x.example.test. 60 A 192.0.2.1"));

        assertThat(r.output()).contains("NOTIMP");
        assertThat(served(server, "x.example.test.", Type.A)).isEmpty();
        assertThat(axfr(server, key("hmac-sha256")).output()).contains("REFUSED");
    }

    @Test
    void refusalsAndBadSignatures() throws Exception {
        DnsServer server = start();
        String sha = key("hmac-sha256");
        String acme = "hmac-sha256:acme:" + secret("acme");
        String add = "update add x.example.test. 60 A 192.0.2.1";
        // what, key (null: unsigned), over TCP, the update line, the rcode nsupdate must print
        Object[][] rows = {
            {"unsigned", null, false, add, "REFUSED"},
            {"unknown key", "hmac-sha256:nobody:" + secret("nobody"), false, add, "NOTAUTH"},
            {"wrong secret", "hmac-sha256:key-hmac-sha256:" + secret("wrong"), true, add, "NOTAUTH"},
            {"outside the grant", acme, false, add, "REFUSED"},
            {"inside the grant", acme, false, "update add _acme-challenge.example.test. 60 TXT token", "NOERROR"},
            {"a hand-written name", sha, false, "update add hand.example.test. 60 TXT mine", "REFUSED"},
            {"the generated apex NS", sha, false, "update delete example.test. NS", "REFUSED"},
        };
        for (Object[] row : rows) {
            UpdateClients.Result r = UpdateClients.run(
                    Tool.NSUPDATE,
                    dns(server),
                    (String) row[1],
                    (Boolean) row[2],
                    List.of("zone example.test.", (String) row[3]));
            assertThat(r.rcode()).as(row[0] + ": " + r.output()).startsWith((String) row[4]);
        }
        assertThat(served(server, "x.example.test.", Type.A)).isEmpty();
        assertThat(served(server, "hand.example.test.", Type.A)).containsExactly("192.0.2.99");

        // a request signed ten minutes ago: BADTIME
        Update update = new Update(Name.fromString("example.test."));
        update.add(Name.fromString("stale.example.test."), Type.A, 60, "192.0.2.1");
        TSIG old = new TSIG(
                TSIG.HMAC_SHA256,
                Name.fromString("key-hmac-sha256."),
                new javax.crypto.spec.SecretKeySpec(Base64.getDecoder().decode(secret("hmac-sha256")), "HmacSHA256"),
                Clock.fixed(Instant.now().minus(Duration.ofMinutes(10)), ZoneOffset.UTC));
        old.apply(update, null);
        Message answer = new Message(RawDns.tcp(dns(server), update.toWire()));
        assertThat(answer.getRcode()).isEqualTo(Rcode.NOTAUTH);
        assertThat(answer.getTSIG().getError()).isEqualTo(Rcode.BADTIME);

        // malformed and oversized
        byte[] garbage = {0x12, 0x34, 0x28, 0x00, 0, 1, 0, 0, 0, 5, 0, 0, 3, 'a', 'b'};
        byte[] formerr = RawDns.tcp(dns(server), garbage);
        assertThat(formerr[3] & 0xF).isEqualTo(Rcode.FORMERR);
        Update big = new Update(Name.fromString("example.test."));
        for (int i = 0; i < 40; i++) {
            big.add(Name.fromString("big.example.test."), Type.TXT, 60, "\"" + "x".repeat(200) + "\"");
        }
        byte[] cut = RawDns.udp(dns(server), big.toWire()); // over the UDP datagram size: read cut
        assertThat(cut[3] & 0xF).isEqualTo(Rcode.FORMERR);
        assertThat(served(server, "big.example.test.", Type.TXT)).isEmpty();
        assertThat(server.metrics().count("zonekeeper.updates", "result", "malformed", "zone", "none"))
                .isEqualTo(2);
        assertThat(server.metrics().count("zonekeeper.updates", "result", "bad_time", "zone", "none"))
                .isEqualTo(1);
    }

    @Test
    void aFloodingKeyIsRateLimitedWhileAnotherStillUpdates() throws Exception {
        DnsServer server = start("--update-rate", "1");
        TSIG flooder = tsig("hmac-sha1");
        int refused = 0;
        for (int i = 0; i < 20; i++) {
            Update u = new Update(Name.fromString("example.test."));
            u.present(Name.fromString("absent.example.test.")); // fails the prerequisite: nothing is written
            flooder.apply(u, null);
            Message m = new Message(RawDns.udp(dns(server), u.toWire()));
            refused += m.getRcode() == Rcode.REFUSED ? 1 : 0;
        }
        UpdateClients.Result other = UpdateClients.run(
                Tool.NSUPDATE,
                dns(server),
                key("hmac-sha512"),
                false,
                List.of("zone example.test.", "update add other.example.test. 60 A 192.0.2.5"));

        assertThat(refused).isGreaterThan(0);
        assertThat(server.metrics().count("zonekeeper.updates", "result", "rate_limited", "zone", "none")
                        + server.metrics()
                                .count("zonekeeper.updates", "result", "rate_limited", "zone", "example.test."))
                .isEqualTo(refused);
        assertThat(other.rcode()).as(other.output()).isEqualTo("NOERROR");
        assertThat(served(server, "other.example.test.", Type.A)).containsExactly("192.0.2.5");
    }

    private static TSIG tsig(String algorithm) throws IOException {
        return new TSIG(
                TSIG.algorithmToName(algorithm),
                Name.fromString("key-" + algorithm + "."),
                Base64.getDecoder().decode(secret(algorithm)));
    }

    @Test
    void writtenFilesSurviveARestartAndAHandEditIsServed() throws Exception {
        DnsServer server = start();
        UpdateClients.Result r = UpdateClients.run(
                Tool.KNSUPDATE,
                dns(server),
                key("hmac-sha384"),
                true,
                List.of(
                        "zone example.test.",
                        "update add _acme-challenge.example.test. 60 TXT first",
                        "update add _acme-challenge.example.test. 60 TXT second"));
        assertThat(r.rcode()).as(r.output()).isEqualTo("NOERROR");
        Path file = records.resolve("updates/_acme-challenge.example.test-TXT.yaml");
        assertThat(file).exists();
        assertThat(Files.readString(file)).contains("DnsRecord", "first", "second", "key-hmac-sha384");

        server.close();
        DnsServer restarted = start();
        assertThat(served(restarted, "_acme-challenge.example.test.", Type.TXT)).containsExactly("first", "second");

        Files.writeString(file, Files.readString(file).replace("second", "edited"));
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(served(restarted, "_acme-challenge.example.test.", Type.TXT))
                        .containsExactly("edited", "first"));
        // an update after the edit starts from what the file says
        UpdateClients.Result delete = UpdateClients.run(
                Tool.NSUPDATE,
                dns(restarted),
                key("hmac-sha384"),
                false,
                List.of("zone example.test.", "update delete _acme-challenge.example.test. TXT edited"));
        assertThat(delete.rcode()).as(delete.output()).isEqualTo("NOERROR");
        assertThat(served(restarted, "_acme-challenge.example.test.", Type.TXT)).containsExactly("first");
    }

    @Test
    void anAxfrSignedWithAPolicyKeyListsTheZone() throws Exception {
        DnsServer server = start();
        UpdateClients.Result r = UpdateClients.run(
                Tool.NSUPDATE,
                dns(server),
                key("hmac-sha256"),
                false,
                List.of("zone example.test.", "update add listed.example.test. 60 TXT owned"));
        assertThat(r.rcode()).as(r.output()).isEqualTo("NOERROR");
        KnotSecondary.Dig signed = axfr(server, key("hmac-sha256"));

        assertThat(signed.output()).doesNotContain("REFUSED").doesNotContain("failed");
        assertThat(signed.records())
                .anySatisfy(
                        l -> assertThat(l).startsWith("listed.example.test.").contains("TXT"))
                .anySatisfy(l -> assertThat(l).startsWith("hand.example.test.").contains("192.0.2.99"));
        assertThat(axfr(server, null).output()).contains("REFUSED");
        assertThat(axfr(server, "hmac-sha256:acme:" + secret("wrong")).output()).contains("REFUSED");
    }

    /** {@code kdig AXFR example.test. +tcp} against the server, signed with {@code key} (null: unsigned). */
    private static KnotSecondary.Dig axfr(DnsServer server, String key) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of(
                "@" + dns(server).getAddress().getHostAddress(),
                "-p" + dns(server).getPort()));
        if (key != null) {
            args.addAll(List.of("-y", key));
        }
        args.addAll(List.of("example.test.", "AXFR", "+tcp"));
        return KnotSecondary.kdig(args.toArray(new String[0]));
    }
}
