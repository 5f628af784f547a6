package dev.zonekeeper.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.operator.api.v1alpha1.Condition;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordSpec;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordStatus;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import dev.zonekeeper.operator.records.RecordRegistry;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The operator as packaged (Quarkus, QOSDK, configuration from zonekeeper.*) against a real API server: it takes the
 * leader Lease, serves a DnsRecord, and answers health and metrics.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
@ExtendWith(RequiresControlPlane.class)
@QuarkusTest
@QuarkusTestResource(value = ControlPlaneResource.class, restrictToAnnotatedClass = true)
class OperatorApplicationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Inject
    KubernetesClient client;

    @Inject
    RecordRegistry registry;

    @TestHTTPResource("/q/health/live")
    URL live;

    @TestHTTPResource("/q/health/ready")
    URL ready;

    @TestHTTPResource("/q/metrics")
    URL metrics;

    @Test
    void takesTheLeaseServesADnsRecordAndWithdrawsItOnDeletion() {
        DnsRecord record = new DnsRecord();
        record.setMetadata(new ObjectMetaBuilder()
                .withNamespace(ControlPlaneResource.NAMESPACE)
                .withName("www")
                .build());
        record.setSpec(new DnsRecordSpec("www.example.com", DnsRecordType.CNAME, 300, List.of("web.example.com.")));
        client.resource(record).create();

        await().atMost(TIMEOUT)
                .until(
                        () -> Optional.ofNullable(client.resources(DnsRecord.class)
                                        .inNamespace(ControlPlaneResource.NAMESPACE)
                                        .withName("www")
                                        .get())
                                .map(DnsRecord::getStatus)
                                .flatMap(status -> status.condition(DnsRecordStatus.READY))
                                .map(Condition::getReason),
                        reason -> reason.equals(Optional.of("Serving")));
        assertThat(registry.snapshot()
                        .recordSets()
                        .get(ControlPlaneResource.NAMESPACE + "/www")
                        .records())
                .map(org.xbill.DNS.Record::toString)
                .containsExactly("www.example.com.\t300\tIN\tCNAME\tweb.example.com.");
        assertThat(client.leases()
                        .inNamespace("default")
                        .withName("zonekeeper-operator")
                        .get()
                        .getSpec()
                        .getHolderIdentity())
                .isNotBlank();

        client.resources(DnsRecord.class)
                .inNamespace(ControlPlaneResource.NAMESPACE)
                .withName("www")
                .delete();
        await().atMost(TIMEOUT).until(() -> registry.snapshot().recordSets().isEmpty());
    }

    @Test
    void answersHealthAndMetrics() throws Exception {
        HttpClient http = HttpClient.newHttpClient();

        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(get(http, ready).statusCode()).isEqualTo(200));
        HttpResponse<String> liveness = get(http, live);
        HttpResponse<String> prometheus = get(http, metrics);

        assertThat(liveness.statusCode()).isEqualTo(200);
        assertThat(liveness.body()).contains("\"status\": \"UP\"");
        assertThat(prometheus.statusCode()).isEqualTo(200);
        assertThat(prometheus.body()).contains("jvm_memory_used_bytes");
    }

    /**
     * JOSDK's reconciliation metrics are there, per controller and not per DnsRecord: per-resource meters (a dozen per
     * DnsRecord, with percentile histograms) would grow the heap and the Prometheus series with every DnsRecord.
     */
    @Test
    void reconciliationMetricsArePerControllerNotPerDnsRecord() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String name : List.of("metrics-a", "metrics-b")) {
            DnsRecord record = new DnsRecord();
            record.setMetadata(new ObjectMetaBuilder()
                    .withNamespace(ControlPlaneResource.NAMESPACE)
                    .withName(name)
                    .build());
            record.setSpec(new DnsRecordSpec(name + ".example.com", DnsRecordType.TXT, 300, List.of("hello")));
            client.resource(record).create();
        }
        try {
            await().atMost(TIMEOUT)
                    .untilAsserted(() -> assertThat(get(http, metrics)
                                    .body()
                                    .lines()
                                    .filter(l -> l.startsWith("operator_sdk_reconciliations_success")))
                            .as("JOSDK's reconciliation counters (not the no-op metrics)")
                            .isNotEmpty());
            List<String> josdk = get(http, metrics)
                    .body()
                    .lines()
                    .filter(l -> l.startsWith("operator_sdk_") && !l.startsWith("#"))
                    .toList();
            assertThat(josdk)
                    .noneMatch(l -> l.contains("metrics-a")
                            || l.contains("metrics-b")
                            || l.contains("resource_name=")
                            || l.contains("resource_namespace="));
        } finally {
            for (String name : List.of("metrics-a", "metrics-b")) {
                client.resources(DnsRecord.class)
                        .inNamespace(ControlPlaneResource.NAMESPACE)
                        .withName(name)
                        .delete();
            }
        }
    }

    private static HttpResponse<String> get(HttpClient http, URL url) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(url.toString())).build(), HttpResponse.BodyHandlers.ofString());
    }
}
