package dev.zonekeeper.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.operator.api.v1alpha1.Condition;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordStatus;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.operator.records.InMemoryRecordRegistry;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The DnsRecord CRD and reconciler against a real kube-apiserver: the committed CRD is accepted, the schema rejects
 * what it can, the reconciler writes status and Warning Events, and kubectl shows the columns and explanations.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(RequiresControlPlane.class)
class DnsRecordReconcilerApiServerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private ControlPlane controlPlane;
    private KubernetesClient client;
    private Replica replica;
    private InMemoryRecordRegistry registry;

    @BeforeAll
    void startControlPlaneAndOperator() throws Exception {
        controlPlane = ControlPlane.start();
        client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(controlPlane.kubeConfigYaml()))
                .build();

        ControlPlane.applyCrd(client);
        for (String ns : List.of("team-a", "team-b", "shop")) {
            client.namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(ns)
                            .endMetadata()
                            .build())
                    .create();
        }

        ZoneSettings zones = ZoneSettings.parse(
                "cluster.local", List.of("example.com", "example.net"), Map.of("example.com", "team-a,team-b,shop"));
        replica = new Replica(client, zones, "reconciler-test", "zonekeeper-operator-test", null).start();
        registry = replica.registry;
    }

    @AfterAll
    void stop() throws Exception {
        if (replica != null) {
            replica.close();
        }
        if (client != null) {
            client.close();
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
    }

    @Test
    void theOperatorHoldsItsLease() {
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(client.leases()
                                .inNamespace("default")
                                .withName("zonekeeper-operator-test")
                                .get()
                                .getSpec()
                                .getHolderIdentity())
                        .isNotBlank());
    }

    @Test
    void theCommittedCrdIsServedWithItsNamesAndCategory() {
        CustomResourceDefinition crd = client.apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName("dnsrecords.zonekeeper.dev")
                .get();

        assertThat(established(crd)).isTrue();
        assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("dnsr");
        assertThat(crd.getSpec().getNames().getCategories()).containsExactly("zonekeeper");
    }

    @Test
    void aValidRecordIsServedAndItsStatusFollowsChangesAndDeletion() {
        DnsRecord record = client.resource(record("team-a", "api", "API.example.com", DnsRecordType.A, "192.0.2.10"))
                .create();

        Condition ready = awaitReady("team-a", "api", "True");
        DnsRecord served = get("team-a", "api");
        assertThat(ready.getReason()).isEqualTo("Serving");
        assertThat(ready.getObservedGeneration()).isEqualTo(1L);
        assertThat(served.getStatus().getFqdn()).isEqualTo("api.example.com.");
        assertThat(served.getStatus().getObservedGeneration()).isEqualTo(1L);
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(registry.snapshot().recordSets().get("team-a/api"))
                        .isNotNull()
                        .satisfies(set -> assertThat(set.records())
                                .map(org.xbill.DNS.Record::rdataToString)
                                .containsExactly("192.0.2.10")));
        // status.servedSerial: the serial of the zone that first served it, written once it is served
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(get("team-a", "api").getStatus().getServedSerial())
                        .isNotNull()
                        .isEqualTo(
                                replica.publisher.servedSerial("team-a", "api").orElseThrow()));
        long firstServed = get("team-a", "api").getStatus().getServedSerial();
        assertThat(replica.zones
                        .get(org.xbill.DNS.Name.fromConstantString("example.com."))
                        .serial())
                .isGreaterThanOrEqualTo(firstServed);

        record.getSpec().setValues(List.of("192.0.2.10", "192.0.2.11"));
        record.getMetadata().setResourceVersion(null);
        client.resource(record).update();
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(get("team-a", "api").getStatus().getObservedGeneration()).isEqualTo(2L);
            assertThat(registry.snapshot().recordSets().get("team-a/api").records())
                    .hasSize(2);
            // new values: a new serial first served them
            assertThat(get("team-a", "api").getStatus().getServedSerial())
                    .isGreaterThan(firstServed)
                    .isEqualTo(replica.publisher.servedSerial("team-a", "api").orElseThrow());
        });

        client.resource(get("team-a", "api")).delete();
        await().atMost(TIMEOUT).until(() -> !registry.snapshot().recordSets().containsKey("team-a/api"));
    }

    @Test
    void anInvalidValueIsReportedInStatusAndAsAWarningEvent() {
        client.resource(record("team-a", "bad-address", "bad.example.com", DnsRecordType.A, "192.0.2.300"))
                .create();

        Condition ready = awaitReady("team-a", "bad-address", "False");

        assertThat(ready.getReason()).isEqualTo("InvalidValue");
        assertThat(ready.getMessage()).isEqualTo("values[0] '192.0.2.300' is not a valid A address");
        assertThat(get("team-a", "bad-address").getStatus().getFqdn()).isEqualTo("bad.example.com.");
        assertThat(registry.snapshot().recordSets()).doesNotContainKey("team-a/bad-address");
        Event event = awaitWarning("team-a", "bad-address", "InvalidValue");
        assertThat(event.getMessage()).isEqualTo(ready.getMessage());
        assertThat(event.getInvolvedObject().getKind()).isEqualTo("DnsRecord");
    }

    @Test
    void namesOutsideTheNamespacesReachAreRejected() {
        client.resource(record("team-a", "other-ns", "db.shop.svc.cluster.local", DnsRecordType.A, "10.0.0.1"))
                .create();
        client.resource(record("team-a", "no-writers", "www.example.net", DnsRecordType.A, "192.0.2.1"))
                .create();
        client.resource(record("team-a", "elsewhere", "www.example.org", DnsRecordType.A, "192.0.2.1"))
                .create();
        client.resource(record("shop", "own-ns", "db.shop.svc.cluster.local", DnsRecordType.A, "10.0.0.1"))
                .create();

        assertThat(awaitReady("team-a", "other-ns", "False").getReason()).isEqualTo("NotAllowed");
        assertThat(awaitReady("team-a", "no-writers", "False").getMessage())
                .contains("zonekeeper.zone-writers.\"example.net\"");
        assertThat(awaitReady("team-a", "elsewhere", "False").getReason()).isEqualTo("ZoneNotServed");
        assertThat(awaitReady("shop", "own-ns", "True").getReason()).isEqualTo("Serving");
        awaitWarning("team-a", "other-ns", "NotAllowed");
        awaitWarning("team-a", "elsewhere", "ZoneNotServed");
    }

    @Test
    void theSchemaRejectsATtlAboveOneDay() {
        DnsRecord tooLong = record("team-a", "long-ttl", "long.example.com", DnsRecordType.A, "192.0.2.1");
        tooLong.getSpec().setTtl(90000);

        assertThatThrownBy(() -> client.resource(tooLong).create())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(422);
                    assertThat(e.getMessage()).contains("spec.ttl").contains("86400");
                });
    }

    @Test
    void theSchemaRejectsAnUnknownTypeAndAnEmptyValueList() {
        DnsRecord noValues = record("team-a", "no-values", "x.example.com", DnsRecordType.A);

        assertThatThrownBy(() -> client.resource(noValues).create())
                .isInstanceOfSatisfying(
                        KubernetesClientException.class,
                        e -> assertThat(e.getMessage()).contains("spec.values"));
        assertThatThrownBy(() -> client.genericKubernetesResources("zonekeeper.dev/v1alpha1", "DnsRecord")
                        .inNamespace("team-a")
                        .resource(new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                                .withApiVersion("zonekeeper.dev/v1alpha1")
                                .withKind("DnsRecord")
                                .withNewMetadata()
                                .withName("bad-type")
                                .withNamespace("team-a")
                                .endMetadata()
                                .addToAdditionalProperties(
                                        "spec",
                                        Map.of("name", "x.example.com", "type", "SPF", "values", List.of("v=spf1")))
                                .build())
                        .create())
                .isInstanceOfSatisfying(
                        KubernetesClientException.class,
                        e -> assertThat(e.getMessage()).contains("spec.type").contains("Unsupported value"));
    }

    @Test
    void theOlderRecordOwnsANameAcrossNamespacesUntilItIsDeleted() {
        client.resource(record("team-a", "first", "shared.example.com", DnsRecordType.A, "192.0.2.1"))
                .create();
        awaitReady("team-a", "first", "True");
        client.resource(record("team-b", "second", "shared.example.com", DnsRecordType.A, "192.0.2.2"))
                .create();

        Condition conflict = awaitReady("team-b", "second", "False");
        assertThat(conflict.getReason()).isEqualTo("Conflict");
        assertThat(conflict.getMessage()).contains("team-a/first");
        awaitWarning("team-b", "second", "Conflict");
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(registry.snapshot().recordSets())
                        .containsKey("team-a/first")
                        .doesNotContainKey("team-b/second"));

        client.resource(get("team-a", "first")).delete();

        assertThat(awaitReady("team-b", "second", "True").getReason()).isEqualTo("Serving");
        await().atMost(TIMEOUT).until(() -> registry.snapshot().recordSets().containsKey("team-b/second"));
    }

    /**
     * Issue 13 point 7: a DnsRecord at a name a Service owns is not served (the Service's records are), so its status
     * must not say it is: Ready=False, reason NameOwnedByService naming the Service, a Warning Event. When the Service
     * goes, the DnsRecord is served and says so.
     */
    @Test
    void aDnsRecordAtAServicesNameSaysTheServiceOwnsIt() throws Exception {
        // the API server's own Service default/kubernetes, as in the issue
        String apiIp = await().atMost(TIMEOUT)
                .until(
                        () -> client.services()
                                .inNamespace("default")
                                .withName("kubernetes")
                                .get(),
                        java.util.Objects::nonNull)
                .getSpec()
                .getClusterIP();
        client.resource(record(
                        "default", "kubernetes", "kubernetes.default.svc.cluster.local", DnsRecordType.A, "192.0.2.77"))
                .create();

        Condition owned = awaitReady("default", "kubernetes", "False");
        assertThat(owned.getReason()).isEqualTo("NameOwnedByService");
        assertThat(owned.getMessage()).contains("default/kubernetes");
        assertThat(awaitWarning("default", "kubernetes", "NameOwnedByService").getMessage())
                .isEqualTo(owned.getMessage());
        org.xbill.DNS.Name cluster = org.xbill.DNS.Name.fromConstantString("cluster.local.");
        assertThat(aRecords(cluster, "kubernetes.default.svc.cluster.local.")).containsExactly(apiIp);

        // a Service of its own namespace takes a name a DnsRecord had, then gives it back
        client.resource(record("shop", "web", "web.shop.svc.cluster.local", DnsRecordType.A, "192.0.2.78"))
                .create();
        assertThat(awaitReady("shop", "web", "True").getReason()).isEqualTo("Serving");
        String webIp = client.services()
                .inNamespace("shop")
                .resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                        .withNewMetadata()
                        .withName("web")
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
        assertThat(awaitReady("shop", "web", "False").getMessage()).contains("shop/web");
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(aRecords(cluster, "web.shop.svc.cluster.local."))
                        .containsExactly(webIp));
        client.services().inNamespace("shop").withName("web").delete();
        assertThat(awaitReady("shop", "web", "True").getReason()).isEqualTo("Serving");
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(aRecords(cluster, "web.shop.svc.cluster.local."))
                        .containsExactly("192.0.2.78"));
    }

    /**
     * Issue 13 point 12: NS records at a zone apex beside the generated ones would change the delegation of the zone
     * itself: rejected with reason ZoneApexNS and a Warning Event, and not served; NS below the apex still delegate.
     */
    @Test
    void nsRecordsAtAZoneApexAreRejected() throws Exception {
        client.resource(record("team-a", "apex-ns", "example.com", DnsRecordType.NS, "ns1.attacker.example."))
                .create();
        client.resource(record("team-a", "sub-ns", "sub.example.com", DnsRecordType.NS, "ns1.example.org."))
                .create();

        Condition apex = awaitReady("team-a", "apex-ns", "False");
        assertThat(apex.getReason()).isEqualTo("ZoneApexNS");
        assertThat(apex.getMessage()).contains("zone apex example.com.");
        awaitWarning("team-a", "apex-ns", "ZoneApexNS");
        assertThat(awaitReady("team-a", "sub-ns", "True").getReason()).isEqualTo("Serving");
        org.xbill.DNS.Name example = org.xbill.DNS.Name.fromConstantString("example.com.");
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(records(example, org.xbill.DNS.Type.NS))
                        .contains("sub.example.com. ns1.example.org."));
        assertThat(records(example, org.xbill.DNS.Type.NS))
                .noneMatch(l -> l.contains("attacker"))
                .filteredOn(l -> l.startsWith("example.com. "))
                .hasSize(1);
    }

    /**
     * Issue 13 point 13: creationTimestamp has a resolution of one second, so DnsRecords at one name created in the
     * same second used to be owned by name order. The first created owns the name; the order is recorded in
     * status.claimRevision and holds for a replica that starts later, even after the owner changed since.
     */
    @Test
    void inABurstTheFirstCreatedOwnsTheName() throws Exception {
        // names in the reverse of creation order, so ownership by name would pick the last one created
        List<String> names = List.of("e-first", "d-second", "c-third", "b-fourth", "a-fifth");
        String owner = null;
        String burstNamespace = null;
        for (int attempt = 0; owner == null; attempt++) {
            assertThat(attempt).as("a burst within one second").isLessThan(10);
            String fqdn = "burst" + attempt + ".example.com";
            List<DnsRecord> created = new java.util.ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                created.add(client.resource(record(
                                "team-b", names.get(i) + "-" + attempt, fqdn, DnsRecordType.A, "192.0.2." + (100 + i)))
                        .create());
            }
            if (created.get(0)
                    .getMetadata()
                    .getCreationTimestamp()
                    .equals(created.get(1).getMetadata().getCreationTimestamp())) {
                owner = created.get(0).getMetadata().getName();
                burstNamespace = "team-b";
            }
        }
        String first = owner;
        String second = "d-second" + first.substring("e-first".length());
        assertThat(awaitReady(burstNamespace, first, "True").getReason()).isEqualTo("Serving");
        Condition conflict = awaitReady(burstNamespace, second, "False");
        assertThat(conflict.getReason()).isEqualTo("Conflict");
        assertThat(conflict.getMessage()).contains("team-b/" + first);
        for (String name : names) {
            String resource = name + first.substring("e-first".length());
            if (!resource.equals(first)) {
                assertThat(awaitReady(burstNamespace, resource, "False").getMessage())
                        .contains("team-b/" + first);
            }
        }
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(registry.snapshot().recordSets())
                        .containsKey("team-b/" + first)
                        .doesNotContainKey("team-b/" + second));

        // the owner changes after the statuses were written (its resourceVersion is now the newest of all): a replica
        // that
        // starts now still gives it the name, from the recorded status.claimRevision
        String firstName = first;
        await().atMost(TIMEOUT).until(() -> get("team-b", firstName).getStatus().getClaimRevision() != null);
        client.resources(DnsRecord.class).inNamespace("team-b").withName(first).edit(r -> {
            r.getMetadata().setLabels(Map.of("touched", "yes"));
            return r;
        });
        InMemoryRecordRegistry restarted = new InMemoryRecordRegistry();
        ZoneSettings zones = ZoneSettings.parse(
                "cluster.local", List.of("example.com", "example.net"), Map.of("example.com", "team-a,team-b,shop"));
        dev.zonekeeper.operator.zone.ZonePublisher publisher = new dev.zonekeeper.operator.zone.ZonePublisher(
                zones,
                new dev.zonekeeper.operator.discovery.ClusterZoneBuilder("cluster.local", 5, List.of()),
                new dev.zonekeeper.dns.transfer.PrimaryZones(),
                new dev.zonekeeper.operator.zone.ProgrammingLatency(
                        new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
        try (var informers = new dev.zonekeeper.operator.informers.ClusterInformers(
                client,
                publisher,
                new dev.zonekeeper.operator.records.DnsRecordServing(
                        new dev.zonekeeper.operator.records.DnsRecordPolicy(zones), restarted))) {
            informers.start().toCompletableFuture().get(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            assertThat(restarted.snapshot().recordSets())
                    .containsKey("team-b/" + first)
                    .doesNotContainKey("team-b/" + second);
        }
    }

    @Test
    void kubectlPrintsTheColumnsListsTheCategoryAndExplainsEveryField() throws Exception {
        client.resource(record("shop", "mail", "example.com", DnsRecordType.MX, "10 mail.example.com."))
                .create();
        awaitReady("shop", "mail", "True");

        String table = controlPlane.kubectl("get", "dnsrecords", "-n", "shop", "mail");
        List<String> lines = table.lines().toList();
        assertThat(lines.get(0).split("\\s+")).containsExactly("NAME", "FQDN", "TYPE", "VALUES", "TTL", "READY", "AGE");
        assertThat(lines.get(1).split("\\s+"))
                .startsWith("mail", "example.com.", "MX", "[\"10", "mail.example.com.\"]", "30", "True");

        assertThat(controlPlane
                        .kubectl("get", "zonekeeper", "-n", "shop", "-o", "name")
                        .lines())
                .contains("dnsrecord.zonekeeper.dev/mail");
        assertThat(controlPlane
                        .kubectl("get", "dnsr", "-n", "shop", "mail")
                        .lines()
                        .skip(1))
                .singleElement()
                .asString()
                .startsWith("mail ");

        String explain = controlPlane.kubectl("explain", "dnsrecord.spec");
        assertThat(explain)
                .contains("The records to publish")
                .contains("name\t<string> -required-")
                .contains("Fully qualified owner name")
                .contains("type\t<string> -required-")
                .contains("Record type")
                .contains("ttl\t<integer>")
                .contains("Time to live")
                .contains("values\t<[]string> -required-")
                .contains("presentation format");
        assertThat(controlPlane.kubectl("explain", "dnsrecord.status"))
                .contains("conditions")
                .contains("fqdn")
                .contains("observedGeneration")
                .contains("servedSerial");
    }

    private Condition awaitReady(String namespace, String name, String status) {
        return await().atMost(TIMEOUT)
                .until(
                        () -> Optional.ofNullable(get(namespace, name))
                                .map(DnsRecord::getStatus)
                                .flatMap(s -> s.condition(DnsRecordStatus.READY))
                                .filter(c -> status.equals(c.getStatus())),
                        Optional::isPresent)
                .orElseThrow();
    }

    private Event awaitWarning(String namespace, String name, String reason) {
        return await().atMost(TIMEOUT)
                .until(
                        () -> client.v1().events().inNamespace(namespace).list().getItems().stream()
                                .filter(e -> name.equals(e.getInvolvedObject().getName())
                                        && reason.equals(e.getReason())
                                        && "Warning".equals(e.getType()))
                                .findFirst(),
                        Optional::isPresent)
                .orElseThrow();
    }

    /** "name rdata" of the records of {@code type} in the replica's zone, by AXFR from its transfer server. */
    private java.util.TreeSet<String> records(org.xbill.DNS.Name zone, int type) throws Exception {
        org.xbill.DNS.ZoneTransferIn xfr = org.xbill.DNS.ZoneTransferIn.newAXFR(
                zone,
                replica.transferAddress().getHostString(),
                replica.transferAddress().getPort(),
                null);
        xfr.setTimeout(Duration.ofSeconds(10));
        xfr.run();
        java.util.TreeSet<String> out = new java.util.TreeSet<>();
        for (org.xbill.DNS.Record r : xfr.getAXFR()) {
            if (r.getType() == type) {
                out.add(r.getName() + " " + r.rdataToString());
            }
        }
        return out;
    }

    private List<String> aRecords(org.xbill.DNS.Name zone, String owner) throws Exception {
        return records(zone, org.xbill.DNS.Type.A).stream()
                .filter(l -> l.startsWith(owner + " "))
                .map(l -> l.substring(owner.length() + 1))
                .toList();
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

    private static boolean established(CustomResourceDefinition crd) {
        return ControlPlane.established(crd);
    }
}
