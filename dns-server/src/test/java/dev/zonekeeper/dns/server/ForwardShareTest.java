package dev.zonekeeper.dns.server;

import static dev.zonekeeper.dns.testing.Loopback.hostPort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.DnsServer;
import dev.zonekeeper.dns.forward.FakeUpstream;
import dev.zonekeeper.dns.testing.InProcessServer;
import dev.zonekeeper.testing.DnsClients;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * One client network flooding unique names that the upstream never answers cannot take every upstream slot: the
 * chaos command's collision flood filled the forwarder's global cap ({@code --max-concurrent}) and every other client
 * got REFUSED for names the upstream answers at once. With {@code --max-concurrent-per-network}, the flooding /24 is
 * REFUSED beyond its share and a client of another /24 is answered.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class ForwardShareTest {
    FakeUpstream upstream;
    DnsServer server;
    Path records;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        upstream.close();
        Files.deleteIfExists(records);
    }

    @Test
    void aFloodingNetworkIsRefusedBeyondItsShareAndAnotherNetworkIsAnswered() throws Exception {
        // answers ok.example.org at once, never anything else (a name an attacker controls, whose servers are silent)
        upstream = new FakeUpstream("127.0.0.5", (q, tcp) -> {
            if (!q.getQuestion().getName().toString().startsWith("ok.")) {
                return null;
            }
            Message m = FakeUpstream.reply(q);
            m.addRecord(
                    new ARecord(q.getQuestion().getName(), DClass.IN, 60, java.net.InetAddress.getByName("192.0.2.7")),
                    Section.ANSWER);
            return m.toWire();
        });
        records = Files.createTempDirectory("zk-records");
        server = InProcessServer.start(
                "--records",
                records.toString(),
                "--zone",
                "cluster.local",
                "--upstream",
                hostPort(upstream.address()),
                "--udp-sockets",
                "1",
                "--max-concurrent",
                "10",
                "--max-concurrent-per-network",
                "5");
        InetSocketAddress dns = InProcessServer.dns(server);

        int refused = 0;
        try (DatagramChannel attacker = DatagramChannel.open(StandardProtocolFamily.INET)) {
            attacker.bind(new InetSocketAddress("127.0.1.1", 0)); // another /24 than the client's 127.0.0.1
            for (int i = 0; i < 20; i++) {
                Message q = Message.newQuery(
                        Record.newRecord(Name.fromString("silent-" + i + ".example.org."), Type.A, DClass.IN));
                q.getHeader().setID(i);
                attacker.send(ByteBuffer.wrap(q.toWire()), dns);
            }
            // the REFUSED answers come at once; the queries within the share wait for the silent upstream, whose tries
            // end after 2 s: read until the answers stop for a while, well before that
            attacker.configureBlocking(true);
            attacker.socket().setSoTimeout(500);
            ByteBuffer in = ByteBuffer.allocate(4096);
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000);
            while (refused < 15 && System.nanoTime() < end) {
                in.clear();
                try {
                    attacker.socket().receive(new java.net.DatagramPacket(in.array(), in.capacity()));
                } catch (java.net.SocketTimeoutException e) {
                    break;
                }
                if (new Message(in.array()).getRcode() == Rcode.REFUSED) {
                    refused++;
                }
            }
            // while the flooding network holds its share, a client of another network is answered
            // one try, while the flooding network still holds its share: answered, not REFUSED
            DnsClients.Reply reply = DnsClients.dig(dns, "ok.example.org.", "A", "+tries=1", "+timeout=1");
            assertThat(reply.rcode()).isEqualTo("NOERROR");
            assertThat(reply.answer()).anySatisfy(line -> assertThat(line).contains("192.0.2.7"));
        }
        assertThat(refused)
                .as("the flooding network's queries beyond its share of 5")
                .isEqualTo(15);
        assertThat(InProcessServer.sum(server, "zonekeeper.dns.forward.rejected"))
                .isEqualTo(15);
    }
}
