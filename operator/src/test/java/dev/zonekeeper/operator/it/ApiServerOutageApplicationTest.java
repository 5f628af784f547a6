package dev.zonekeeper.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.operator.api.v1alpha1.Condition;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordSpec;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordStatus;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import dev.zonekeeper.operator.app.ZonePipeline;
import dev.zonekeeper.operator.config.Leadership;
import dev.zonekeeper.testing.TcpRelay;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;
import org.xbill.DNS.ZoneTransferIn;

/**
 * Issue 13 point 6: the operator as packaged (Quarkus, QOSDK, leader election) through API server outages. It starts
 * while the API server cannot be reached (up, not ready, nothing served), becomes ready once it can be, then rides
 * out an outage longer than the Lease: it keeps running and its transfer server keeps serving the last full zones;
 * when the API server is back, a change made meanwhile is served and its status written, the Lease held again.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
@ExtendWith(RequiresControlPlane.class)
@QuarkusTest
@QuarkusTestResource(value = RelayedControlPlaneResource.class, restrictToAnnotatedClass = true)
class ApiServerOutageApplicationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Name EXAMPLE = Name.fromConstantString("example.com.");
    private static final Name CLUSTER = Name.fromConstantString("cluster.local.");
    private static final String NS = RelayedControlPlaneResource.NAMESPACE;

    @Inject
    ZonePipeline pipeline;

    @Inject
    Leadership leadership;

    @TestHTTPResource("/q/health/live")
    URL live;

    @TestHTTPResource("/q/health/ready")
    URL ready;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void startsWithoutTheApiServerAndRidesOutAnOutageLongerThanTheLease() throws Exception {
        int port = Integer.parseInt(System.getProperty(RelayedControlPlaneResource.RELAY_PORT));
        String[] target = System.getProperty(RelayedControlPlaneResource.TARGET).split(":");
        InetSocketAddress api = new InetSocketAddress(target[0], Integer.parseInt(target[1]));
        Config direct = Config.fromKubeconfig(
                Files.readString(Path.of(System.getProperty(RelayedControlPlaneResource.DIRECT_KUBECONFIG))));
        try (KubernetesClient client =
                new KubernetesClientBuilder().withConfig(direct).build()) {
            // started with the API server unreachable: alive, not ready, no zone served
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(status(live)).isEqualTo(200);
                assertThat(status(ready)).isEqualTo(503);
            });
            assertThat(pipeline.zones().get(CLUSTER))
                    .as("nothing served before the first sync")
                    .isNull();

            TcpRelay relay = new TcpRelay(port, api);
            try {
                await().atMost(TIMEOUT)
                        .untilAsserted(() -> assertThat(status(ready)).isEqualTo(200));
                client.resource(record("before", "before.example.com", "192.0.2.1"))
                        .create();
                assertThat(awaitReady(client, "before").getReason()).isEqualTo("Serving");
                await().atMost(TIMEOUT)
                        .untilAsserted(() -> assertThat(lines(EXAMPLE)).contains("before.example.com. A 192.0.2.1"));
                await().atMost(TIMEOUT).until(() -> holder(client).equals(Optional.of(leadership.identity())));
            } finally {
                relay.close();
            }

            // the outage: nothing reaches the API server; the zones stay as they were
            TreeSet<String> example = lines(EXAMPLE);
            TreeSet<String> cluster = lines(CLUSTER);
            assertThat(cluster).anyMatch(l -> l.startsWith("kubernetes.default.svc.cluster.local. A "));
            client.resource(record("during", "during.example.com", "192.0.2.2")).create();
            String duringIp = client.services()
                    .inNamespace(NS)
                    .resource(new ServiceBuilder()
                            .withNewMetadata()
                            .withName("during")
                            .endMetadata()
                            .withNewSpec()
                            .addNewPort()
                            .withName("http")
                            .withPort(80)
                            .endPort()
                            .endSpec()
                            .build())
                    .create()
                    .getSpec()
                    .getClusterIP();
            Lease before = client.leases()
                    .inNamespace("default")
                    .withName("zonekeeper-operator")
                    .get();
            ZonedDateTime expired =
                    before.getSpec().getRenewTime().plusSeconds(before.getSpec().getLeaseDurationSeconds());
            // longer than the Lease: it expires, and the renew deadline passes too (where the operator used to exit)
            await().during(Duration.ofSeconds(
                            Leadership.LEASE_DURATION.toSeconds() + Leadership.RENEW_DEADLINE.toSeconds()))
                    .atMost(Duration.ofSeconds(120))
                    .untilAsserted(() -> {
                        assertThat(status(live)).isEqualTo(200);
                        assertThat(status(ready))
                                .as("ready: the last zones are served")
                                .isEqualTo(200);
                        assertThat(lines(EXAMPLE)).isEqualTo(example);
                        assertThat(lines(CLUSTER)).isEqualTo(cluster);
                    });
            assertThat(ZonedDateTime.now()).isAfter(expired);
            assertThat(leadership.isLeader())
                    .as("no status is written without the Lease")
                    .isFalse();

            // the API server is back: the change made meanwhile is served and its status written under a renewed Lease
            relay = new TcpRelay(port, api);
            try {
                await().atMost(TIMEOUT).untilAsserted(() -> {
                    assertThat(lines(EXAMPLE))
                            .contains("before.example.com. A 192.0.2.1", "during.example.com. A 192.0.2.2");
                    assertThat(lines(CLUSTER)).contains("during." + NS + ".svc.cluster.local. A " + duringIp);
                });
                assertThat(awaitReady(client, "during").getReason()).isEqualTo("Serving");
                await().atMost(TIMEOUT).until(() -> holder(client).equals(Optional.of(leadership.identity())));
                assertThat(client.leases()
                                .inNamespace("default")
                                .withName("zonekeeper-operator")
                                .get()
                                .getSpec()
                                .getRenewTime())
                        .isAfter(expired);
                assertThat(status(live)).isEqualTo(200);
            } finally {
                relay.close();
            }
        }
    }

    private int status(URL url) throws Exception {
        return http.send(
                        HttpRequest.newBuilder(URI.create(url.toString()))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    /** "name type rdata" of every record but the SOA (its serial moves), by AXFR from the operator's transfer server. */
    private TreeSet<String> lines(Name zone) throws Exception {
        InetSocketAddress address = pipeline.transferAddress();
        ZoneTransferIn xfr = ZoneTransferIn.newAXFR(zone, address.getHostString(), address.getPort(), null);
        xfr.setTimeout(Duration.ofSeconds(10));
        xfr.run();
        TreeSet<String> out = new TreeSet<>();
        for (org.xbill.DNS.Record r : xfr.getAXFR()) {
            if (r.getType() != Type.SOA) {
                out.add(r.getName() + " " + Type.string(r.getType()) + " " + r.rdataToString());
            }
        }
        return out;
    }

    private static Optional<String> holder(KubernetesClient client) {
        return Optional.ofNullable(client.leases()
                        .inNamespace("default")
                        .withName("zonekeeper-operator")
                        .get())
                .map(l -> l.getSpec().getHolderIdentity());
    }

    private static Condition awaitReady(KubernetesClient client, String name) {
        return await().atMost(TIMEOUT)
                .until(
                        () -> Optional.ofNullable(client.resources(DnsRecord.class)
                                        .inNamespace(NS)
                                        .withName(name)
                                        .get())
                                .map(DnsRecord::getStatus)
                                .flatMap(s -> s.condition(DnsRecordStatus.READY))
                                .filter(c -> "True".equals(c.getStatus())),
                        Optional::isPresent)
                .orElseThrow();
    }

    private static DnsRecord record(String name, String owner, String value) {
        DnsRecord record = new DnsRecord();
        record.setMetadata(
                new ObjectMetaBuilder().withNamespace(NS).withName(name).build());
        record.setSpec(new DnsRecordSpec(owner, DnsRecordType.A, null, List.of(value)));
        return record;
    }
}
