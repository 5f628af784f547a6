package dev.zonekeeper.dns.server;

import static dev.zonekeeper.dns.testing.TestServer.dnsRecord;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.testing.TestServer;
import dev.zonekeeper.testing.DnsClients;
import dev.zonekeeper.testing.DnsClients.Reply;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * EDNS0 and the transports, with dig, kdig and raw sockets: our OPT advertises 1232 bytes (DNS flag day 2020); a UDP
 * answer never exceeds what the client can take (512 without EDNS, its EDNS size) nor 1232, and is cut with TC=1
 * when larger, while TCP carries it whole; EDNS versions other than 0 get BADVERS; TCP per RFC 7766 takes several
 * pipelined queries on one connection and closes idle connections ({@code --tcp-idle-timeout}).
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class EdnsAndTcpTest {
    /** 40 addresses: about 680 bytes, more than 512 and less than 1232. */
    static final int BIG = 40;
    /** 100 addresses: about 1650 bytes, more than 1232. */
    static final int HUGE = 100;

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.withManifests(
                String.join(
                        "",
                        dnsRecord("www.example.test.", "A", 300, "192.0.2.10"),
                        dnsRecord("big.example.test.", "A", 60, addresses(BIG)),
                        dnsRecord("huge.example.test.", "A", 60, addresses(HUGE))),
                "--zone",
                "example.test",
                "--tcp-idle-timeout",
                "1");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String[] addresses(int n) {
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            out[i] = "198.51." + (i / 250) + "." + (i % 250 + 1);
        }
        return out;
    }

    private static Set<String> addressRecords(String owner, int n) {
        Set<String> out = new TreeSet<>();
        for (String a : addresses(n)) {
            out.add(DnsClients.canonical(owner + " 60 IN A " + a, true)
                    .iterator()
                    .next());
        }
        return out;
    }

    @Test
    void opt_advertises_1232_and_copies_the_do_bit() {
        Reply dig = DnsClients.dig(server.address(), "www.example.test.", "A");
        assertThat(dig.ednsUdpSize()).as("dig: udp").isEqualTo(1232);
        assertThat(dig.rcode()).isEqualTo("NOERROR");
        Reply kdig = DnsClients.kdig(server.address(), "www.example.test.", "A", "+edns");
        assertThat(kdig.ednsUdpSize()).as("kdig: UDP size").isEqualTo(1232);
        assertThat(dig.dnssecOk()).as("DO clear when the query's is").isFalse();
        for (int round = 0; round < 2; round++) {
            Reply dnssec = DnsClients.dig(server.address(), "www.example.test.", "A", "+dnssec");
            assertThat(dnssec.dnssecOk())
                    .as("DO copied from the query (RFC 3225), round %d", round)
                    .isTrue();
            assertThat(dnssec.answer()).isEqualTo(dig.answer());
            Reply kdnssec = DnsClients.kdig(server.address(), "nope.example.test.", "A", "+dnssec");
            assertThat(kdnssec.dnssecOk())
                    .as("kdig: DO copied, NXDOMAIN, round %d", round)
                    .isTrue();
            assertThat(kdnssec.rcode()).isEqualTo("NXDOMAIN");
        }
        Reply badvers =
                DnsClients.dig(server.address(), "www.example.test.", "A", "+dnssec", "+edns=1", "+noednsnegotiation");
        assertThat(badvers.dnssecOk()).as("DO copied into BADVERS too").isTrue();
        Reply noEdns = DnsClients.dig(server.address(), "www.example.test.", "A", "+noedns");
        assertThat(noEdns.ednsUdpSize())
                .as("no OPT in the answer to a query without one")
                .isEqualTo(-1);
        assertThat(noEdns.answer()).isEqualTo(dig.answer());
    }

    /** Each twice: the first answer is built, the second comes from the pre-encoded answers and must be cut too. */
    @ParameterizedTest(name = "UDP {0}: truncated at 512, whole over TCP")
    @ValueSource(strings = {"+bufsize=512", "+noedns"})
    void answer_larger_than_512_is_truncated_for_small_clients(String option) {
        for (int round = 0; round < 2; round++) {
            Reply cut = DnsClients.dig(server.address(), "big.example.test.", "A", option, "+ignore");
            assertThat(cut.tc()).as("TC, round %d", round).isTrue();
            assertThat(cut.size()).as("within 512 bytes").isLessThanOrEqualTo(512);
            assertThat(cut.rcode()).isEqualTo("NOERROR");
            assertThat(cut.answer()).as("no partial RRset").isEmpty();
        }
        Reply tcp = DnsClients.dig(server.address(), "big.example.test.", "A", option, "+tcp");
        assertThat(tcp.tc()).isFalse();
        assertThat(tcp.answer()).isEqualTo(addressRecords("big.example.test.", BIG));
        Reply kdig = DnsClients.kdig(
                server.address(),
                "big.example.test.",
                "A",
                "+ignore",
                option.equals("+noedns") ? "+noedns" : "+bufsize=512");
        assertThat(kdig.tc()).as("kdig sees TC too").isTrue();
        assertThat(kdig.size()).isLessThanOrEqualTo(512);
    }

    @Test
    void client_edns_size_is_honoured_up_to_1232() {
        Reply fits = DnsClients.dig(server.address(), "big.example.test.", "A", "+bufsize=4096", "+ignore");
        assertThat(fits.tc()).isFalse();
        assertThat(fits.size()).isGreaterThan(512);
        assertThat(fits.answer()).isEqualTo(addressRecords("big.example.test.", BIG));

        Reply smaller = DnsClients.dig(server.address(), "big.example.test.", "A", "+bufsize=600", "+ignore");
        assertThat(smaller.tc()).as("680 bytes do not fit in the client's 600").isTrue();
        assertThat(smaller.size()).isLessThanOrEqualTo(600);
    }

    @Test
    void udp_answers_never_exceed_1232_even_when_the_client_offers_more() {
        Set<String> all = addressRecords("huge.example.test.", HUGE);
        for (int round = 0; round < 2; round++) {
            Reply udp = DnsClients.dig(server.address(), "huge.example.test.", "A", "+bufsize=4096", "+ignore");
            assertThat(udp.tc()).as("TC, round %d", round).isTrue();
            assertThat(udp.size()).isLessThanOrEqualTo(1232);
            assertThat(udp.ednsUdpSize()).as("OPT kept in a cut answer").isEqualTo(1232);
            Reply tcp = DnsClients.dig(server.address(), "huge.example.test.", "A", "+bufsize=4096", "+tcp");
            assertThat(tcp.tc()).isFalse();
            assertThat(tcp.size()).isGreaterThan(1232);
            assertThat(tcp.answer()).isEqualTo(all);
        }
        Reply kdig = DnsClients.kdig(server.address(), "huge.example.test.", "A", "+bufsize=4096", "+ignore");
        assertThat(kdig.tc()).isTrue();
        assertThat(kdig.size()).isLessThanOrEqualTo(1232);
        Reply kdigTcp = DnsClients.kdig(server.address(), "huge.example.test.", "A", "+tcp");
        assertThat(kdigTcp.answer()).isEqualTo(all);
    }

    @Test
    void edns_version_1_gets_badvers() {
        Reply dig = DnsClients.dig(server.address(), "www.example.test.", "A", "+edns=1", "+noednsnegotiation");
        assertThat(dig.rcode()).as("dig status").isEqualTo("BADVERS");
        assertThat(dig.answer()).isEmpty();
        assertThat(dig.ednsUdpSize()).isEqualTo(1232);
        Reply kdig = DnsClients.kdig(server.address(), "www.example.test.", "A", "+edns=1");
        assertThat(kdig.rcode()).as("kdig status").isEqualTo("BADVERS");
    }

    @Test
    void tcp_takes_pipelined_queries_on_one_connection() throws Exception {
        String[] names = {"www.example.test.", "big.example.test.", "nope.example.test."};
        try (Socket socket =
                new Socket(server.address().getAddress(), server.address().getPort())) {
            socket.setSoTimeout(10_000);
            Map<Integer, String> sent = new HashMap<>();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (int i = 0; i < names.length; i++) {
                Message q =
                        Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(names[i]), Type.A, DClass.IN));
                q.getHeader().setID(4000 + i);
                sent.put(4000 + i, names[i]);
                byte[] wire = q.toWire();
                all.write(wire.length >>> 8);
                all.write(wire.length & 0xFF);
                all.write(wire);
            }
            OutputStream out = socket.getOutputStream();
            out.write(all.toByteArray()); // the three queries in one write, before reading anything
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            Map<Integer, Message> received = new HashMap<>();
            for (int i = 0; i < names.length; i++) {
                Message r = readFramed(in);
                received.put(r.getHeader().getID(), r);
            }
            assertThat(received.keySet()).isEqualTo(sent.keySet());
            for (Map.Entry<Integer, Message> e : received.entrySet()) {
                assertThat(e.getValue().getQuestion().getName().toString())
                        .as("answer to query %d", e.getKey())
                        .isEqualTo(sent.get(e.getKey()));
            }
            assertThat(received.get(4000).getSection(Section.ANSWER)).hasSize(1);
            assertThat(received.get(4001).getSection(Section.ANSWER)).hasSize(BIG);
            assertThat(received.get(4002).getRcode()).isEqualTo(Rcode.NXDOMAIN);

            // and the connection still takes queries afterwards
            Message again = Message.newQuery(
                    org.xbill.DNS.Record.newRecord(Name.fromString("www.example.test."), Type.AAAA, DClass.IN));
            again.getHeader().setID(4100);
            writeFramed(out, again.toWire());
            Message r = readFramed(in);
            assertThat(r.getHeader().getID()).isEqualTo(4100);
            assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
        }
    }

    @Test
    void idle_tcp_connection_is_closed_by_the_server() throws Exception {
        try (Socket socket =
                new Socket(server.address().getAddress(), server.address().getPort())) {
            socket.setSoTimeout(30_000); // only a guard against hanging: the server closes after 1 s idle
            Message q = Message.newQuery(
                    org.xbill.DNS.Record.newRecord(Name.fromString("www.example.test."), Type.A, DClass.IN));
            writeFramed(socket.getOutputStream(), q.toWire());
            InputStream in = socket.getInputStream();
            assertThat(readFramed(new DataInputStream(in)).getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(in.read()).as("end of stream after the idle timeout").isEqualTo(-1);
        }
    }

    @Test
    void tcp_idle_timeout_is_an_option() throws Exception {
        assertThat(dev.zonekeeper.dns.config.ServerConfig.USAGE).contains("--tcp-idle-timeout SECONDS");
        assertThat(dev.zonekeeper.dns.config.ServerConfig.parse(new String[0], List.of())
                        .tcpIdleTimeout())
                .as("default (RFC 7766 suggests seconds, not minutes)")
                .isEqualTo(10);
        assertThat(dev.zonekeeper.dns.config.ServerConfig.parse(new String[] {"--tcp-idle-timeout", "3"}, List.of())
                        .tcpIdleTimeout())
                .isEqualTo(3);
        List<String> bad = new ArrayList<>();
        for (String v : new String[] {"0", "-1", "ten"}) {
            try {
                dev.zonekeeper.dns.config.ServerConfig.parse(new String[] {"--tcp-idle-timeout", v}, List.of());
            } catch (dev.zonekeeper.dns.config.ServerConfig.ConfigException e) {
                assertThat(e.getMessage()).contains("--tcp-idle-timeout");
                bad.add(v);
            }
        }
        assertThat(bad).containsExactly("0", "-1", "ten");
    }

    private static void writeFramed(OutputStream out, byte[] wire) throws Exception {
        byte[] framed = new byte[wire.length + 2];
        framed[0] = (byte) (wire.length >>> 8);
        framed[1] = (byte) wire.length;
        System.arraycopy(wire, 0, framed, 2, wire.length);
        out.write(framed);
        out.flush();
    }

    private static Message readFramed(DataInputStream in) throws Exception {
        int length;
        try {
            length = in.readUnsignedShort();
        } catch (EOFException e) {
            throw new AssertionError("connection closed before the answer", e);
        }
        byte[] wire = new byte[length];
        in.readFully(wire);
        return new Message(wire);
    }
}
