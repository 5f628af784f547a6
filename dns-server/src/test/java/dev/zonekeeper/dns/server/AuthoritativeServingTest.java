package dev.zonekeeper.dns.server;

import static dev.zonekeeper.dns.testing.TestServer.dnsRecord;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.testing.TestServer;
import dev.zonekeeper.testing.DnsClients;
import dev.zonekeeper.testing.DnsClients.Client;
import dev.zonekeeper.testing.DnsClients.Reply;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The server as users meet it: started in-process from DnsRecord manifests with {@code --zone example.test --zone
 * 2.0.192.in-addr.arpa --upstream none}, asked over UDP on loopback by three real clients (dnsjava's SimpleResolver,
 * ISC dig, Knot's kdig). Each case of {@link #CASES} states rcode, AA and the three sections as zone-file text
 * (compared as sets, owner names in canonical case); each is asked twice, the second time with the letter case of the
 * name flipped, and the second answer must come from the pre-encoded answers (the fast path) and be the same.
 * Each client gets its own server, so the first question of every case really is the first one that server sees.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class AuthoritativeServingTest {
    /** TTL of the generated SOA and NS (--zone-ttl); SOA MINIMUM is the same, so negative answers are cached this long. */
    static final int ZONE_TTL = 45;
    /** More than one TXT string can hold (255 bytes): served as a 255-byte string followed by the rest. */
    static final String LONG_TEXT =
            "v=DKIM1;k=rsa;p=" + "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA".repeat(7) + "IDAQAB";

    static final String MANIFESTS = String.join(
            "",
            dnsRecord("www.example.test.", "A", 300, "192.0.2.10", "192.0.2.11"),
            dnsRecord("www.example.test.", "AAAA", 300, "2001:db8::10"),
            dnsRecord("app.example.test.", "CNAME", 60, "alias.example.test."),
            dnsRecord("alias.example.test.", "CNAME", 60, "www.example.test."),
            dnsRecord("dangling.example.test.", "CNAME", 60, "gone.example.test."),
            dnsRecord("example.test.", "MX", 3600, "10 mail.example.test.", "20 mail2.example.test."),
            dnsRecord("mail.example.test.", "A", null, "192.0.2.25"),
            dnsRecord("mail2.example.test.", "AAAA", null, "2001:db8::26"),
            dnsRecord(
                    "info.example.test.",
                    "TXT",
                    null,
                    "\"first string\" \"second string\" \"a \\\"quoted\\\" word\"",
                    "\"owner=platform-team\""),
            dnsRecord("dkim.example.test.", "TXT", 3600, LONG_TEXT),
            dnsRecord(
                    "_sip._tcp.example.test.",
                    "SRV",
                    null,
                    "10 60 5060 sip1.example.test.",
                    "10 40 5060 sip2.example.test."),
            dnsRecord("sip1.example.test.", "A", null, "192.0.2.61"),
            dnsRecord("sip2.example.test.", "AAAA", null, "2001:db8::62"),
            dnsRecord("lab.example.test.", "NS", 3600, "ns1.lab.example.test.", "ns2.lab.example.test."),
            dnsRecord("ns1.lab.example.test.", "A", 3600, "192.0.2.53"),
            dnsRecord("ns2.lab.example.test.", "A", 3600, "192.0.2.54"),
            dnsRecord(
                    "example.test.",
                    "CAA",
                    3600,
                    "0 issue \"letsencrypt.org\"",
                    "0 iodef \"mailto:security@example.test\""),
            dnsRecord("*.apps.example.test.", "A", null, "192.0.2.20"),
            dnsRecord("10.2.0.192.in-addr.arpa.", "PTR", null, "www.example.test."),
            dnsRecord("25.2.0.192.in-addr.arpa.", "PTR", null, "mail.example.test."));

    static final String SOA =
            "example.test. 45 IN SOA ns.dns.example.test. hostmaster.example.test. SERIAL 7200 1800 86400 45";
    static final String REVERSE_SOA = "2.0.192.in-addr.arpa. 45 IN SOA ns.dns.2.0.192.in-addr.arpa. "
            + "hostmaster.2.0.192.in-addr.arpa. SERIAL 7200 1800 86400 45";
    static final String WWW = "www.example.test. 300 IN A 192.0.2.10\nwww.example.test. 300 IN A 192.0.2.11";
    static final String REFERRAL = "lab.example.test. 3600 IN NS ns1.lab.example.test.\n"
            + "lab.example.test. 3600 IN NS ns2.lab.example.test.";
    static final String GLUE = "ns1.lab.example.test. 3600 IN A 192.0.2.53\nns2.lab.example.test. 3600 IN A 192.0.2.54";

    /** One question and the whole expected response; sections as zone-file lines, "" for empty. */
    record Case(
            String desc,
            String qname,
            String qtype,
            String rcode,
            boolean aa,
            String answer,
            String authority,
            String additional) {
        @Override
        public String toString() {
            return desc;
        }
    }

    static final List<Case> CASES = List.of(
            new Case("A, two records", "www.example.test.", "A", "NOERROR", true, WWW, "", ""),
            new Case(
                    "AAAA",
                    "www.example.test.",
                    "AAAA",
                    "NOERROR",
                    true,
                    "www.example.test. 300 IN AAAA 2001:db8::10",
                    "",
                    ""),
            new Case(
                    "letter case: matched ignoring case, question echoed as sent",
                    "MaIl.ExAmPlE.TeSt.",
                    "A",
                    "NOERROR",
                    true,
                    "mail.example.test. 30 IN A 192.0.2.25",
                    "",
                    ""),
            new Case(
                    "CNAME chain followed inside the zone",
                    "app.example.test.",
                    "A",
                    "NOERROR",
                    true,
                    "app.example.test. 60 IN CNAME alias.example.test.\n"
                            + "alias.example.test. 60 IN CNAME www.example.test.\n" + WWW,
                    "",
                    ""),
            new Case(
                    "CNAME chain for AAAA",
                    "app.example.test.",
                    "AAAA",
                    "NOERROR",
                    true,
                    "app.example.test. 60 IN CNAME alias.example.test.\n"
                            + "alias.example.test. 60 IN CNAME www.example.test.\n"
                            + "www.example.test. 300 IN AAAA 2001:db8::10",
                    "",
                    ""),
            new Case(
                    "CNAME asked for itself is not followed",
                    "app.example.test.",
                    "CNAME",
                    "NOERROR",
                    true,
                    "app.example.test. 60 IN CNAME alias.example.test.",
                    "",
                    ""),
            new Case(
                    "CNAME to a missing name: NXDOMAIN with the CNAME and the SOA",
                    "dangling.example.test.",
                    "A",
                    "NXDOMAIN",
                    true,
                    "dangling.example.test. 60 IN CNAME gone.example.test.",
                    SOA,
                    ""),
            new Case(
                    "MX with the exchangers' addresses in additional",
                    "example.test.",
                    "MX",
                    "NOERROR",
                    true,
                    "example.test. 3600 IN MX 10 mail.example.test.\nexample.test. 3600 IN MX 20 mail2.example.test.",
                    "",
                    "mail.example.test. 30 IN A 192.0.2.25\nmail2.example.test. 30 IN AAAA 2001:db8::26"),
            new Case(
                    "TXT: several strings, escaped quotes, two records",
                    "info.example.test.",
                    "TXT",
                    "NOERROR",
                    true,
                    "info.example.test. 30 IN TXT \"first string\" \"second string\" \"a \\\"quoted\\\" word\"\n"
                            + "info.example.test. 30 IN TXT \"owner=platform-team\"",
                    "",
                    ""),
            new Case(
                    "TXT longer than 255 bytes: split into strings",
                    "dkim.example.test.",
                    "TXT",
                    "NOERROR",
                    true,
                    "dkim.example.test. 3600 IN TXT \"" + LONG_TEXT.substring(0, 255) + "\" \""
                            + LONG_TEXT.substring(255) + "\"",
                    "",
                    ""),
            new Case(
                    "SRV with targets' addresses in additional",
                    "_sip._tcp.example.test.",
                    "SRV",
                    "NOERROR",
                    true,
                    "_sip._tcp.example.test. 30 IN SRV 10 60 5060 sip1.example.test.\n"
                            + "_sip._tcp.example.test. 30 IN SRV 10 40 5060 sip2.example.test.",
                    "",
                    "sip1.example.test. 30 IN A 192.0.2.61\nsip2.example.test. 30 IN AAAA 2001:db8::62"),
            new Case("empty non-terminal: NODATA", "_tcp.example.test.", "SRV", "NOERROR", true, "", SOA, ""),
            new Case(
                    "delegation: referral without AA, glue in additional",
                    "host.lab.example.test.",
                    "A",
                    "NOERROR",
                    false,
                    "",
                    REFERRAL,
                    GLUE),
            new Case(
                    "delegation point itself: referral",
                    "lab.example.test.",
                    "NS",
                    "NOERROR",
                    false,
                    "",
                    REFERRAL,
                    GLUE),
            new Case(
                    "glue is not answered authoritatively",
                    "ns1.lab.example.test.",
                    "A",
                    "NOERROR",
                    false,
                    "",
                    REFERRAL,
                    GLUE),
            new Case("SOA at the apex", "example.test.", "SOA", "NOERROR", true, SOA, "", ""),
            new Case(
                    "NS at the apex with the server's address",
                    "example.test.",
                    "NS",
                    "NOERROR",
                    true,
                    "example.test. 45 IN NS ns.dns.example.test.",
                    "",
                    "ns.dns.example.test. 45 IN A 127.0.0.1"),
            new Case(
                    "CAA",
                    "example.test.",
                    "CAA",
                    "NOERROR",
                    true,
                    "example.test. 3600 IN CAA 0 issue \"letsencrypt.org\"\n"
                            + "example.test. 3600 IN CAA 0 iodef \"mailto:security@example.test\"",
                    "",
                    ""),
            new Case(
                    "wildcard: owner is the name asked",
                    "x.apps.example.test.",
                    "A",
                    "NOERROR",
                    true,
                    "x.apps.example.test. 30 IN A 192.0.2.20",
                    "",
                    ""),
            new Case(
                    "wildcard, deeper name",
                    "a.b.apps.example.test.",
                    "A",
                    "NOERROR",
                    true,
                    "a.b.apps.example.test. 30 IN A 192.0.2.20",
                    "",
                    ""),
            new Case("wildcard, other type: NODATA", "y.apps.example.test.", "AAAA", "NOERROR", true, "", SOA, ""),
            new Case("NXDOMAIN: SOA with the negative TTL", "nope.example.test.", "A", "NXDOMAIN", true, "", SOA, ""),
            new Case("NXDOMAIN below an existing name", "x.www.example.test.", "A", "NXDOMAIN", true, "", SOA, ""),
            new Case("NODATA: name exists, type does not", "www.example.test.", "TXT", "NOERROR", true, "", SOA, ""),
            new Case(
                    "PTR",
                    "10.2.0.192.in-addr.arpa.",
                    "PTR",
                    "NOERROR",
                    true,
                    "10.2.0.192.in-addr.arpa. 30 IN PTR www.example.test.",
                    "",
                    ""),
            new Case(
                    "PTR NXDOMAIN: the reverse zone's SOA",
                    "99.2.0.192.in-addr.arpa.",
                    "PTR",
                    "NXDOMAIN",
                    true,
                    "",
                    REVERSE_SOA,
                    ""),
            new Case(
                    "name under no zone, no forwarding: REFUSED",
                    "www.example.org.",
                    "A",
                    "REFUSED",
                    false,
                    "",
                    "",
                    ""),
            new Case("parent of a zone: REFUSED", "test.", "SOA", "REFUSED", false, "", "", ""));

    private static final Map<Client, TestServer> SERVERS = new EnumMap<>(Client.class);
    private static final Map<Client, Long> SERIALS = new EnumMap<>(Client.class);

    @BeforeAll
    static void startServers() throws Exception {
        for (Client c : Client.values()) {
            TestServer s = TestServer.withManifests(
                    MANIFESTS,
                    "--zone",
                    "example.test",
                    "--zone",
                    "2.0.192.in-addr.arpa",
                    "--zone-ttl",
                    String.valueOf(ZONE_TTL));
            SERVERS.put(c, s);
            // Both zones are built together and share the serial (the time of loading); read it once per server,
            // from a negative answer to a name no case asks.
            org.xbill.DNS.Record soa = DnsClients.parse(
                            DnsClients.dnsjava(s.address(), "serial-probe.example.test.", "A")
                                    .authority()
                                    .iterator()
                                    .next())
                    .get(0);
            SERIALS.put(c, ((org.xbill.DNS.SOARecord) soa).getSerial());
        }
    }

    @AfterAll
    static void stopServers() {
        SERVERS.values().forEach(TestServer::close);
    }

    static Stream<Arguments> cases() {
        return DnsClients.everyClientWith(CASES);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void answersAsTheTableSays(Client client, Case tc) throws Exception {
        TestServer server = SERVERS.get(client);
        boolean authoritative = !tc.rcode().equals("REFUSED");

        double hits = server.fastPathHits();
        Reply first = client.ask(server.address(), tc.qname(), tc.qtype());
        assertThat(first.content())
                .as("first answer (built from the zone)")
                .isEqualTo(expected(tc, client, tc.qname(), SERIALS.get(client)).content());
        assertThat(server.fastPathHits())
                .as("the first question is answered by building the answer")
                .isEqualTo(hits);

        String flipped = flipCase(tc.qname());
        Reply second = client.ask(server.address(), flipped, tc.qtype());
        assertThat(second.content())
                .as("second answer, asked as %s", flipped)
                .isEqualTo(expected(tc, client, flipped, SERIALS.get(client)).content());
        assertThat(server.fastPathHits())
                .as("the second question is answered from pre-encoded bytes")
                .isEqualTo(authoritative ? hits + 1 : hits);
        assertThat(withoutQuestion(second)).as("same answer both times").isEqualTo(withoutQuestion(first));
    }

    /** The question as the client puts it on the wire: kdig sends names in lower case, the others as given. */
    private static Reply expected(Case tc, Client client, String qnameSent, long serial) {
        Reply r = expected(tc, serial);
        String q = (client == Client.KDIG ? qnameSent.toLowerCase(Locale.ROOT) : qnameSent) + " " + tc.qtype();
        return new Reply(
                0, r.rcode(), r.aa(), false, false, q, r.answer(), r.authority(), r.additional(), -1, false, 0);
    }

    private static Reply expected(Case tc, long serial) {
        return new Reply(
                0,
                tc.rcode(),
                tc.aa(),
                false,
                false,
                tc.qname() + " " + tc.qtype(),
                section(tc.answer(), serial),
                section(tc.authority(), serial),
                section(tc.additional(), serial),
                -1,
                false,
                0);
    }

    private static Set<String> section(String text, long serial) {
        return DnsClients.canonical(text.replace("SERIAL", Long.toString(serial)), true);
    }

    private static String withoutQuestion(Reply r) {
        return r.content().substring(r.content().indexOf('\n'));
    }

    /** "www.example.test." -> "WWW.EXAMPLE.TEST.", "WwW" -> "wWw". */
    static String flipCase(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            sb.append(Character.isUpperCase(ch) ? Character.toLowerCase(ch) : Character.toUpperCase(ch));
        }
        return sb.toString();
    }

    @Test
    void everyCaseIsDistinct() {
        // Each (name, type) is asked once per server, so "first" and "second" in the cases above are exact.
        Set<String> keys = new java.util.HashSet<>();
        for (Case tc : CASES) {
            assertThat(keys.add(tc.qname().toLowerCase(Locale.ROOT) + " " + tc.qtype()))
                    .as(tc.desc())
                    .isTrue();
        }
    }
}
