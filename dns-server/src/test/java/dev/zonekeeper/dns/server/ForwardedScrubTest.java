package dev.zonekeeper.dns.server;

import static dev.zonekeeper.dns.testing.Loopback.hostPort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.DnsServer;
import dev.zonekeeper.dns.forward.FakeUpstream;
import dev.zonekeeper.dns.testing.InProcessServer;
import dev.zonekeeper.testing.DnsClients;
import dev.zonekeeper.testing.DnsClients.Reply;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;

/**
 * The server passes its --zone names to the forwarder, which never relays an upstream's records for them (issue 13
 * point 9): asked with dig, through the whole server, against a forging upstream.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class ForwardedScrubTest {
    FakeUpstream upstream;
    DnsServer server;
    InetSocketAddress dns;
    Path records;

    @BeforeEach
    void start() throws Exception {
        upstream = new FakeUpstream("127.0.0.5", (q, tcp) -> {
            Message m = FakeUpstream.reply(q);
            Name qname = q.getQuestion().getName();
            if (qname.toString().startsWith("alias.")) {
                m.addRecord(
                        new CNAMERecord(qname, DClass.IN, 300, Name.fromString("www.cluster.local.")), Section.ANSWER);
                m.addRecord(a("www.cluster.local.", "6.6.6.6"), Section.ANSWER);
            } else {
                m.addRecord(a(qname.toString(), "192.0.2.1"), Section.ANSWER);
                m.addRecord(a("www.cluster.local.", "6.6.6.6"), Section.ADDITIONAL);
            }
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
                "1");
        dns = InProcessServer.dns(server);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        upstream.close();
        Files.deleteIfExists(records);
    }

    @Test
    void aForgedAddressForOurZoneInTheAdditionalSectionIsNotRelayed() {
        Reply reply = DnsClients.dig(dns, "www.example.com.", "A");
        assertThat(reply.rcode()).isEqualTo("NOERROR");
        assertThat(reply.answer()).singleElement().asString().contains("192.0.2.1");
        assertThat(reply.additional()).noneMatch(r -> r.contains("cluster.local"));
        Reply cached = DnsClients.dig(dns, "www.example.com.", "A");
        assertThat(cached.additional()).noneMatch(r -> r.contains("cluster.local"));
        assertThat(InProcessServer.sum(server, "zonekeeper.dns.forward.scrubbed.records"))
                .isEqualTo(1);
        // the forwarder's gauges are wired to the server's registry
        io.micrometer.core.instrument.MeterRegistry registry = server.metrics().registry();
        assertThat(registry.get("zonekeeper.dns.forward.cache.bytes").gauge().value())
                .isPositive();
        assertThat(registry.get("zonekeeper.dns.forward.cache.entries").gauge().value())
                .isEqualTo(1);
        assertThat(registry.get("zonekeeper.dns.forward.inflight").gauge().value())
                .isZero();
        assertThat(registry.get("zonekeeper.dns.forward.upstream.sockets")
                        .gauge()
                        .value())
                .isEqualTo(1);
    }

    @Test
    void aCnameChainIntoOurZoneIsRelayedWithoutTheForgedAddress() {
        Reply reply = DnsClients.dig(dns, "alias.example.com.", "A");
        assertThat(reply.rcode()).isEqualTo("NOERROR");
        assertThat(reply.answer()).singleElement().asString().contains("CNAME").contains("www.cluster.local.");
        assertThat(reply.answer()).noneMatch(r -> r.contains("6.6.6.6"));
    }

    static ARecord a(String owner, String address) throws Exception {
        return new ARecord(Name.fromString(owner), DClass.IN, 300, InetAddress.getByName(address));
    }
}
