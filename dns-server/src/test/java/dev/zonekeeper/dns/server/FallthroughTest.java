package dev.zonekeeper.dns.server;

import static dev.zonekeeper.dns.testing.Loopback.hostPort;
import static dev.zonekeeper.dns.testing.Loopback.loopback;
import static dev.zonekeeper.dns.testing.Loopback.unusedPort;
import static dev.zonekeeper.dns.testing.TestServer.dnsRecord;
import static dev.zonekeeper.testing.DnsClients.ttlFree;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code --fallthrough ZONE}, as CoreDNS's {@code kubernetes cluster.local in-addr.arpa ip6.arpa { fallthrough
 * in-addr.arpa ip6.arpa }}: we serve all of {@code in-addr.arpa.} but hold PTRs for the cluster's addresses only, so
 * our NXDOMAIN for a name under a fallthrough zone is replaced by the forwarder's answer. Only NXDOMAIN falls through
 * (NODATA stays ours), only under the fallthrough zones, only when forwarding is configured, and such NXDOMAINs are
 * never pre-encoded. The upstream is a real Knot serving two reverse zones and a decoy {@code example.test}: wherever
 * it holds data for a name we answer ourselves, a wrongly forwarded question would show its decoy answer.
 * Questions come from dnsjava, dig and kdig over UDP (and once over TCP).
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class FallthroughTest {
    static final Map<String, String> UPSTREAM_ZONES = new LinkedHashMap<>();

    static {
        UPSTREAM_ZONES.put(
                "2.0.192.in-addr.arpa.",
                String.join(
                        "\n",
                        "$ORIGIN 2.0.192.in-addr.arpa.",
                        "@ 300 IN SOA ns.example.com. hostmaster.example.com. 1 7200 1800 86400 60",
                        "@ 300 IN NS ns.example.com.",
                        "10 300 IN PTR www.example.com.",
                        ""));
        // Decoys and one address of the service range that only the upstream knows.
        UPSTREAM_ZONES.put(
                "96.10.in-addr.arpa.",
                String.join(
                        "\n",
                        "$ORIGIN 96.10.in-addr.arpa.",
                        "@ 300 IN SOA ns.example.com. hostmaster.example.com. 1 7200 1800 86400 60",
                        "@ 300 IN NS ns.example.com.",
                        "1.0 300 IN PTR decoy.example.com.",
                        "1.0 300 IN TXT \"decoy\"",
                        "0 300 IN PTR decoy-ent.example.com.",
                        "2.0 300 IN PTR upstream-only.example.com.",
                        ""));
        UPSTREAM_ZONES.put(
                "example.test.",
                String.join(
                        "\n",
                        "$ORIGIN example.test.",
                        "@ 300 IN SOA ns.decoy.invalid. hostmaster.decoy.invalid. 1 7200 1800 86400 60",
                        "@ 300 IN NS ns.decoy.invalid.",
                        "missing 300 IN A 198.51.100.98",
                        ""));
    }

    static final String MANIFESTS = String.join(
            "",
            dnsRecord("1.0.96.10.in-addr.arpa.", "PTR", 30, "kubernetes.default.svc.cluster.local."),
            dnsRecord("www.example.test.", "A", 30, "10.96.0.1"));

    static final String OUR_PTR = "1.0.96.10.in-addr.arpa. 30 IN PTR kubernetes.default.svc.cluster.local.";

    /**
     * One question and the response a user relies on: rcode, AA, the answer (zone-file lines), the owner and type of
     * each authority record (whose SOA it is tells whose negative answer it is), and whether it is ours, i.e.
     * pre-encoded when asked again.
     */
    record Case(String desc, String qname, String qtype, String rcode, boolean aa, String answer, String authority) {
        @Override
        public String toString() {
            return desc;
        }
    }

    static final List<Case> CASES = List.of(
            new Case("our PTR: authoritative", "1.0.96.10.in-addr.arpa.", "PTR", "NOERROR", true, OUR_PTR, ""),
            new Case(
                    "PTR of an external address: the upstream's, AA clear",
                    "10.2.0.192.in-addr.arpa.",
                    "PTR",
                    "NOERROR",
                    false,
                    "10.2.0.192.in-addr.arpa. 300 IN PTR www.example.com.",
                    ""),
            new Case(
                    "a service-range address we lack: the upstream's",
                    "2.0.96.10.in-addr.arpa.",
                    "PTR",
                    "NOERROR",
                    false,
                    "2.0.96.10.in-addr.arpa. 300 IN PTR upstream-only.example.com.",
                    ""),
            new Case(
                    "NXDOMAIN upstream: the upstream's NXDOMAIN and SOA",
                    "99.2.0.192.in-addr.arpa.",
                    "PTR",
                    "NXDOMAIN",
                    false,
                    "",
                    "2.0.192.in-addr.arpa. SOA"),
            new Case(
                    "NODATA (our name, another type): ours, not forwarded",
                    "1.0.96.10.in-addr.arpa.",
                    "TXT",
                    "NOERROR",
                    true,
                    "",
                    "in-addr.arpa. SOA"),
            new Case(
                    "empty non-terminal: NODATA, ours",
                    "0.96.10.in-addr.arpa.",
                    "PTR",
                    "NOERROR",
                    true,
                    "",
                    "in-addr.arpa. SOA"),
            new Case(
                    "NXDOMAIN outside the fallthrough zones: ours",
                    "missing.example.test.",
                    "A",
                    "NXDOMAIN",
                    true,
                    "",
                    "example.test. SOA"));

    private static KnotServer knot;
    private static Path records;
    /** One server per client, so the first question of each case is the first that server sees. */
    private static final Map<Client, DnsServer> SERVERS = new EnumMap<>(Client.class);

    @BeforeAll
    static void start() throws IOException {
        knot = KnotServer.start(UPSTREAM_ZONES, loopback(0));
        records = Files.createTempDirectory("zk-records");
        Files.writeString(records.resolve("records.yaml"), MANIFESTS, StandardCharsets.UTF_8);
        for (Client c : Client.values()) {
            SERVERS.put(c, server("--upstream", hostPort(knot.address()), "--fallthrough", "in-addr.arpa"));
        }
    }

    @AfterAll
    static void stop() throws IOException {
        SERVERS.values().forEach(DnsServer::close);
        if (knot != null) {
            knot.close();
        }
        if (records != null) {
            try (Stream<Path> files = Files.walk(records)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static Stream<Arguments> cases() {
        return DnsClients.everyClientWith(CASES);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void nxdomainUnderAFallthroughZoneIsForwarded(Client client, Case tc) throws Exception {
        DnsServer server = SERVERS.get(client);
        InetSocketAddress dns = InProcessServer.dns(server);
        String expected =
                expected(tc.rcode(), tc.aa(), true, tc.qname() + " " + tc.qtype(), tc.answer(), tc.authority());
        double fast = fastPathHits(server);
        assertThat(shape(client.ask(dns, tc.qname(), tc.qtype())))
                .as("first answer")
                .isEqualTo(expected);
        assertThat(shape(client.ask(dns, tc.qname(), tc.qtype())))
                .as("second answer")
                .isEqualTo(expected);
        assertThat(fastPathHits(server))
                .as(
                        tc.aa()
                                ? "our answer is pre-encoded the second time"
                                : "a forwarded NXDOMAIN of ours is never pre-encoded")
                .isEqualTo(tc.aa() ? fast + 1 : fast);
    }

    @Test
    void overTcpToo() {
        Reply r =
                DnsClients.dig(InProcessServer.dns(SERVERS.get(Client.DIG)), "10.2.0.192.in-addr.arpa.", "PTR", "+tcp");
        assertThat(shape(r))
                .isEqualTo(expected(
                        "NOERROR",
                        false,
                        true,
                        "10.2.0.192.in-addr.arpa. PTR",
                        "10.2.0.192.in-addr.arpa. 300 IN PTR www.example.com.",
                        ""));
    }

    @Test
    void withoutFallthroughOurNxdomainIsAnswered() {
        DnsServer server = server("--upstream", hostPort(knot.address()));
        try {
            assertOurNxdomain(server, true);
        } finally {
            server.close();
        }
    }

    @Test
    void withoutForwardingFallthroughHasNoEffect() {
        DnsServer server = server("--upstream", "none", "--fallthrough", "in-addr.arpa");
        try {
            assertOurNxdomain(server, false);
        } finally {
            server.close();
        }
    }

    @Test
    void onlyNamesUnderTheFallthroughZonesFallThrough() {
        DnsServer server = server("--upstream", hostPort(knot.address()), "--fallthrough", "2.0.192.IN-ADDR.ARPA.");
        try {
            InetSocketAddress dns = InProcessServer.dns(server);
            assertThat(shape(DnsClients.dig(dns, "10.2.0.192.in-addr.arpa.", "PTR")))
                    .isEqualTo(expected(
                            "NOERROR",
                            false,
                            true,
                            "10.2.0.192.in-addr.arpa. PTR",
                            "10.2.0.192.in-addr.arpa. 300 IN PTR www.example.com.",
                            ""));
            assertThat(shape(DnsClients.dig(dns, "2.0.96.10.in-addr.arpa.", "PTR")))
                    .as("outside 2.0.192.in-addr.arpa")
                    .isEqualTo(
                            expected("NXDOMAIN", true, true, "2.0.96.10.in-addr.arpa. PTR", "", "in-addr.arpa. SOA"));
        } finally {
            server.close();
        }
    }

    @Test
    void anUnreachableUpstreamGivesServfail() {
        DnsServer server = server("--upstream", hostPort(unusedPort()), "--fallthrough", "in-addr.arpa");
        try {
            InetSocketAddress dns = InProcessServer.dns(server);
            assertThat(DnsClients.dig(dns, "10.2.0.192.in-addr.arpa.", "PTR").rcode())
                    .isEqualTo("SERVFAIL");
            assertThat(shape(DnsClients.dig(dns, "1.0.96.10.in-addr.arpa.", "PTR")))
                    .as("our own PTR, at once")
                    .isEqualTo(expected("NOERROR", true, true, "1.0.96.10.in-addr.arpa. PTR", OUR_PTR, ""));
        } finally {
            server.close();
        }
    }

    /** 10.2.0.192.in-addr.arpa. PTR: our NXDOMAIN (AA, our SOA), from pre-encoded bytes when asked again. */
    private static void assertOurNxdomain(DnsServer server, boolean ra) {
        InetSocketAddress dns = InProcessServer.dns(server);
        String expected = expected("NXDOMAIN", true, ra, "10.2.0.192.in-addr.arpa. PTR", "", "in-addr.arpa. SOA");
        double fast = fastPathHits(server);
        assertThat(shape(DnsClients.dig(dns, "10.2.0.192.in-addr.arpa.", "PTR")))
                .isEqualTo(expected);
        assertThat(shape(DnsClients.kdig(dns, "10.2.0.192.in-addr.arpa.", "PTR")))
                .isEqualTo(expected);
        assertThat(fastPathHits(server)).as("the second from pre-encoded bytes").isEqualTo(fast + 1);
    }

    private static DnsServer server(String... options) {
        List<String> args = new ArrayList<>(List.of(
                "--records",
                records.toString(),
                "--zone",
                "example.test",
                "--zone",
                "in-addr.arpa",
                "--udp-sockets",
                "1"));
        args.addAll(List.of(options));
        return InProcessServer.start(args.toArray(new String[0]));
    }

    private static double fastPathHits(DnsServer server) {
        return server.metrics().count("zonekeeper.dns.answer.cache", "result", "hit");
    }

    private static String expected(
            String rcode, boolean aa, boolean ra, String question, String answer, String authority) {
        Set<String> auth = new TreeSet<>();
        for (String line : authority.split("\n")) {
            if (!line.isBlank()) {
                auth.add(line.trim());
            }
        }
        return rcode + (aa ? " aa" : "") + (ra ? " ra" : "") + " q=" + question + "\nanswer="
                + ttlFree(DnsClients.canonical(answer, true)) + "\nauthority=" + auth + "\nadditional=[]";
    }

    /**
     * Rcode, flags, question (name in lower case: kdig sends it so), answer without TTLs (the forwarder's cache
     * counts them down), authority as owner and type.
     */
    private static String shape(Reply r) {
        Set<String> auth = new TreeSet<>();
        for (String line : r.authority()) {
            String[] f = line.split("\\s+");
            auth.add(f[0] + " " + f[3]);
        }
        String[] q = r.question().split(" ", 2);
        return r.rcode() + (r.aa() ? " aa" : "") + (r.tc() ? " tc" : "") + (r.ra() ? " ra" : "") + " q="
                + q[0].toLowerCase(Locale.ROOT) + " " + q[1] + "\nanswer=" + ttlFree(r.answer()) + "\nauthority="
                + auth + "\nadditional=" + r.additional();
    }
}
