package dev.zonekeeper.dns.server;

import static dev.zonekeeper.dns.testing.Loopback.hostPort;
import static dev.zonekeeper.dns.testing.Loopback.loopback;
import static dev.zonekeeper.dns.testing.Loopback.unusedPort;
import static dev.zonekeeper.dns.testing.TestServer.dnsRecord;
import static dev.zonekeeper.testing.DnsClients.ttlFree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.DnsServer;
import dev.zonekeeper.dns.testing.InProcessServer;
import dev.zonekeeper.testing.DnsClients;
import dev.zonekeeper.testing.DnsClients.Client;
import dev.zonekeeper.testing.DnsClients.Reply;
import dev.zonekeeper.testing.KnotServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * CNAMEs that leave the served zones (what a Kubernetes ExternalName service becomes) are completed through the
 * forwarder, as CoreDNS does, because stub resolvers do not chase CNAMEs. Our server serves example.test and
 * other.test and forwards to a real Knot serving example.com; questions come from dnsjava, dig and kdig over UDP.
 * Expected responses: our chain (AA set) + the upstream's answer, the upstream's rcode when NXDOMAIN and its SOA in
 * negative answers; the chain with SERVFAIL when the upstream is unreachable; the CNAME alone for CNAME questions and
 * without forwarding. Such answers are never pre-encoded, so a change upstream shows once its TTL has run out.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class ExternalCnameTest {
    static final String UPSTREAM_SOA =
            "example.com. 300 IN SOA ns.example.com. hostmaster.example.com. 1 7200 1800 86400 60";
    static final String UPSTREAM_ZONE = String.join(
            "\n",
            "$ORIGIN example.com.",
            UPSTREAM_SOA,
            "@ 300 IN NS ns.example.com.",
            "ns 300 IN A 127.0.0.1",
            "db 300 IN A 198.51.100.7",
            "db 300 IN A 198.51.100.8",
            "alias 120 IN CNAME db.example.com.",
            "");

    static final String MANIFESTS = String.join(
            "",
            dnsRecord("ext.example.test.", "CNAME", 60, "db.example.com."),
            dnsRecord("hop.example.test.", "CNAME", 60, "hop2.other.test."),
            dnsRecord("hop2.other.test.", "CNAME", 60, "alias.example.com."),
            dnsRecord("gone.example.test.", "CNAME", 60, "missing.example.com."),
            dnsRecord("www.example.test.", "A", 300, "192.0.2.10"));

    static final String EXT = "ext.example.test. 60 IN CNAME db.example.com.";
    static final String DB = "db.example.com. 300 IN A 198.51.100.7\ndb.example.com. 300 IN A 198.51.100.8";

    /** One question and the whole expected response; sections as zone-file lines, "" for empty. */
    record Case(String desc, String qname, String qtype, String rcode, String answer, String authority) {
        @Override
        public String toString() {
            return desc;
        }
    }

    static final List<Case> CASES = List.of(
            new Case(
                    "A: our CNAME, then the upstream's addresses",
                    "ext.example.test.",
                    "A",
                    "NOERROR",
                    EXT + "\n" + DB,
                    ""),
            new Case(
                    "AAAA, NODATA upstream: the CNAME and the upstream's SOA",
                    "ext.example.test.",
                    "AAAA",
                    "NOERROR",
                    EXT,
                    UPSTREAM_SOA),
            new Case(
                    "chain across our zones, then an upstream chain",
                    "hop.example.test.",
                    "A",
                    "NOERROR",
                    "hop.example.test. 60 IN CNAME hop2.other.test.\n"
                            + "hop2.other.test. 60 IN CNAME alias.example.com.\n"
                            + "alias.example.com. 120 IN CNAME db.example.com.\n" + DB,
                    ""),
            new Case(
                    "NXDOMAIN upstream: rcode of the last name (RFC 6604), CNAME and SOA",
                    "gone.example.test.",
                    "A",
                    "NXDOMAIN",
                    "gone.example.test. 60 IN CNAME missing.example.com.",
                    UPSTREAM_SOA),
            new Case("CNAME asked for itself: not chased", "ext.example.test.", "CNAME", "NOERROR", EXT, ""));

    private static KnotServer knot;
    private static Path records;
    /** One server per client, so the first question of each case is the first that server sees. */
    private static final Map<Client, DnsServer> SERVERS = new EnumMap<>(Client.class);

    @BeforeAll
    static void startUpstream() throws IOException {
        knot = KnotServer.start("example.com.", UPSTREAM_ZONE, loopback(0));
        records = Files.createTempDirectory("zk-records");
        Files.writeString(records.resolve("records.yaml"), MANIFESTS, StandardCharsets.UTF_8);
        for (Client c : Client.values()) {
            SERVERS.put(c, start("--upstream", hostPort(knot.address())));
        }
    }

    @AfterAll
    static void stopUpstream() throws IOException {
        SERVERS.values().forEach(DnsServer::close);
        if (knot != null) {
            knot.close();
        }
        try (Stream<Path> files = Files.walk(records)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static Stream<Arguments> cases() {
        return DnsClients.everyClientWith(CASES);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void completedThroughTheForwarder(Client client, Case tc) throws Exception {
        DnsServer server = SERVERS.get(client);
        InetSocketAddress dns = InProcessServer.dns(server);
        String expected = expected(tc.rcode(), true, tc.qname() + " " + tc.qtype(), tc.answer(), tc.authority());
        double fast = fastPathHits(server);
        Reply first = client.ask(dns, tc.qname(), tc.qtype());
        assertThat(withoutTtls(first)).as("first answer").isEqualTo(expected);
        Reply second = client.ask(dns, tc.qname(), tc.qtype());
        assertThat(withoutTtls(second)).as("second answer").isEqualTo(expected);
        boolean chased = !tc.qtype().equals("CNAME");
        assertThat(fastPathHits(server))
                .as(
                        chased
                                ? "completed answers are never pre-encoded"
                                : "a CNAME question is answered from our zone alone, pre-encoded the second time")
                .isEqualTo(chased ? fast : fast + 1);
        for (Reply r : List.of(first, second)) {
            assertTtls(r);
        }
    }

    /** Our records keep the zone's TTL; upstream records come with at most the upstream's TTL. */
    private static void assertTtls(Reply r) {
        for (String rr : r.answer()) {
            String[] f = rr.split("\\s+");
            long ttl = Long.parseLong(f[1]);
            if (f[0].endsWith(".example.test.") || f[0].endsWith(".other.test.")) {
                assertThat(ttl).as(rr).isEqualTo(60);
            } else {
                assertThat(ttl).as(rr).isBetween(1L, f[3].equals("CNAME") ? 120L : 300L);
            }
        }
    }

    @Test
    void chainComesBeforeTheTargetsRecords() throws Exception {
        // glibc reads the answer section in order: each CNAME must precede the records of its target.
        for (boolean tcp : new boolean[] {false, true}) {
            Message response =
                    dnsjava(InProcessServer.dns(SERVERS.get(Client.DNSJAVA)), "hop.example.test.", Type.A, tcp);
            List<String> order = new ArrayList<>();
            for (org.xbill.DNS.Record r : response.getSection(Section.ANSWER)) {
                order.add(r.getName() + " " + Type.string(r.getType()));
            }
            assertThat(order)
                    .as(tcp ? "TCP" : "UDP")
                    .containsExactly(
                            "hop.example.test. CNAME",
                            "hop2.other.test. CNAME",
                            "alias.example.com. CNAME",
                            "db.example.com. A",
                            "db.example.com. A");
            assertThat(response.getHeader().getFlag(org.xbill.DNS.Flags.AA)).isTrue();
            assertThat(response.getHeader().getFlag(org.xbill.DNS.Flags.RA)).isTrue();
        }
    }

    @Test
    void overTcpToo() {
        Reply r = DnsClients.dig(InProcessServer.dns(SERVERS.get(Client.DIG)), "ext.example.test.", "A", "+tcp");
        assertThat(withoutTtls(r)).isEqualTo(expected("NOERROR", true, "ext.example.test. A", EXT + "\n" + DB, ""));
    }

    @Test
    void withoutForwardingTheCnameAloneIsAnsweredAndPreEncoded() throws Exception {
        DnsServer server = start("--upstream", "none");
        try {
            InetSocketAddress dns = InProcessServer.dns(server);
            String expected = "NOERROR aa q=ext.example.test. A\nanswer=" + DnsClients.canonical(EXT, true)
                    + "\nauthority=[]\nadditional=[]";
            double fast = fastPathHits(server);
            assertThat(DnsClients.dig(dns, "ext.example.test.", "A").content()).isEqualTo(expected);
            assertThat(DnsClients.kdig(dns, "ext.example.test.", "A").content()).isEqualTo(expected);
            assertThat(DnsClients.dnsjava(dns, "ext.example.test.", "A").content())
                    .isEqualTo(expected);
            assertThat(fastPathHits(server))
                    .as("second and third from pre-encoded bytes")
                    .isEqualTo(fast + 2);
        } finally {
            server.close();
        }
    }

    @Test
    void unreachableUpstreamGivesTheChainWithServfail() throws Exception {
        DnsServer server = start("--upstream", hostPort(unusedPort()));
        try {
            InetSocketAddress dns = InProcessServer.dns(server);
            String expected = expected("SERVFAIL", true, "ext.example.test. A", EXT, "");
            assertThat(withoutTtls(DnsClients.dig(dns, "ext.example.test.", "A")))
                    .isEqualTo(expected);
            assertThat(withoutTtls(DnsClients.dnsjava(dns, "ext.example.test.", "A")))
                    .isEqualTo(expected);
            // a name in our zone that stays inside is still answered at once
            assertThat(DnsClients.dig(dns, "www.example.test.", "A").rcode()).isEqualTo("NOERROR");
        } finally {
            server.close();
        }
    }

    @Test
    void aChangeUpstreamShowsOnceItsTtlHasRunOut() throws Exception {
        InetSocketAddress address = loopback(0);
        KnotServer upstream = KnotServer.start("example.com.", changing("198.51.100.1"), address);
        address = upstream.address();
        DnsServer server = start("--upstream", hostPort(address));
        try {
            InetSocketAddress dns = InProcessServer.dns(server);
            double fast = fastPathHits(server);
            assertThat(addresses(dns)).containsExactly("198.51.100.1");
            assertThat(addresses(dns)).containsExactly("198.51.100.1");

            upstream.stop();
            upstream = KnotServer.start("example.com.", changing("198.51.100.2"), address);
            // the upstream record has a TTL of 1 s: the forwarder's cache lets it go, and nothing else holds it
            await("the new upstream address behind ext.example.test")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> addresses(dns).equals(List.of("198.51.100.2")));
            assertThat(addresses(dns)).containsExactly("198.51.100.2");
            Reply r = DnsClients.dig(dns, "ext.example.test.", "A");
            assertThat(withoutTtls(r))
                    .isEqualTo(expected(
                            "NOERROR", true, "ext.example.test. A", EXT + "\ndb.example.com. 1 IN A 198.51.100.2", ""));
            assertThat(fastPathHits(server))
                    .as("never answered from pre-encoded bytes")
                    .isEqualTo(fast);
        } finally {
            server.close();
            upstream.close();
        }
    }

    private static String changing(String address) {
        return String.join(
                "\n",
                "$ORIGIN example.com.",
                UPSTREAM_SOA,
                "@ 300 IN NS ns.example.com.",
                "ns 300 IN A 127.0.0.1",
                "db 1 IN A " + address,
                "");
    }

    /** The A records after the CNAME, in answer order, asked with dnsjava. */
    private static List<String> addresses(InetSocketAddress dns) throws IOException {
        Message m = dnsjava(dns, "ext.example.test.", Type.A, false);
        List<org.xbill.DNS.Record> answer = m.getSection(Section.ANSWER);
        assertThat(answer).as("answer of " + m).isNotEmpty();
        assertThat(answer.get(0).getType()).isEqualTo(Type.CNAME);
        List<String> out = new ArrayList<>();
        for (org.xbill.DNS.Record r : answer) {
            if (r.getType() == Type.A) {
                out.add(r.rdataToString());
            }
        }
        return out;
    }

    private static DnsServer start(String... options) {
        List<String> args = new ArrayList<>(List.of(
                "--records",
                records.toString(),
                "--zone",
                "example.test",
                "--zone",
                "other.test",
                "--udp-sockets",
                "1"));
        args.addAll(List.of(options));
        return InProcessServer.start(args.toArray(new String[0]));
    }

    private static double fastPathHits(DnsServer server) {
        return server.metrics().count("zonekeeper.dns.answer.cache", "result", "hit");
    }

    private static Message dnsjava(InetSocketAddress dns, String qname, int qtype, boolean tcp) throws IOException {
        SimpleResolver resolver = new SimpleResolver(dns);
        resolver.setTimeout(Duration.ofSeconds(5));
        resolver.setTCP(tcp);
        return resolver.send(
                Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(qname), qtype, DClass.IN)));
    }

    /** The response a user relies on, TTLs left out (the forwarder's cache counts them down). */
    private static String expected(String rcode, boolean aa, String question, String answer, String authority) {
        return rcode + (aa ? " aa" : "") + " ra q=" + question + "\nanswer="
                + ttlFree(DnsClients.canonical(answer, true)) + "\nauthority="
                + ttlFree(DnsClients.canonical(authority, true)) + "\nadditional=[]";
    }

    private static String withoutTtls(Reply r) {
        return r.rcode() + (r.aa() ? " aa" : "") + (r.tc() ? " tc" : "") + (r.ra() ? " ra" : "") + " q=" + r.question()
                + "\nanswer=" + ttlFree(r.answer()) + "\nauthority=" + ttlFree(r.authority())
                + "\nadditional=" + ttlFree(r.additional());
    }
}
