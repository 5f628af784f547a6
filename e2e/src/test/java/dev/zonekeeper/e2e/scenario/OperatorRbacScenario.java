package dev.zonekeeper.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.e2e.cluster.TestCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.Type;

/**
 * The operator and the DNS sidecar as separate processes against a real API server, the operator authenticated as the
 * chart's ServiceAccount (so the chart's RBAC is what it gets): Services, EndpointSlices, Pods and DnsRecords are
 * created, changed and deleted, and the sidecar's answers and the DnsRecord status follow.
 */
@ExtendWith(ZonekeeperExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorRbacScenario {

    private static final String DOMAIN = "cluster.local";

    private TestCluster cluster;
    private OperatorFixture operator;
    private Dns dns;
    private KubernetesClient admin;
    private String ns;

    @BeforeAll
    void setUp(TestCluster cluster, OperatorFixture operator, Sidecar sidecar) {
        this.cluster = cluster;
        this.operator = operator;
        this.dns = sidecar.dns();
        this.admin = cluster.client();
        this.ns = "zk-rbac-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(ns)
                        .endMetadata()
                        .build())
                .create();
    }

    @AfterEach
    void operatorStillRuns() {
        operator.assertRunning();
    }

    @AfterAll
    void tearDown() {
        if (admin != null && ns != null) {
            admin.pods().inNamespace(ns).withGracePeriod(0).delete();
            admin.namespaces().withName(ns).delete();
        }
    }

    private ConditionFactory eventually(String what) {
        return await(what + " (operator log: " + operator.operator().log() + ")")
                .atMost(Duration.ofSeconds(45))
                .pollInterval(Duration.ofMillis(250));
    }

    private String svc(String name) {
        return name + "." + ns + ".svc." + DOMAIN;
    }

    @Test
    void theOperatorRunsWithTheChartServiceAccountAndNothingMore() {
        try (KubernetesClient asOperator = operator.operatorIdentityClient()) {
            assertThat(asOperator.services().inAnyNamespace().list().getItems()).isNotNull();
            assertThat(asOperator
                            .discovery()
                            .v1()
                            .endpointSlices()
                            .inAnyNamespace()
                            .list()
                            .getItems())
                    .isNotNull();
            assertThatThrownBy(() -> asOperator
                            .secrets()
                            .inNamespace(operator.namespace)
                            .resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                                    .withNewMetadata()
                                    .withName("forbidden")
                                    .endMetadata()
                                    .build())
                            .create())
                    .as("the chart lets the operator read Secrets (update policy keys), never write them")
                    .isInstanceOfSatisfying(
                            KubernetesClientException.class,
                            e -> assertThat(e.getCode()).isEqualTo(403));
            assertThatThrownBy(() -> asOperator
                            .services()
                            .inNamespace(ns)
                            .resource(new ServiceBuilder()
                                    .withNewMetadata()
                                    .withName("forbidden")
                                    .endMetadata()
                                    .withNewSpec()
                                    .addNewPort()
                                    .withPort(80)
                                    .endPort()
                                    .endSpec()
                                    .build())
                            .create())
                    .as("the operator may only watch Services")
                    .isInstanceOfSatisfying(
                            KubernetesClientException.class,
                            e -> assertThat(e.getCode()).isEqualTo(403));
        }
    }

    @Test
    void clusterIpServiceIsAnsweredChangedAndRemoved() {
        Service created = admin.services()
                .inNamespace(ns)
                .resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withName("web")
                        .endMetadata()
                        .withNewSpec()
                        .withType("ClusterIP")
                        .addNewPort()
                        .withName("http")
                        .withProtocol("TCP")
                        .withPort(80)
                        .endPort()
                        .endSpec()
                        .build())
                .create();
        String clusterIp = created.getSpec().getClusterIP();
        assertThat(clusterIp).as("cluster IP allocated by the API server").matches("[0-9.]+");

        eventually("A of the new Service")
                .untilAsserted(() -> assertThat(dns.query(svc("web"), Type.A)).isEqualTo(Dns.noerror(clusterIp)));
        assertThat(dns.query("_http._tcp." + svc("web"), Type.SRV))
                .isEqualTo(Dns.noerror("0 100 80 " + svc("web") + "."));

        admin.services()
                .inNamespace(ns)
                .withName("web")
                .edit(s -> new ServiceBuilder(s)
                        .editSpec()
                        .editFirstPort()
                        .withPort(8080)
                        .endPort()
                        .endSpec()
                        .build());
        eventually("SRV after the port changed")
                .untilAsserted(() -> assertThat(dns.query("_http._tcp." + svc("web"), Type.SRV))
                        .isEqualTo(Dns.noerror("0 100 8080 " + svc("web") + ".")));

        admin.services().inNamespace(ns).withName("web").delete();
        eventually("NXDOMAIN after the Service was deleted")
                .untilAsserted(() -> assertThat(dns.query(svc("web"), Type.A)).isEqualTo(Dns.nxdomain()));
    }

    @Test
    void headlessServiceFollowsItsEndpointSlices() {
        admin.services()
                .inNamespace(ns)
                .resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withName("db")
                        .endMetadata()
                        .withNewSpec()
                        .withClusterIP("None")
                        .addNewPort()
                        .withName("pg")
                        .withProtocol("TCP")
                        .withPort(5432)
                        .endPort()
                        .endSpec()
                        .build())
                .create();
        EndpointSlice slice = admin.discovery()
                .v1()
                .endpointSlices()
                .inNamespace(ns)
                .resource(new EndpointSliceBuilder()
                        .withNewMetadata()
                        .withName("db-e2e")
                        .addToLabels("kubernetes.io/service-name", "db")
                        .addToLabels("endpointslice.kubernetes.io/managed-by", "e2e.zonekeeper.dev")
                        .endMetadata()
                        .withAddressType("IPv4")
                        .addNewEndpoint()
                        .withAddresses("10.1.0.5")
                        .withHostname("db-0")
                        .withNewConditions()
                        .withReady(true)
                        .endConditions()
                        .endEndpoint()
                        .addNewEndpoint()
                        .withAddresses("10.1.0.6")
                        .withHostname("db-1")
                        .withNewConditions()
                        .withReady(false)
                        .endConditions()
                        .endEndpoint()
                        .addNewPort()
                        .withName("pg")
                        .withProtocol("TCP")
                        .withPort(5432)
                        .endPort()
                        .build())
                .create();

        eventually("A of the ready endpoint only")
                .untilAsserted(() -> assertThat(dns.query(svc("db"), Type.A)).isEqualTo(Dns.noerror("10.1.0.5")));
        assertThat(dns.query("db-0." + svc("db"), Type.A)).isEqualTo(Dns.noerror("10.1.0.5"));
        assertThat(dns.query("db-1." + svc("db"), Type.A)).isEqualTo(Dns.nxdomain());

        admin.discovery()
                .v1()
                .endpointSlices()
                .inNamespace(ns)
                .withName(slice.getMetadata().getName())
                .edit(s -> new EndpointSliceBuilder(s)
                        .editLastEndpoint()
                        .editConditions()
                        .withReady(true)
                        .endConditions()
                        .endEndpoint()
                        .build());
        eventually("A of both endpoints once the second is ready")
                .untilAsserted(
                        () -> assertThat(dns.query(svc("db"), Type.A)).isEqualTo(Dns.noerror("10.1.0.5", "10.1.0.6")));
        assertThat(dns.query("_pg._tcp." + svc("db"), Type.SRV))
                .isEqualTo(Dns.noerror("0 50 5432 db-0." + svc("db") + ".", "0 50 5432 db-1." + svc("db") + "."));

        admin.discovery()
                .v1()
                .endpointSlices()
                .inNamespace(ns)
                .withName(slice.getMetadata().getName())
                .delete();
        eventually("no record once the slice is gone")
                .untilAsserted(() -> assertThat(dns.query(svc("db"), Type.A)).isEqualTo(Dns.nxdomain()));
    }

    @Test
    void podRecordFollowsThePodIp() {
        // bound to a node that does not exist: no kubelet ever touches it, on any cluster kind
        admin.pods()
                .inNamespace(ns)
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("worker")
                        .endMetadata()
                        .withNewSpec()
                        .withNodeName("zk-e2e-no-such-node")
                        .addNewContainer()
                        .withName("main")
                        .withImage("registry.invalid/none:1")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        String podName = "10-1-0-9." + ns + ".pod." + DOMAIN;
        assertThat(dns.query(podName, Type.A))
                .as("no record before the pod has an IP")
                .isEqualTo(Dns.nxdomain());

        admin.pods()
                .inNamespace(ns)
                .withName("worker")
                .editStatus(p -> new PodBuilder(p)
                        .editOrNewStatus()
                        .withPhase("Running")
                        .withPodIP("10.1.0.9")
                        .withPodIPs(new PodIPBuilder().withIp("10.1.0.9").build())
                        .endStatus()
                        .build());
        eventually("pod A record once the pod has an IP")
                .untilAsserted(() -> assertThat(dns.query(podName, Type.A)).isEqualTo(Dns.noerror("10.1.0.9")));

        // graceful delete: the pod stays (terminating, no kubelet confirms) but its record must go
        admin.pods().inNamespace(ns).withName("worker").delete();
        Pod terminating = admin.pods().inNamespace(ns).withName("worker").get();
        if (terminating != null) {
            assertThat(terminating.getMetadata().getDeletionTimestamp()).isNotNull();
        }
        eventually("pod record gone once the pod is being deleted")
                .untilAsserted(() -> assertThat(dns.query(podName, Type.A)).isEqualTo(Dns.nxdomain()));
        admin.pods().inNamespace(ns).withName("worker").withGracePeriod(0).delete();
    }

    @Test
    void dnsRecordStatusAndAnswersFollowTheResource() {
        String fqdn = "api." + ns + ".svc." + DOMAIN;
        var records = DnsRecords.api(admin).inNamespace(ns);
        records.resource(DnsRecords.of(ns, "api", fqdn, "A", List.of("192.0.2.10")))
                .create();
        eventually("Ready=True for a valid record").untilAsserted(() -> {
            GenericKubernetesResource live = records.withName("api").get();
            assertThat(DnsRecords.ready(live)).hasValueSatisfying(r -> {
                assertThat(r.status()).isEqualTo("True");
                assertThat(r.reason()).isEqualTo("Serving");
            });
            assertThat(String.valueOf(DnsRecords.status(live, "fqdn"))).startsWith(fqdn);
            assertThat(String.valueOf(DnsRecords.status(live, "observedGeneration")))
                    .isEqualTo(String.valueOf(live.getMetadata().getGeneration()));
        });
        eventually("A answer of the DnsRecord")
                .untilAsserted(() -> assertThat(dns.query(fqdn, Type.A)).isEqualTo(Dns.noerror("192.0.2.10")));

        records.withName("api").edit(r -> {
            @SuppressWarnings("unchecked")
            java.util.Map<String, Object> spec =
                    (java.util.Map<String, Object>) r.getAdditionalProperties().get("spec");
            spec.put("values", List.of("192.0.2.11", "192.0.2.12"));
            return r;
        });
        eventually("answer after the values changed")
                .untilAsserted(
                        () -> assertThat(dns.query(fqdn, Type.A)).isEqualTo(Dns.noerror("192.0.2.11", "192.0.2.12")));
        eventually("observedGeneration follows the edit").untilAsserted(() -> {
            GenericKubernetesResource live = records.withName("api").get();
            assertThat(live.getMetadata().getGeneration()).isEqualTo(2L);
            assertThat(String.valueOf(DnsRecords.status(live, "observedGeneration")))
                    .isEqualTo("2");
        });

        records.resource(DnsRecords.of(ns, "bad", "bad." + ns + ".svc." + DOMAIN, "A", List.of("not-an-address")))
                .create();
        eventually("Ready=False InvalidValue for a value that is no IPv4 address")
                .untilAsserted(() -> assertThat(
                                DnsRecords.ready(records.withName("bad").get()))
                        .hasValueSatisfying(r -> {
                            assertThat(r.status()).isEqualTo("False");
                            assertThat(r.reason()).isEqualTo("InvalidValue");
                            assertThat(r.message()).contains("not-an-address");
                        }));
        assertThat(dns.query("bad." + ns + ".svc." + DOMAIN, Type.A)).isEqualTo(Dns.nxdomain());

        records.resource(DnsRecords.of(ns, "elsewhere", "x.kube-system.svc." + DOMAIN, "A", List.of("192.0.2.66")))
                .create();
        eventually("Ready=False NotAllowed for a name in another namespace")
                .untilAsserted(() -> assertThat(
                                DnsRecords.ready(records.withName("elsewhere").get()))
                        .hasValueSatisfying(r -> {
                            assertThat(r.status()).isEqualTo("False");
                            assertThat(r.reason()).isEqualTo("NotAllowed");
                        }));
        assertThat(dns.query("x.kube-system.svc." + DOMAIN, Type.A)).isEqualTo(Dns.nxdomain());

        records.withName("api").delete();
        eventually("NXDOMAIN after the DnsRecord was deleted")
                .untilAsserted(() -> assertThat(dns.query(fqdn, Type.A)).isEqualTo(Dns.nxdomain()));
    }
}
