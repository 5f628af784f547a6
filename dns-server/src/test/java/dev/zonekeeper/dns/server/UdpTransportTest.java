package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.DnsServer;
import dev.zonekeeper.dns.testing.InProcessServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The UDP transport over real sockets: several SO_REUSEPORT sockets, each with its own blocked reader, all answer on
 * one port; closing the server ends the readers and gives the port back.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class UdpTransportTest {
    private static final Name WWW = Name.fromConstantString("www.example.test.");

    private static DnsServer start(int sockets) {
        return InProcessServer.start(
                "--records",
                InProcessServer.exampleRecords().toString(),
                "--zone",
                "example.test",
                "--upstream",
                "none",
                "--udp-sockets",
                Integer.toString(sockets));
    }

    /** The reader threads of the server on that port (named {@code dns-udp-PORT-N}). */
    private static List<Thread> readers(InetSocketAddress dns) {
        List<Thread> out = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("dns-udp-" + dns.getPort() + "-") && t.isAlive()) {
                out.add(t);
            }
        }
        return out;
    }

    private static Message ask(DatagramChannel client, InetSocketAddress dns, int id) throws IOException {
        Message q = Message.newQuery(Record.newRecord(WWW, Type.A, 1));
        q.getHeader().setID(id);
        client.send(ByteBuffer.wrap(q.toWire()), dns);
        ByteBuffer in = ByteBuffer.allocate(4096);
        client.receive(in);
        in.flip();
        byte[] b = new byte[in.remaining()];
        in.get(b);
        return new Message(b);
    }

    @Test
    void everyClientIsAnsweredWhicheverOfTheSocketsTheKernelPicks() throws Exception {
        DnsServer server = start(4);
        InetSocketAddress dns = InProcessServer.dns(server);
        try {
            assertThat(readers(dns)).as("one reader thread per socket").hasSize(4);
            // 64 clients on 64 source ports: SO_REUSEPORT spreads them over the four sockets by their address hash
            for (int i = 0; i < 64; i++) {
                try (DatagramChannel client = DatagramChannel.open(StandardProtocolFamily.INET)) {
                    client.bind(new InetSocketAddress("127.0.0.1", 0));
                    client.socket().setSoTimeout(5000);
                    client.configureBlocking(true);
                    Message r = ask(client, dns, 1000 + i);
                    assertThat(r.getHeader().getID()).isEqualTo(1000 + i);
                    assertThat(r.getHeader().getFlag(Flags.QR)).isTrue();
                    assertThat(r.getHeader().getFlag(Flags.AA)).isTrue();
                    assertThat(r.getRcode()).isEqualTo(Rcode.NOERROR);
                    assertThat(r.getSection(Section.ANSWER))
                            .hasSizeGreaterThan(0)
                            .allSatisfy(rr -> assertThat(rr).isInstanceOf(ARecord.class));
                }
            }
            // one client sending many queries back to back on one source port: every one is answered, in order
            try (DatagramChannel client = DatagramChannel.open(StandardProtocolFamily.INET)) {
                client.socket().setSoTimeout(5000);
                for (int i = 0; i < 500; i++) {
                    assertThat(ask(client, dns, i).getHeader().getID()).isEqualTo(i);
                }
            }
        } finally {
            server.close();
        }
        assertThat(readers(dns)).as("closing the server ends every reader").isEmpty();
    }

    @Test
    void closingGivesThePortBackAndANewServerServesOnIt() throws Exception {
        DnsServer first = start(2);
        InetSocketAddress dns = InProcessServer.dns(first);
        first.close();
        assertThat(readers(dns)).isEmpty();
        try (DatagramChannel again = DatagramChannel.open(StandardProtocolFamily.INET)) {
            again.bind(dns); // throws if a socket of the closed server still holds the port
        }
        DnsServer second = InProcessServer.start(
                "--listen",
                "127.0.0.1:" + dns.getPort(),
                "--records",
                InProcessServer.exampleRecords().toString(),
                "--zone",
                "example.test",
                "--upstream",
                "none",
                "--udp-sockets",
                "2");
        try (DatagramChannel client = DatagramChannel.open(StandardProtocolFamily.INET)) {
            client.socket().setSoTimeout(5000);
            assertThat(InProcessServer.dns(second).getPort()).isEqualTo(dns.getPort());
            assertThat(ask(client, dns, 7).getRcode()).isEqualTo(Rcode.NOERROR);
        } finally {
            second.close();
        }
    }

    /**
     * A rolling restart on one address: the new server binds UDP and TCP beside the old one (SO_REUSEPORT on a given
     * port), and once the old one closes every query, over UDP and TCP, is answered by the new one. Before, the TCP
     * listener took the port alone and the second process stopped with "Address already in use".
     */
    @Test
    void aSecondServerJoinsTheSameAddressAndAnswersAfterTheFirstCloses() throws Exception {
        DnsServer first = start(1);
        InetSocketAddress dns = InProcessServer.dns(first);
        first.close();
        first = InProcessServer.start(
                "--listen",
                "127.0.0.1:" + dns.getPort(),
                "--records",
                InProcessServer.exampleRecords().toString(),
                "--zone",
                "example.test",
                "--upstream",
                "none",
                "--udp-sockets",
                "1");
        DnsServer second = null;
        try {
            second = InProcessServer.start(
                    "--listen",
                    "127.0.0.1:" + dns.getPort(),
                    "--records",
                    InProcessServer.exampleRecords().toString(),
                    "--zone",
                    "example.test",
                    "--upstream",
                    "none",
                    "--udp-sockets",
                    "1");
            assertThat(InProcessServer.dns(second).getPort()).isEqualTo(dns.getPort());
            first.close();
            assertThat(dev.zonekeeper.testing.DnsClients.dig(dns, "www.example.test", "A")
                            .rcode())
                    .isEqualTo("NOERROR");
            assertThat(dev.zonekeeper.testing.DnsClients.dig(dns, "www.example.test", "A", "+tcp")
                            .rcode())
                    .isEqualTo("NOERROR");
        } finally {
            first.close();
            if (second != null) {
                second.close();
            }
        }
    }

    @Test
    void aTakenUdpPortIsAClearErrorNamingIt() throws Exception {
        try (DatagramChannel squatter = DatagramChannel.open(StandardProtocolFamily.INET)) {
            squatter.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = ((InetSocketAddress) squatter.getLocalAddress()).getPort();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> InProcessServer.start(
                            "--listen",
                            "127.0.0.1:" + port,
                            "--records",
                            InProcessServer.exampleRecords().toString(),
                            "--zone",
                            "example.test",
                            "--upstream",
                            "none",
                            "--udp-sockets",
                            "2"))
                    .hasMessageContaining("cannot listen on UDP")
                    .hasMessageContaining("127.0.0.1:" + port)
                    .hasMessageContaining("in use");
        }
    }
}
