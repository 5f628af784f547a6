package dev.zonekeeper.dns.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UpstreamPolicyTest {
    final Upstream a = upstream(1), b = upstream(2), c = upstream(3);
    final List<Upstream> all = List.of(a, b, c);

    @Test
    void sequentialKeepsConfiguredOrder() {
        assertThat(UpstreamPolicy.sequential().order(all)).containsExactly(a, b, c);
        assertThat(UpstreamPolicy.sequential().order(all)).containsExactly(a, b, c);
    }

    @Test
    void roundRobinRotatesByOnePerQuery() {
        UpstreamPolicy rr = UpstreamPolicy.roundRobin();
        assertThat(rr.order(all)).containsExactly(a, b, c);
        assertThat(rr.order(all)).containsExactly(b, c, a);
        assertThat(rr.order(all)).containsExactly(c, a, b);
        assertThat(rr.order(all)).containsExactly(a, b, c);
    }

    @Test
    void randomIsAPermutationThatDoesNotAlwaysStartTheSame() {
        UpstreamPolicy random = UpstreamPolicy.random();
        Set<Upstream> firsts = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            List<Upstream> order = random.order(all);
            assertThat(order).containsExactlyInAnyOrder(a, b, c);
            firsts.add(order.get(0));
        }
        assertThat(firsts).hasSize(3);
    }

    @Test
    void policiesAreNamedInConfiguration() {
        assertThat(UpstreamPolicy.named("Random").name()).isEqualTo("random");
        assertThat(UpstreamPolicy.named("round_robin").name()).isEqualTo("round_robin");
        assertThatThrownBy(() -> UpstreamPolicy.named("fastest"))
                .hasMessageContaining("fastest")
                .hasMessageContaining("sequential");
    }

    @Test
    void upstreamTurnsUnhealthyAfterMaxFailsAndIsProbedOncePerBackoff() {
        long second = 1_000_000_000L;
        Upstream u = new Upstream(new InetSocketAddress("127.0.0.1", 53), 2, 10 * second);

        assertThat(u.recordFailure(0)).isFalse();
        assertThat(u.healthy()).isTrue();
        assertThat(u.claimProbe(0)).as("healthy: no probe").isFalse();
        assertThat(u.recordFailure(1)).isTrue();
        assertThat(u.healthy()).isFalse();
        assertThat(u.claimProbe(5 * second)).isFalse();
        assertThat(u.claimProbe(10 * second + 1)).isTrue();
        assertThat(u.claimProbe(10 * second + 2)).as("already claimed").isFalse();
        assertThat(u.recordFailure(11 * second))
                .as("still unhealthy, not newly")
                .isFalse();
        assertThat(u.recordSuccess()).isTrue();
        assertThat(u.healthy()).isTrue();
        assertThat(u.consecutiveFailures()).isZero();
    }

    @Test
    void configRejectsInvalidSettingsNamingThem() {
        InetSocketAddress up = new InetSocketAddress("127.0.0.1", 53);
        assertThatThrownBy(() -> ForwarderConfig.builder().upstreams(List.of()).build())
                .hasMessageContaining("upstreams");
        assertThatThrownBy(() -> ForwarderConfig.builder()
                        .upstreams(up)
                        .timeout(Duration.ZERO)
                        .build())
                .hasMessageContaining("timeout");
        assertThatThrownBy(() -> ForwarderConfig.builder()
                        .upstreams(up)
                        .minTtl(Duration.ofHours(2))
                        .build())
                .hasMessageContaining("minTtl");
        assertThatThrownBy(() -> ForwarderConfig.builder()
                        .upstreams(up)
                        .servfailTtl(Duration.ofMinutes(6))
                        .build())
                .hasMessageContaining("servfailTtl");
        assertThatThrownBy(() -> ForwarderConfig.builder()
                        .upstreams(InetSocketAddress.createUnresolved("x", 53))
                        .build())
                .hasMessageContaining("not an IP address");
        assertThatThrownBy(() -> ForwarderConfig.builder()
                        .upstreams(up)
                        .cacheMaxEntries(-1)
                        .build())
                .hasMessageContaining("cacheMaxEntries");
    }

    private static Upstream upstream(int i) {
        return new Upstream(new InetSocketAddress("127.0.0." + i, 53), 2, 1);
    }
}
