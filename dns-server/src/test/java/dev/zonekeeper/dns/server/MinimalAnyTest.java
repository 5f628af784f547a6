package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.Main.DnsServer;
import dev.zonekeeper.dns.testing.DnsClients;
import dev.zonekeeper.dns.testing.DnsClients.Reply;
import dev.zonekeeper.dns.testing.InProcessServer;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xbill.DNS.Type;

/**
 * Issue 13: RFC 8482 minimal ANY. Over UDP an ANY question gets one RRset (the examples' apex, asked without EDNS,
 * answered with 321 bytes for dig's 30-byte query before, 67 now); over TCP every RRset at the name. Asked with dig and kdig.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MinimalAnyTest {
    private DnsServer server;
    private InetSocketAddress dns;

    @BeforeAll
    void start() {
        server = InProcessServer.start("--records", InProcessServer.examples().toString(), "--zone", "example.test",
                "--upstream", "none");
        dns = InProcessServer.dns(server);
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static Set<String> types(Set<String> lines) {
        Set<String> types = new TreeSet<>();
        for (String line : lines) {
            types.add(line.split("\\s+")[3]);
        }
        return types;
    }

    /** dig sends ANY over TCP unless told {@code +notcp}. */
    @Test
    void anyOverUdpWithoutEdnsIsOneRrsetAndNoAmplifier() {
        Reply udp = DnsClients.dig(dns, "example.test.", "ANY", "+noedns", "+notcp", "+ignore");
        Reply tcp = DnsClients.dig(dns, "example.test.", "ANY", "+tcp");
        assertThat(udp.rcode()).isEqualTo("NOERROR");
        assertThat(udp.aa()).isTrue();
        assertThat(udp.tc()).as("one RRset fits: no TC").isFalse();
        assertThat(types(tcp.answer())).as("TCP: every RRset at the apex").contains("NS", "SOA", "MX", "TXT", "CAA");
        String lowest = types(tcp.answer()).stream().min(java.util.Comparator.comparingInt(Type::value)).orElseThrow();
        assertThat(types(udp.answer())).as("UDP: one RRset, the lowest type").containsExactly(lowest);
        assertThat(tcp.answer()).containsAll(udp.answer());
        // dig's query for example.test ANY without EDNS is 30 bytes
        assertThat(udp.size()).as("UDP response bytes for a 30-byte query").isLessThan(30 * 4);
    }

    @Test
    void kdigSeesTheSame() {
        Reply udp = DnsClients.kdig(dns, "www.example.test.", "ANY", "+notcp");
        Reply tcp = DnsClients.kdig(dns, "www.example.test.", "ANY", "+tcp");
        assertThat(types(udp.answer())).hasSize(1);
        assertThat(types(tcp.answer())).hasSizeGreaterThan(1);
        assertThat(tcp.answer()).containsAll(udp.answer());
        assertThat(udp.additional()).as("UDP: additional of that RRset only").isSubsetOf(tcp.additional());
    }
}
