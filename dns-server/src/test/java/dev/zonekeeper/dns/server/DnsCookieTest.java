package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.testing.ExamplesServer;
import dev.zonekeeper.dns.testing.InProcessServer;
import dev.zonekeeper.dns.testing.Packets;
import dev.zonekeeper.testing.DnsClients;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.CookieOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Issue 13: DNS cookies (RFC 7873, server cookies per RFC 9018). dig sends a client cookie and checks the server
 * cookie it gets back ("(good)"); kdig shows it; a server cookie presented again is valid; malformed lengths get
 * FORMERR on UDP and TCP; a forged server cookie is answered with a fresh one and counted as invalid.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DnsCookieTest {
    private static final Pattern DIG_COOKIE = Pattern.compile("; COOKIE: ([0-9a-f]{48}) \\(good\\)");

    @RegisterExtension
    static final ExamplesServer EXAMPLES = new ExamplesServer();

    private double cookies(String result) {
        return EXAMPLES.server().metrics().count("zonekeeper.dns.cookies", "result", result);
    }

    private String tool(String name, String pkg, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(DnsClients.tool(name, pkg).toString());
        cmd.add("@" + EXAMPLES.dns().getAddress().getHostAddress());
        cmd.add("-p");
        cmd.add(String.valueOf(EXAMPLES.dns().getPort()));
        cmd.addAll(List.of(args));
        return DnsClients.run(cmd);
    }

    /** The cookie dig printed as good (client + server cookie, hex), failing when there is none. */
    private String goodCookie(String digOutput) {
        Matcher m = DIG_COOKIE.matcher(digOutput);
        assertThat(m.find())
                .as("dig saw a good server cookie in:\n%s", digOutput)
                .isTrue();
        assertThat(digOutput).contains("status: NOERROR");
        return m.group(1);
    }

    @Test
    void digCookieIsAnsweredOnTheFastPathTheFullPathAndTcp() {
        double before = cookies("client_only");
        // the fast path (a cached A), the full path (ANY over UDP is never pre-encoded), TCP, a name not in the zone
        for (String[] q : List.of(
                new String[] {"www.example.test", "A"},
                new String[] {"www.example.test", "A"},
                new String[] {"example.test", "ANY", "+notcp"},
                new String[] {"www.example.test", "AAAA", "+tcp"},
                new String[] {"nothing-here.example.test", "A"},
                new String[] {"www.example.org", "A"})) {
            List<String> args = new ArrayList<>(List.of("+cookie", "+tries=1", "+time=5"));
            args.addAll(Arrays.asList(q).subList(2, q.length));
            args.add(q[0]);
            args.add(q[1]);
            String out = tool("dig", "bind9-dnsutils", args.toArray(new String[0]));
            Matcher m = DIG_COOKIE.matcher(out);
            assertThat(m.find())
                    .as("%s: dig saw a good server cookie in:\n%s", String.join(" ", q), out)
                    .isTrue();
        }
        assertThat(cookies("client_only")).isEqualTo(before + 6);
    }

    @Test
    void aServerCookiePresentedAgainIsValidOnUdpAndTcp() {
        String first = goodCookie(tool("dig", "bind9-dnsutils", "+cookie", "+tries=1", "www.example.test", "A"));
        double valid = cookies("valid");
        for (String transport : new String[] {"+notcp", "+tcp"}) {
            String again = goodCookie(
                    tool("dig", "bind9-dnsutils", "+cookie=" + first, transport, "+tries=1", "www.example.test", "A"));
            assertThat(again).as("same client cookie").startsWith(first.substring(0, 16));
        }
        assertThat(cookies("valid")).as("valid server cookies counted").isEqualTo(valid + 2);
    }

    @Test
    void kdigGetsItsClientCookieBackWithAServerCookie() {
        String clientCookie = "0123456789abcdef";
        for (String transport : new String[] {"+notcp", "+tcp"}) {
            String out = tool(
                    "kdig", "knot-dnsutils", "+cookie=" + clientCookie, transport, "+retry=0", "www.example.test", "A");
            Matcher m = Pattern.compile(";; COOKIE: ([0-9A-Fa-f]{16})([0-9A-Fa-f]{32})")
                    .matcher(out);
            assertThat(m.find())
                    .as("kdig printed a cookie with a 16-byte server cookie:\n%s", out)
                    .isTrue();
            assertThat(m.group(1)).isEqualToIgnoringCase(clientCookie);
            assertThat(m.group(2)).as("version 1 (RFC 9018)").startsWith("01000000");
            assertThat(out).contains("status: NOERROR");
        }
    }

    @Test
    void aForgedServerCookieIsAnsweredWithAFreshOneAndCountedInvalid() throws IOException {
        byte[] forged = new byte[24];
        Arrays.fill(forged, (byte) 0x5A);
        forged[8] = 1; // version 1, a timestamp and hash of our own making
        double invalid = cookies("invalid");
        for (boolean tcp : new boolean[] {false, true}) {
            byte[] q = EdnsOptionAgreementTest.query(
                    7, "www.example.test", Type.A, DClass.IN, EdnsOptionAgreementTest.option(10, forged));
            Message r = new Message(tcp ? EXAMPLES.tcp(q) : EXAMPLES.udp(q));
            assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(r.getSection(Section.ANSWER)).hasSize(2);
            OPTRecord opt = r.getOPT();
            List<EDNSOption> options = opt.getOptions(EDNSOption.Code.COOKIE);
            assertThat(options).hasSize(1);
            CookieOption c = (CookieOption) options.get(0);
            assertThat(c.getClientCookie()).isEqualTo(Arrays.copyOf(forged, 8));
            assertThat(c.getServerCookie()).isPresent();
            assertThat(HexFormat.of().formatHex(c.getServerCookie().get()))
                    .isNotEqualTo(HexFormat.of().formatHex(Arrays.copyOfRange(forged, 8, 24)));
        }
        assertThat(cookies("invalid")).isEqualTo(invalid + 2);
    }

    /** RFC 7873 5.2.2: a COOKIE option of another length than 8 or 16-40 is FORMERR, on UDP and TCP. */
    @ParameterizedTest(name = "cookie option of {0} bytes")
    @ValueSource(ints = {0, 1, 4, 7, 9, 12, 15, 41, 48, 200})
    void malformedCookieLengthsGetFormerr(int length) throws IOException {
        double malformed = InProcessServer.sum(EXAMPLES.server(), "zonekeeper.dns.malformed");
        for (boolean tcp : new boolean[] {false, true}) {
            for (int qclass : new int[] {DClass.IN, DClass.ANY}) {
                byte[] q = EdnsOptionAgreementTest.query(
                        9, "www.example.test", Type.A, qclass, EdnsOptionAgreementTest.option(10, new byte[length]));
                byte[] r = tcp ? EXAMPLES.tcp(q) : EXAMPLES.udp(q);
                assertThat(Packets.u16(r, 0)).isEqualTo(9);
                assertThat(r[3] & 0xF)
                        .as("rcode (%s, class %s)", tcp ? "tcp" : "udp", DClass.string(qclass))
                        .isEqualTo(Rcode.FORMERR);
            }
        }
        assertThat(InProcessServer.sum(EXAMPLES.server(), "zonekeeper.dns.malformed"))
                .as("counted")
                .isEqualTo(malformed + 4);
    }

    @Test
    void queriesWithoutACookieGetNone() throws IOException {
        Message q = Message.newQuery(
                org.xbill.DNS.Record.newRecord(Name.fromConstantString("www.example.test."), Type.A, DClass.IN));
        q.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        Message r = new Message(EXAMPLES.udp(q.toWire()));
        assertThat(r.getOPT()).isNotNull();
        assertThat(r.getOPT().getOptions()).isEmpty();
    }
}
