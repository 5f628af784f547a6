package dev.zonekeeper.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.e2e.cluster.Prerequisites;
import dev.zonekeeper.e2e.cluster.TestCluster;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a user sees with the real kubectl {@value Prerequisites#KUBE_VERSION}: {@code kubectl get dnsrecords} prints the
 * CRD's columns, and READY is True for a record the operator serves and False for an invalid one.
 */
@ExtendWith(ZonekeeperExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubectlScenario {

    private TestCluster cluster;
    private OperatorFixture operator;
    private Path kubectl;
    private String ns;

    @BeforeAll
    void setUp(TestCluster cluster, OperatorFixture operator) {
        this.kubectl = Prerequisites.kubectl();
        this.cluster = cluster;
        this.operator = operator;
        this.ns = "zk-kubectl-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        cluster.client()
                .namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(ns)
                        .endMetadata()
                        .build())
                .create();
    }

    @AfterAll
    void tearDown() {
        if (ns != null) {
            cluster.client().namespaces().withName(ns).delete();
        }
    }

    private Commands.Result kubectl(String... args) {
        List<String> command = new java.util.ArrayList<>(
                List.of(kubectl.toString(), "--kubeconfig", cluster.kubeconfig().toString(), "--namespace", ns));
        command.addAll(List.of(args));
        return Commands.run(command, Duration.ofMinutes(1));
    }

    @Test
    void getDnsRecordsShowsTheColumnsAndReadiness() {
        String valid = "web." + ns + ".svc.cluster.local";
        DnsRecords.api(cluster.client())
                .inNamespace(ns)
                .resource(DnsRecords.of(ns, "web", valid, "A", List.of("192.0.2.20", "192.0.2.21")))
                .create();
        DnsRecords.api(cluster.client())
                .inNamespace(ns)
                .resource(DnsRecords.of(
                        ns, "broken", "broken." + ns + ".svc.cluster.local", "MX", List.of("mail.example.com.")))
                .create();

        await("kubectl shows READY for both records (operator log: "
                        + operator.operator().log() + ")")
                .atMost(Duration.ofSeconds(45))
                .pollInterval(Duration.ofMillis(500))
                .failFast("operator exited", () -> !operator.operator().alive())
                .untilAsserted(() -> {
                    List<Map<String, String>> rows =
                            table(kubectl("get", "dnsrecords").assertSuccess().stdout());
                    assertThat(rows).extracting(r -> r.get("NAME")).containsExactly("broken", "web");
                    Map<String, String> web = rows.get(1);
                    assertThat(web.get("READY")).isEqualTo("True");
                    assertThat(web.get("FQDN")).startsWith(valid);
                    assertThat(web.get("TYPE")).isEqualTo("A");
                    assertThat(web.get("VALUES")).isEqualTo("[\"192.0.2.20\",\"192.0.2.21\"]");
                    assertThat(web.get("TTL")).isEqualTo("30");
                    assertThat(rows.get(0).get("READY")).isEqualTo("False");
                });

        Commands.Result shortName = kubectl(
                        "get", "dnsr", "broken", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}")
                .assertSuccess();
        assertThat(shortName.stdout()).isEqualTo("InvalidValue");
        Commands.Result category = kubectl("get", "zonekeeper", "-o", "name").assertSuccess();
        assertThat(category.stdout().lines())
                .containsExactlyInAnyOrder("dnsrecord.zonekeeper.dev/broken", "dnsrecord.zonekeeper.dev/web");
    }

    /** Parses kubectl's table output: the header's column starts split every row. */
    static List<Map<String, String>> table(String output) {
        List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).as("kubectl output:\n%s", output).isNotEmpty();
        String header = lines.get(0);
        List<String> columns = Arrays.asList(header.trim().split("\\s+"));
        assertThat(columns).containsExactly("NAME", "FQDN", "TYPE", "VALUES", "TTL", "READY", "AGE");
        int[] starts = columns.stream().mapToInt(header::indexOf).toArray();
        List<Map<String, String>> rows = new java.util.ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < starts.length; i++) {
                int end = i + 1 < starts.length ? Math.min(starts[i + 1], line.length()) : line.length();
                row.put(
                        columns.get(i),
                        starts[i] < line.length()
                                ? line.substring(starts[i], end).trim()
                                : "");
            }
            rows.add(row);
        }
        return rows;
    }
}
