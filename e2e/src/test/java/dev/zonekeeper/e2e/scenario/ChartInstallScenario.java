package dev.zonekeeper.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.zonekeeper.e2e.cluster.TestCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code helm install} of charts/zonekeeper into a real API server: every object the chart renders passes the API
 * server's validation (schemas, RBAC escalation checks, CRD structural schema) and is stored as rendered. Pods do not
 * run on the apiserver kind (no nodes); only the objects are checked.
 */
@ExtendWith(ZonekeeperExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChartInstallScenario {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory());

    private TestCluster cluster;
    private HelmCli helm;
    private String release;
    private String namespace;
    private String fullname;

    @BeforeAll
    void install(TestCluster cluster) {
        this.cluster = cluster;
        this.helm = new HelmCli(cluster);
        String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        this.release = "chart" + suffix;
        this.namespace = "zk-chart-" + suffix;
        this.fullname = release + "-zonekeeper";
        helm.install(
                release,
                namespace,
                List.of(
                        "--set", "zones[0].name=example.internal",
                        "--set", "zones[0].writers[0]=team-a",
                        "--set", "upstreams[0]=192.0.2.53:53"));
    }

    @AfterAll
    void uninstall() {
        if (helm != null) {
            helm.uninstall(release, namespace);
        }
    }

    @Test
    void everyRenderedObjectIsStoredAsRendered() throws IOException {
        List<Map<String, Object>> rendered = documents(helm.manifest(release, namespace));
        assertThat(rendered)
                .extracting(d -> (String) d.get("kind"))
                .contains(
                        "ServiceAccount",
                        "Secret",
                        "ConfigMap",
                        "ClusterRole",
                        "ClusterRoleBinding",
                        "Role",
                        "RoleBinding",
                        "Service",
                        "Deployment",
                        "PodDisruptionBudget");
        for (Map<String, Object> document : rendered) {
            GenericKubernetesResource expected = JSON.convertValue(document, GenericKubernetesResource.class);
            String where = expected.getKind() + " " + expected.getMetadata().getName();
            GenericKubernetesResource live = cluster.client()
                    .genericKubernetesResources(expected.getApiVersion(), expected.getKind())
                    .inNamespace(
                            expected.getMetadata().getNamespace() != null
                                    ? expected.getMetadata().getNamespace()
                                    : namespace)
                    .withName(expected.getMetadata().getName())
                    .get();
            assertThat(live).as("%s exists in the API server", where).isNotNull();
            Map<String, Object> liveMap = JSON.convertValue(live, Map.class);
            for (Map.Entry<String, Object> field : document.entrySet()) {
                if (field.getKey().equals("metadata")) {
                    Map<?, ?> metadata = (Map<?, ?>) field.getValue();
                    assertSubset(
                            where + " metadata.labels",
                            metadata.get("labels"),
                            ((Map<?, ?>) liveMap.get("metadata")).get("labels"));
                } else {
                    assertSubset(where + " " + field.getKey(), field.getValue(), liveMap.get(field.getKey()));
                }
            }
        }
    }

    @Test
    void theCrdIsEstablishedAndValidatesDnsRecords() {
        CustomResourceDefinition crd = cluster.client()
                .apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName("dnsrecords.zonekeeper.dev")
                .get();
        assertThat(crd)
                .as("CRD dnsrecords.zonekeeper.dev installed from the chart's crds/")
                .isNotNull();
        await("CRD established")
                .atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(cluster.client()
                                .apiextensions()
                                .v1()
                                .customResourceDefinitions()
                                .withName("dnsrecords.zonekeeper.dev")
                                .get()
                                .getStatus()
                                .getConditions())
                        .anySatisfy(c -> {
                            assertThat(c.getType()).isEqualTo("Established");
                            assertThat(c.getStatus()).isEqualTo("True");
                        }));
        assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("dnsr");
        assertThat(crd.getSpec().getNames().getCategories()).contains("zonekeeper");

        ResourceDefinitionContext dnsRecords = new ResourceDefinitionContext.Builder()
                .withGroup("zonekeeper.dev")
                .withVersion("v1alpha1")
                .withKind("DnsRecord")
                .withPlural("dnsrecords")
                .withNamespaced(true)
                .build();
        GenericKubernetesResource valid = dnsRecord(
                "valid", Map.of("name", "api.example.internal", "type", "A", "values", List.of("192.0.2.10")));
        GenericKubernetesResource stored = cluster.client()
                .genericKubernetesResources(dnsRecords)
                .inNamespace(namespace)
                .resource(valid)
                .create();
        assertThat(stored.get("spec", "ttl").toString())
                .as("spec.ttl defaulted by the CRD schema")
                .isEqualTo("30");

        GenericKubernetesResource ttlTooLarge = dnsRecord(
                "ttl-too-large",
                Map.of("name", "api.example.internal", "type", "A", "ttl", 90000, "values", List.of("192.0.2.10")));
        assertThatThrownBy(() -> cluster.client()
                        .genericKubernetesResources(dnsRecords)
                        .inNamespace(namespace)
                        .resource(ttlTooLarge)
                        .create())
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("spec.ttl");
        GenericKubernetesResource badType =
                dnsRecord("bad-type", Map.of("name", "api.example.internal", "type", "BOGUS", "values", List.of("x")));
        assertThatThrownBy(() -> cluster.client()
                        .genericKubernetesResources(dnsRecords)
                        .inNamespace(namespace)
                        .resource(badType)
                        .create())
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("spec.type");
    }

    @Test
    void deploymentRunsOperatorAndSidecarWithTheTsigSecret() {
        Deployment deployment = cluster.client()
                .apps()
                .deployments()
                .inNamespace(namespace)
                .withName(fullname)
                .get();
        assertThat(deployment).isNotNull();
        var pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo(fullname);
        assertThat(pod.getContainers()).extracting(c -> c.getName()).containsExactly("operator", "dns-server");
        assertThat(pod.getContainers().get(0).getImage()).isEqualTo("ghcr.io/zonekeeper/zonekeeper-operator:0.1.0");
        assertThat(pod.getContainers().get(1).getImage()).isEqualTo("ghcr.io/zonekeeper/zonekeeper-dns-server:0.1.0");
        assertThat(pod.getContainers().get(1).getArgs())
                .containsSubsequence("--primary", "127.0.0.1:5300", "--tsig-key-file", "/etc/zonekeeper/tsig/tsig.key");
        assertThat(pod.getContainers().get(1).getArgs()).containsSubsequence("--zone", "example.internal");
        assertThat(pod.getContainers().get(1).getArgs()).containsSubsequence("--upstream", "192.0.2.53:53");
        assertThat(pod.getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("tsig");
            assertThat(v.getSecret().getSecretName()).isEqualTo(fullname + "-tsig");
        });

        Secret secret = cluster.client()
                .secrets()
                .inNamespace(namespace)
                .withName(fullname + "-tsig")
                .get();
        String key = new String(Base64.getDecoder().decode(secret.getData().get("tsig.key")), StandardCharsets.UTF_8);
        assertThat(key).matches("zonekeeper-transfer:hmac-sha256:[A-Za-z0-9+/=]{40,}");

        PodDisruptionBudget pdb = cluster.client()
                .policy()
                .v1()
                .podDisruptionBudget()
                .inNamespace(namespace)
                .withName(fullname)
                .get();
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(pdb.getSpec().getSelector().getMatchLabels())
                .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
    }

    @Test
    void dnsServiceGetsAClusterIpAndTheRbacGrantsOnlyWhatTheOperatorNeeds() {
        Service dns = cluster.client()
                .services()
                .inNamespace(namespace)
                .withName(fullname)
                .get();
        assertThat(dns.getSpec().getClusterIP())
                .as("cluster IP allocated by the API server")
                .matches("[0-9.]+");
        assertThat(dns.getSpec().getPorts())
                .extracting(p -> p.getPort() + "/" + p.getProtocol())
                .containsExactlyInAnyOrder("53/UDP", "53/TCP");

        ClusterRole role =
                cluster.client().rbac().clusterRoles().withName(fullname).get();
        List<String> grants = new ArrayList<>();
        role.getRules()
                .forEach(rule -> rule.getResources()
                        .forEach(resource -> rule.getVerbs()
                                .forEach(
                                        verb -> grants.add(rule.getApiGroups().get(0) + "/" + resource + ":" + verb))));
        assertThat(grants)
                .contains(
                        "/services:watch",
                        "discovery.k8s.io/endpointslices:watch",
                        "/pods:list",
                        "zonekeeper.dev/dnsrecords/status:patch");
        // the update policies' keys are Secrets: read, never written (as ChartDefaultsTest and OperatorRbacScenario)
        assertThat(grants.stream().filter(g -> g.contains("secrets")))
                .as("the chart lets the operator read Secrets, never write them")
                .containsExactlyInAnyOrder("/secrets:get", "/secrets:list", "/secrets:watch");
    }

    private GenericKubernetesResource dnsRecord(String name, Map<String, Object> spec) {
        GenericKubernetesResource resource = new GenericKubernetesResourceBuilder()
                .withApiVersion("zonekeeper.dev/v1alpha1")
                .withKind("DnsRecord")
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .build();
        resource.setAdditionalProperty("spec", spec);
        return resource;
    }

    private static List<Map<String, Object>> documents(String manifest) throws IOException {
        List<Map<String, Object>> result = new ArrayList<>();
        for (Object doc : YAML.readerFor(Map.class).readValues(manifest).readAll()) {
            if (doc != null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = (Map<String, Object>) doc;
                result.add(map);
            }
        }
        return result;
    }

    /** Every field of {@code expected} is in {@code actual} with the same value; the server may add defaults. */
    private static void assertSubset(String path, Object expected, Object actual) {
        if (expected instanceof Map) {
            assertThat(actual).as("%s is an object in the API server", path).isInstanceOf(Map.class);
            for (Map.Entry<?, ?> e : ((Map<?, ?>) expected).entrySet()) {
                assertSubset(path + "." + e.getKey(), e.getValue(), ((Map<?, ?>) actual).get(e.getKey()));
            }
        } else if (expected instanceof List) {
            assertThat(actual).as("%s is a list in the API server", path).isInstanceOf(List.class);
            List<?> exp = (List<?>) expected;
            List<?> act = (List<?>) actual;
            assertThat(act).as("%s has as many entries as rendered", path).hasSize(exp.size());
            for (int i = 0; i < exp.size(); i++) {
                assertSubset(path + "[" + i + "]", exp.get(i), act.get(i));
            }
        } else if (expected != null) {
            assertThat(Objects.toString(actual, null)).as("%s", path).isEqualTo(expected.toString());
        }
    }
}
