package dev.zonekeeper.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.transfer.TsigKeyFile;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordStatus;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import dev.zonekeeper.operator.config.ZoneSettings;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.ZoneTransferException;
import org.xbill.DNS.ZoneTransferIn;

/**
 * Two operator replicas against one real kube-apiserver, each with its own informers, zone publisher and TSIG
 * transfer server (what its DNS sidecar transfers from): both serve every DnsRecord and Service, only the Lease holder
 * reconciles and writes status, and when it goes the other takes the Lease and goes on writing status. Then the API
 * server goes away: the zones stay as they were and transfers go on; a replica that never synced serves no zone.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(RequiresControlPlane.class)
class ReplicasApiServerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final String LEASE = "zonekeeper-replicas";
    private static final TSIG KEY =
            TsigKeyFile.parse("zonekeeper-transfer:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXM=");
    private static final Name CLUSTER = Name.fromConstantString("cluster.local.");
    private static final Name EXAMPLE = Name.fromConstantString("example.com.");

    private ControlPlane controlPlane;
    private KubernetesClient client;
    private ZoneSettings settings;
    private Replica a;
    private Replica b;
    private Replica late;
    /** The replica still running after the first test stopped the leader. */
    private Replica survivor;

    @BeforeAll
    void start() throws Exception {
        controlPlane = ControlPlane.start();
        client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(controlPlane.kubeConfigYaml()))
                .build();
        ControlPlane.applyCrd(client);
        for (String ns : List.of("team-a", "team-b")) {
            client.namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(ns)
                            .endMetadata()
                            .build())
                    .create();
        }
        settings = ZoneSettings.parse("cluster.local", List.of("example.com"), Map.of("example.com", "*"));
        a = new Replica(client, settings, "replica-a", LEASE, KEY).start();
        b = new Replica(client, settings, "replica-b", LEASE, KEY).start();
    }

    @AfterAll
    void stop() throws Exception {
        for (Replica r : new Replica[] {late, a, b}) {
            if (r != null) {
                r.close();
            }
        }
        if (client != null) {
            client.close();
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
    }

    @Test
    @Order(1)
    void bothReplicasServeWhileOnlyTheLeaderWritesStatusAndTheOtherTakesOverWhenItGoes() throws Exception {
        String holder = await("a Lease holder")
                .atMost(TIMEOUT)
                .until(this::leaseHolder, Optional::isPresent)
                .orElseThrow();
        Replica leader = holder.equals(a.identity) ? a : b;
        Replica follower = leader == a ? b : a;
        survivor = follower;
        assertThat(holder).isIn(a.identity, b.identity);

        // an older and a younger DnsRecord at one name, a Service: both replicas decide alike and serve alike
        client.resource(record("team-a", "www", "www.example.com", DnsRecordType.A, "192.0.2.10"))
                .create();
        awaitReady("team-a", "www", "True");
        client.resource(record("team-b", "www", "www.example.com", DnsRecordType.A, "192.0.2.99"))
                .create();
        String clusterIp = client.services()
                .inNamespace("team-a")
                .resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withName("api")
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
        assertThat(awaitReady("team-b", "www", "False").getReason()).isEqualTo("Conflict");

        for (Replica r : List.of(a, b)) {
            await(r + " serves the DnsRecord and the Service").atMost(TIMEOUT).untilAsserted(() -> {
                assertThat(lines(axfr(r, EXAMPLE), Type.A))
                        .contains("www.example.com. 192.0.2.10")
                        .doesNotContain("www.example.com. 192.0.2.99");
                assertThat(lines(axfr(r, CLUSTER), Type.A)).contains("api.team-a.svc.cluster.local. " + clusterIp);
            });
        }
        assertThat(a.registry.snapshot().recordSets())
                .isEqualTo(b.registry.snapshot().recordSets());

        // status: written by the leader only, servedSerial from the leader's zones
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(get("team-a", "www").getStatus().getServedSerial())
                        .isEqualTo(
                                leader.publisher.servedSerial("team-a", "www").orElseThrow()));
        assertThat(leader.statusWrites()).isPositive();
        assertThat(follower.statusWrites())
                .as("status writes by the replica without the Lease")
                .isZero();

        // the leader goes: the follower takes the Lease and writes status from then on
        leader.close();
        await("the Lease moves to " + follower)
                .atMost(TIMEOUT)
                .until(this::leaseHolder, h -> h.equals(Optional.of(follower.identity)));
        client.resource(record("team-b", "shop", "shop.example.com", DnsRecordType.CNAME, "www.example.com."))
                .create();
        awaitReady("team-b", "shop", "True");
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(get("team-b", "shop").getStatus().getServedSerial())
                    .isEqualTo(follower.publisher.servedSerial("team-b", "shop").orElseThrow());
            assertThat(lines(axfr(follower, EXAMPLE), Type.CNAME)).contains("shop.example.com. www.example.com.");
        });
        assertThat(follower.statusWrites()).isPositive();

        // deleting the owner hands the name to the younger record, on the serving replica and in status
        client.resources(DnsRecord.class).inNamespace("team-a").withName("www").delete();
        assertThat(awaitReady("team-b", "www", "True").getReason()).isEqualTo("Serving");
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(lines(axfr(follower, EXAMPLE), Type.A))
                        .contains("www.example.com. 192.0.2.99")
                        .doesNotContain("www.example.com. 192.0.2.10"));
    }

    @Test
    @Order(2)
    void theZonesStayAsTheyWereWhileTheApiServerIsAway() throws Exception {
        Replica serving = survivor != null ? survivor : a;
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(lines(axfr(serving, EXAMPLE), Type.CNAME))
                        .contains("shop.example.com. www.example.com."));
        TreeSet<String> example = lines(axfr(serving, EXAMPLE), Type.ANY);
        TreeSet<String> cluster = lines(axfr(serving, CLUSTER), Type.ANY);
        assertThat(cluster).anyMatch(l -> l.startsWith("api.team-a.svc.cluster.local. "));

        controlPlane.close();
        controlPlane = null;

        // the informers lose the API server and retry; nothing is withdrawn, transfers go on
        await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(lines(axfr(serving, EXAMPLE), Type.ANY)).isEqualTo(example);
            assertThat(lines(axfr(serving, CLUSTER), Type.ANY)).isEqualTo(cluster);
        });

        // a replica that never completed its first sync serves no zone at all (the sidecar stays on SERVFAIL)
        late = new Replica(client, settings, "replica-late", LEASE, KEY);
        late.informers.start();
        assertThat(late.publisher.published()).isFalse();
        for (Name zone : List.of(CLUSTER, EXAMPLE)) {
            assertThatThrownBy(() -> axfr(late, zone)).isInstanceOf(ZoneTransferException.class);
        }
    }

    private Optional<String> leaseHolder() {
        Lease lease = client.leases().inNamespace("default").withName(LEASE).get();
        return Optional.ofNullable(lease)
                .map(l -> l.getSpec().getHolderIdentity())
                .filter(h -> !h.isBlank());
    }

    private static List<org.xbill.DNS.Record> axfr(Replica replica, Name zone) throws Exception {
        ZoneTransferIn xfr = ZoneTransferIn.newAXFR(
                zone,
                replica.transferAddress().getHostString(),
                replica.transferAddress().getPort(),
                KEY);
        xfr.setTimeout(Duration.ofSeconds(10));
        xfr.run();
        return xfr.getAXFR();
    }

    /** "name rdata" of the records of {@code type}; {@link Type#ANY}: "name type rdata" of all but the SOA (its serial moves). */
    private static TreeSet<String> lines(List<org.xbill.DNS.Record> records, int type) {
        TreeSet<String> out = new TreeSet<>();
        for (org.xbill.DNS.Record r : records) {
            if (type == Type.ANY && r.getType() != Type.SOA) {
                out.add(r.getName() + " " + Type.string(r.getType()) + " " + r.rdataToString());
            } else if (r.getType() == type) {
                out.add(r.getName() + " " + r.rdataToString());
            }
        }
        return out;
    }

    private dev.zonekeeper.operator.api.v1alpha1.Condition awaitReady(String namespace, String name, String status) {
        return await().atMost(TIMEOUT)
                .until(
                        () -> Optional.ofNullable(get(namespace, name))
                                .map(DnsRecord::getStatus)
                                .flatMap(s -> s.condition(DnsRecordStatus.READY))
                                .filter(c -> status.equals(c.getStatus())),
                        Optional::isPresent)
                .orElseThrow();
    }

    private DnsRecord get(String namespace, String name) {
        return client.resources(DnsRecord.class)
                .inNamespace(namespace)
                .withName(name)
                .get();
    }

    private static DnsRecord record(String namespace, String name, String owner, DnsRecordType type, String... values) {
        return ControlPlane.dnsRecord(namespace, name, owner, type, values);
    }
}
