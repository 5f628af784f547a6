package dev.zonekeeper.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.e2e.cluster.TestCluster;
import dev.zonekeeper.testing.DnsClients;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

/**
 * The cert-manager and ExternalDNS cases of {@link UpdateClientsCases} against Zonekeeper as the chart runs it: the
 * operator (as the chart's ServiceAccount) on a real API server and a DNS sidecar transferring from it; the clients
 * send their UPDATEs and ExternalDNS its AXFR to the sidecar. Each key is a Secret and a DnsUpdatePolicy created
 * through the API in one namespace, the only writer of {@code example.test}; what the clients write must show up as
 * DnsRecords labelled with the key that wrote them, and be gone once they removed it.
 *
 * <p>The API server is this class's own, not the run's shared one: a second operator on the shared cluster would
 * compete with the shared operator over every DnsRecord's and policy's status.
 */
class UpdateClientsScenario extends UpdateClientsCases {

    static final ResourceDefinitionContext POLICIES = DynamicUpdateScenario.POLICIES;
    static final String WRITTEN_BY_LABEL = "zonekeeper.dev/written-by";
    static final String KEY_LABEL = "zonekeeper.dev/update-key";

    private final String ns =
            "zk-updates-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
    private TestCluster cluster;
    private OperatorFixture operator;
    private Sidecar sidecar;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    @Override
    Served startDns(Path dir, List<Key> keys) {
        // the apiserver kind whatever the run's cluster is: on a kubeconfig cluster a second operator would compete
        cluster = TestCluster.start(TestCluster.Kind.APISERVER);
        started.push(cluster);
        try {
            Namespace namespace = new Namespace();
            namespace.setMetadata(new ObjectMetaBuilder().withName(ns).build());
            cluster.client().resource(namespace).create();
            operator = OperatorFixture.start(cluster, Map.of(ZONE, List.of(ns)));
            started.push(operator);
            // the zone's one record nobody's update wrote (ZONE_TEXT's static.apps)
            DnsRecords.api(cluster.client())
                    .resource(DnsRecords.of(ns, "static-apps", "static.apps.example.test.", "A", List.of("192.0.2.99")))
                    .create();
            for (Key key : keys) {
                createPolicy(key);
            }
            sidecar = Sidecar.start(
                    "updates-sidecar",
                    operator,
                    new InetSocketAddress("127.0.0.1", Ports.free()),
                    new InetSocketAddress("127.0.0.1", operator.notifyPort),
                    List.of());
            started.push(sidecar);
            for (Key key : keys) {
                awaitGrantInForce(key);
            }
            await("static.apps.example.test served by the sidecar")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> !DnsClients.dig(sidecar.dns, "static.apps.example.test", "A")
                            .answer()
                            .isEmpty());
        } catch (RuntimeException | Error e) {
            closeAll();
            throw e;
        }
        return new Served(
                sidecar.dns,
                () -> sidecar.process().tail() + "\n" + operator.operator().tail(),
                this::closeAll);
    }

    /** Stops what {@link #startDns} started, last first. */
    private void closeAll() {
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                System.err.println("[zonekeeper e2e] stopping: " + e);
            }
        }
    }

    /** The key as a Secret ({@code tsig.key}: name:algorithm:base64secret) and a DnsUpdatePolicy with its grants. */
    private void createPolicy(Key key) {
        String secretName = key.name() + "-tsig";
        cluster.client()
                .secrets()
                .inNamespace(ns)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName(secretName)
                        .withNamespace(ns)
                        .endMetadata()
                        // one Secret for both readers, as examples/ has it: Zonekeeper's tsig.key, cert-manager's bare
                        // secret under a key of its choice
                        .withStringData(Map.of(
                                "tsig.key",
                                key.name() + ":" + key.algorithm() + ":" + key.secret(),
                                "tsig-secret",
                                key.secret()))
                        .build())
                .create();
        List<Map<String, Object>> grants = key.grants().stream()
                .map(g -> {
                    Map<String, Object> grant = new LinkedHashMap<>();
                    grant.put("match", g.match());
                    grant.put("name", g.name());
                    grant.put("types", g.types());
                    return grant;
                })
                .toList();
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("zone", ZONE);
        spec.put("keySecretRef", Map.of("name", secretName));
        spec.put("grants", grants);
        GenericKubernetesResource policy = new GenericKubernetesResourceBuilder()
                .withApiVersion("zonekeeper.dev/v1alpha1")
                .withKind("DnsUpdatePolicy")
                .withNewMetadata()
                .withName(key.name())
                .withNamespace(ns)
                .endMetadata()
                .build();
        policy.setAdditionalProperty("spec", spec);
        cluster.client().genericKubernetesResources(POLICIES).resource(policy).create();
    }

    /**
     * Waits until an UPDATE signed with {@code key} is accepted: one with a single prerequisite (the granted name's
     * first type is absent) and no change, so the zone stays as it is. UPDATE is off until the policy is in force.
     */
    private void awaitGrantInForce(Key key) {
        Grant grant = key.grants().getFirst();
        await("an UPDATE signed with " + key.name() + " accepted")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500))
                .failFast(() -> !operator.operator().alive())
                .until(() -> probe(key, grant) == Rcode.NOERROR);
        GenericKubernetesResource policy = cluster.client()
                .genericKubernetesResources(POLICIES)
                .inNamespace(ns)
                .withName(key.name())
                .get();
        assertThat(DnsRecords.ready(policy))
                .as("the Ready condition of DnsUpdatePolicy %s", key.name())
                .hasValueSatisfying(ready -> assertThat(ready.status()).isEqualTo("True"));
    }

    private int probe(Key key, Grant grant) throws IOException {
        Update update = new Update(Name.fromString(ZONE + "."));
        update.absent(
                Name.fromString(grant.name() + "."), Type.value(grant.types().getFirst()));
        SimpleResolver resolver = new SimpleResolver(sidecar.dns);
        resolver.setTimeout(Duration.ofSeconds(3));
        resolver.setTCP(true);
        resolver.setTSIGKey(TSIG.fromString(key.algorithm() + ":" + key.name() + ":" + key.secret()));
        Message response = resolver.send(update);
        return response.getRcode();
    }

    /** cert-manager's solver reads the Secret from the API server (an informer in the Issuer's namespace). */
    @Override
    List<String> certManagerSecretArgs(CertManagerKey key) {
        return List.of(
                "-kubeconfig",
                cluster.kubeconfig().toString(),
                "-namespace",
                ns,
                "-secret",
                key.keyName + "-tsig",
                "-secret-key",
                "tsig-secret");
    }

    // ---- what the API shows

    @Override
    void assertChallengePublished(String fqdn, CertManagerKey key) {
        assertThat(updateRecords(key.keyName))
                .as("DnsRecords written with key %s", key.keyName)
                .contains(fqdn + " TXT");
    }

    @Override
    void assertChallengeRemoved(String fqdn) {
        assertThat(namesOf(allRecords())).as("DnsRecords in %s", ns).doesNotContain(fqdn);
    }

    @Override
    void assertExternalDnsNames(Set<String> names) {
        assertThat(namesOf(updateRecordsOf(EXTERNAL_DNS_KEY)))
                .as("names of the DnsRecords written with key %s", EXTERNAL_DNS_KEY)
                .isEqualTo(new TreeSet<>(names));
    }

    /** "name TYPE" of the DnsRecords labelled as written by an update with {@code keyName}. */
    private Set<String> updateRecords(String keyName) {
        return updateRecordsOf(keyName).stream()
                .map(r -> name(r) + " " + spec(r, "type"))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private List<GenericKubernetesResource> updateRecordsOf(String keyName) {
        return DnsRecords.api(cluster.client())
                .inNamespace(ns)
                .withLabel(WRITTEN_BY_LABEL, "dns-update")
                .withLabel(KEY_LABEL, keyName)
                .list()
                .getItems();
    }

    private List<GenericKubernetesResource> allRecords() {
        return DnsRecords.api(cluster.client()).inNamespace(ns).list().getItems();
    }

    private static Set<String> namesOf(List<GenericKubernetesResource> records) {
        return records.stream().map(UpdateClientsScenario::name).collect(Collectors.toCollection(TreeSet::new));
    }

    /** spec.name without the trailing dot, lower case. */
    private static String name(GenericKubernetesResource record) {
        String name = spec(record, "name").toLowerCase(Locale.ROOT);
        return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }

    @SuppressWarnings("unchecked")
    private static String spec(GenericKubernetesResource record, String field) {
        Object spec = record.getAdditionalProperties().get("spec");
        return spec instanceof Map ? String.valueOf(((Map<String, Object>) spec).get(field)) : "";
    }
}
