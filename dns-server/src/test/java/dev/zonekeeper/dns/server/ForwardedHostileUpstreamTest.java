package dev.zonekeeper.dns.server;

import static dev.zonekeeper.dns.testing.Loopback.hostPort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.DnsServer;
import dev.zonekeeper.dns.forward.FakeUpstream;
import dev.zonekeeper.dns.testing.InProcessServer;
import dev.zonekeeper.testing.DnsClients;
import dev.zonekeeper.testing.DnsClients.Reply;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Type;

/**
 * The whole server in front of hostile upstreams (issue 13 points 1 and 8), asked with dig: an answer that cannot be
 * re-encoded, asked again and again, and an answer still truncated over TCP, each get SERVFAIL every time, never a
 * timeout and never an empty NOERROR.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class ForwardedHostileUpstreamTest {
    FakeUpstream upstream;
    DnsServer server;
    Path records;

    void start(FakeUpstream.Responder responder) throws Exception {
        upstream = new FakeUpstream("127.0.0.5", responder);
        records = Files.createTempDirectory("zk-records");
        server = InProcessServer.start(
                "--records",
                records.toString(),
                "--zone",
                "cluster.local",
                "--upstream",
                hostPort(upstream.address()),
                "--udp-sockets",
                "1");
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        upstream.close();
        Files.deleteIfExists(records);
    }

    @Test
    void aNameWhoseAnswerCannotBeReEncodedIsAnsweredServfailEveryTime() throws Exception {
        // WKS with an empty port bitmap: dnsjava reads it and then refuses to write it
        start((q, tcp) ->
                FakeUpstream.withRawAnswer(FakeUpstream.reply(q), Type.WKS, new byte[] {(byte) 192, 0, 2, 1, 6}));
        InetSocketAddress dns = InProcessServer.dns(server);
        for (int i = 0; i < 20; i++) {
            Reply reply = DnsClients.dig(dns, "wedge.example.com.", "WKS");
            assertThat(reply.rcode()).as("query %d", i).isEqualTo("SERVFAIL");
        }
        assertThat(upstream.udpQueries())
                .as("asked again each time, never wedged")
                .isEqualTo(20);
        assertThat(InProcessServer.sum(server, "zonekeeper.dns.forward.unusable.answers"))
                .isEqualTo(20);
    }

    @Test
    void anAnswerStillTruncatedOverTcpIsServfailNotAnEmptyAnswer() throws Exception {
        start((q, tcp) -> {
            Message m = FakeUpstream.reply(q);
            m.getHeader().setFlag(Flags.TC);
            return m.toWire();
        });
        Reply reply = DnsClients.dig(InProcessServer.dns(server), "tc.example.com.", "A");
        assertThat(reply.rcode()).isEqualTo("SERVFAIL");
        assertThat(reply.tc()).isFalse();
        assertThat(upstream.tcpQueries()).isEqualTo(1);
    }
}
