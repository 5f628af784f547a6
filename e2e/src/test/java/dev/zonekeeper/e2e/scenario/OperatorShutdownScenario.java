package dev.zonekeeper.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.e2e.cluster.TestCluster;
import dev.zonekeeper.testing.ChildProcess;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The packaged operator stops on SIGTERM, as the kubelet sends it on every rolling update or pod deletion: it must
 * exit by itself, not wait for the SIGKILL at the end of the grace period. Its own release and operator (it is
 * stopped), which holds the Lease of its namespace: giving up leadership is part of the shutdown.
 */
@ExtendWith(ZonekeeperExtension.class)
class OperatorShutdownScenario {

    /** Far above a normal shutdown (about a second), below the 30 s grace period of a pod. */
    private static final Duration EXIT_BOUND = Duration.ofSeconds(20);

    @Test
    void leaderExitsOnSigterm(TestCluster cluster) throws InterruptedException {
        try (OperatorFixture fixture = OperatorFixture.start(cluster)) {
            ChildProcess operator = fixture.operator();
            await("the operator holds a Lease in " + fixture.namespace + " (" + operator + ")")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> assertThat(cluster.client()
                                    .leases()
                                    .inNamespace(fixture.namespace)
                                    .list()
                                    .getItems())
                            .extracting(l ->
                                    l.getSpec() == null ? null : l.getSpec().getHolderIdentity())
                            .contains(fixture.fullname + "-e2e"));

            Integer exit = operator.terminate(EXIT_BOUND);

            assertThat(exit)
                    .as("the operator still runs %s after SIGTERM (%s)\n%s", EXIT_BOUND, operator, operator.tail())
                    .isNotNull();
            // 128 + 15: ended by SIGTERM, the JVM's own status for it
            assertThat(exit)
                    .as("exit status after SIGTERM\n%s", operator.tail())
                    .isEqualTo(143);
        }
    }
}
