package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.testing.ExamplesServer;
import dev.zonekeeper.testing.DnsClients;
import dev.zonekeeper.testing.DnsClients.Reply;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.Type;

/**
 * Issue 13: RFC 8482 minimal ANY. Over UDP an ANY question gets one RRset (the examples' apex, asked without EDNS,
 * answered with 321 bytes for dig's 30-byte query before, 67 now); over TCP every RRset at the name. Asked with dig and kdig.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MinimalAnyTest {
    @RegisterExtension
    static final ExamplesServer EXAMPLES = new ExamplesServer();

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
        Reply udp = DnsClients.dig(EXAMPLES.dns(), "example.test.", "ANY", "+noedns", "+notcp", "+ignore");
        Reply tcp = DnsClients.dig(EXAMPLES.dns(), "example.test.", "ANY", "+tcp");
        assertThat(udp.rcode()).isEqualTo("NOERROR");
        assertThat(udp.aa()).isTrue();
        assertThat(udp.tc()).as("one RRset fits: no TC").isFalse();
        assertThat(types(tcp.answer())).as("TCP: every RRset at the apex").contains("NS", "SOA", "MX", "TXT", "CAA");
        String lowest = types(tcp.answer()).stream()
                .min(java.util.Comparator.comparingInt(Type::value))
                .orElseThrow();
        assertThat(types(udp.answer())).as("UDP: one RRset, the lowest type").containsExactly(lowest);
        assertThat(tcp.answer()).containsAll(udp.answer());
        // dig's query for example.test ANY without EDNS is 30 bytes
        assertThat(udp.size()).as("UDP response bytes for a 30-byte query").isLessThan(30 * 4);
    }

    @Test
    void kdigSeesTheSame() {
        Reply udp = DnsClients.kdig(EXAMPLES.dns(), "www.example.test.", "ANY", "+notcp");
        Reply tcp = DnsClients.kdig(EXAMPLES.dns(), "www.example.test.", "ANY", "+tcp");
        assertThat(types(udp.answer())).hasSize(1);
        assertThat(types(tcp.answer())).hasSizeGreaterThan(1);
        assertThat(tcp.answer()).containsAll(udp.answer());
        assertThat(udp.additional()).as("UDP: additional of that RRset only").isSubsetOf(tcp.additional());
    }
}
