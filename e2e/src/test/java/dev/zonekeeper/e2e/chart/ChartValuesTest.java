package dev.zonekeeper.e2e.chart;

import static dev.zonekeeper.e2e.chart.Manifests.container;
import static dev.zonekeeper.e2e.chart.Manifests.env;
import static dev.zonekeeper.e2e.chart.Manifests.texts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Non-default values render what they promise. */
class ChartValuesTest {

    private static final String FULLNAME = "zk-zonekeeper";

    @TempDir
    static Path tmp;

    private static Helm helm;
    private static Manifests custom;
    private static JsonNode customPod;

    /** Per test rather than @BeforeAll, so that a missing helm reports every test as skipped, with the reason. */
    @BeforeEach
    void render() throws IOException {
        helm = Helm.locate();
        if (custom != null) {
            return;
        }
        Path values = tmp.resolve("custom.yaml");
        Files.writeString(
                values,
                String.join(
                        "\n",
                        "replicaCount: 3",
                        "clusterDomain: k8s.example.",
                        "zones:",
                        "  - name: example.internal",
                        "    writers: [team-a, team-b]",
                        "  - name: shared.example.",
                        "    writers: ['*']",
                        "upstreams: ['192.0.2.53:53', '[2001:db8::53]:5353']",
                        "ttl: 30",
                        "pods: disabled",
                        "updates:",
                        "  enabled: false",
                        "cache:",
                        "  size: 5000",
                        "logLevel: DEBUG",
                        "tsig:",
                        "  existingSecret: my-tsig",
                        "service:",
                        "  clusterIP: 10.96.0.10",
                        "serviceMonitor:",
                        "  enabled: true",
                        "  interval: 15s",
                        "  labels: {release: prom}",
                        "priorityClassName: system-cluster-critical",
                        "image:",
                        "  dnsServer:",
                        "    repository: registry.example/dns",
                        "    tag: dev",
                        ""));
        custom = Manifests.parse(helm.template("zk", "dns", List.of("-f", values.toString()))
                .assertSuccess()
                .stdout());
        customPod =
                custom.get("Deployment", FULLNAME).path("spec").path("template").path("spec");
    }

    @Test
    void replicasAndPriorityClass() {
        assertThat(custom.get("Deployment", FULLNAME)
                        .path("spec")
                        .path("replicas")
                        .asInt())
                .isEqualTo(3);
        assertThat(customPod.path("priorityClassName").asText()).isEqualTo("system-cluster-critical");
    }

    @Test
    void fixedClusterIpTakesOverKubeDnsAddress() {
        JsonNode service = custom.get("Service", FULLNAME);
        assertThat(service.path("spec").path("clusterIP").asText()).isEqualTo("10.96.0.10");
        JsonNode testPod = custom.get("Pod", FULLNAME + "-test-dns")
                .path("spec")
                .path("containers")
                .get(0);
        assertThat(env(testPod, "DNS_SERVER")).hasValue("10.96.0.10");
        assertThat(env(testPod, "LOOKUP_NAME")).hasValue("kubernetes.default.svc.k8s.example");
    }

    @Test
    void extraZonesReachBothContainersWithTheirWriters() {
        JsonNode dnsServer = container(customPod, "dns-server");
        assertThat(texts(dnsServer.path("args")))
                .containsExactly(
                        "--listen",
                        "0.0.0.0:5353",
                        "--primary",
                        "127.0.0.1:5300",
                        "--tsig-key-file",
                        "/etc/zonekeeper/tsig/tsig.key",
                        "--notify-listen",
                        "127.0.0.1:5354",
                        "--zone",
                        "k8s.example",
                        "--zone",
                        "in-addr.arpa",
                        "--zone",
                        "ip6.arpa",
                        "--zone",
                        "example.internal",
                        "--zone",
                        "shared.example",
                        "--fallthrough",
                        "in-addr.arpa",
                        "--fallthrough",
                        "ip6.arpa",
                        "--upstream",
                        "192.0.2.53:53",
                        "--upstream",
                        "[2001:db8::53]:5353",
                        "--cache-size",
                        "5000",
                        "--metrics",
                        "0.0.0.0:9153",
                        "--rrl-rate",
                        "2000",
                        "--rrl-slip",
                        "2",
                        "--rrl-ipv4-prefix",
                        "24",
                        "--rrl-ipv6-prefix",
                        "56",
                        "--rrl-window",
                        "15",
                        "--lameduck",
                        "5",
                        "--snapshot-dir",
                        "/var/lib/zonekeeper/snapshots",
                        "--snapshot-max-age",
                        "86400");
        assertThat(dnsServer.path("image").asText()).isEqualTo("registry.example/dns:dev");

        JsonNode operator = container(customPod, "operator");
        assertThat(env(operator, "ZONEKEEPER_CLUSTER_DOMAIN")).hasValue("k8s.example");
        assertThat(env(operator, "ZONEKEEPER_ZONES")).hasValue("example.internal,shared.example");
        assertThat(env(operator, "ZONEKEEPER_TTL")).hasValue("30");
        assertThat(env(operator, "ZONEKEEPER_PODS")).hasValue("disabled");
        assertThat(env(operator, "QUARKUS_LOG_LEVEL")).hasValue("DEBUG");
        assertThat(operator.path("image").asText()).isEqualTo("ghcr.io/zonekeeper/zonekeeper-operator:0.1.0");

        assertThat(properties(custom.get("ConfigMap", FULLNAME + "-config")))
                .containsOnly(
                        entry("zonekeeper.zone-writers.\"example.internal\"", "team-a,team-b"),
                        entry("zonekeeper.zone-writers.\"shared.example\"", "*"));
    }

    @Test
    void configChangeRollsThePods() throws IOException {
        Path values = tmp.resolve("writers.yaml");
        Files.writeString(values, "zones: [{name: example.internal, writers: [team-a]}]\n");
        JsonNode other = Manifests.parse(helm.template("zk", "dns", List.of("-f", values.toString()))
                        .assertSuccess()
                        .stdout())
                .get("Deployment", FULLNAME);
        assertThat(annotation(other, "checksum/config"))
                .isNotEqualTo(annotation(custom.get("Deployment", FULLNAME), "checksum/config"));
    }

    @Test
    void existingTsigSecretIsUsedAndNoneIsGenerated() {
        assertThat(custom.ofKind("Secret")).isEmpty();
        assertThat(ChartDefaultsTest.volume(customPod, "tsig")
                        .path("secret")
                        .path("secretName")
                        .asText())
                .isEqualTo("my-tsig");
    }

    @Test
    void serviceMonitorScrapesBothContainersThroughTheMetricsService() {
        JsonNode monitor = custom.get("ServiceMonitor", FULLNAME);
        assertThat(monitor.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(monitor.path("metadata").path("labels").path("release").asText())
                .isEqualTo("prom");
        assertThat(monitor.path("spec").path("endpoints"))
                .extracting(
                        e -> e.path("port").asText(),
                        e -> e.path("path").asText(),
                        e -> e.path("interval").asText())
                .containsExactlyInAnyOrder(
                        tuple("metrics", "/metrics", "15s"), tuple("http-operator", "/q/metrics", "15s"));

        JsonNode selector = monitor.path("spec").path("selector").path("matchLabels");
        JsonNode metricsLabels =
                custom.get("Service", FULLNAME + "-metrics").path("metadata").path("labels");
        JsonNode dnsLabels = custom.get("Service", FULLNAME).path("metadata").path("labels");
        ChartDefaultsTest.assertSelects(selector, metricsLabels);
        assertThat(selectsAll(selector, dnsLabels))
                .as("the DNS Service has no metrics ports and must not be selected")
                .isFalse();
        assertThat(texts(monitor.path("spec").path("namespaceSelector").path("matchNames")))
                .containsExactly("dns");
    }

    @Test
    void updatesOffTakeAwaySecretsAndDnsRecordCreation() {
        List<String> rules = ChartDefaultsTest.rules(custom.get("ClusterRole", FULLNAME));
        assertThat(rules)
                .contains("zonekeeper.dev/dnsrecords:get,list,patch,update,watch")
                .contains("zonekeeper.dev/dnsupdatepolicies:get,list,watch")
                .noneMatch(r -> r.startsWith("core/secrets"));
        assertThat(env(container(customPod, "operator"), "ZONEKEEPER_UPDATES_ENABLED"))
                .hasValue("false");
    }

    @Test
    void replaceCorednsExampleRendersAClusterDns() {
        Path example = helm.repoPath("examples/values/replace-coredns.yaml");
        helm.lintStrict(example).assertSuccess();
        Manifests rendered =
                Manifests.parse(helm.template("zonekeeper", "kube-system", List.of("-f", example.toString()))
                        .assertSuccess()
                        .stdout());
        JsonNode deployment = rendered.get("Deployment", "zonekeeper");
        JsonNode pod = deployment.path("spec").path("template").path("spec");
        assertThat(deployment.path("spec").path("replicas").asInt()).isEqualTo(2);
        assertThat(pod.path("priorityClassName").asText()).isEqualTo("system-cluster-critical");
        assertThat(pod.path("dnsPolicy").asText()).isEqualTo("Default");
        assertThat(rendered.get("Service", "zonekeeper")
                        .path("spec")
                        .path("clusterIP")
                        .asText())
                .isEqualTo("10.96.0.10");
        assertThat(rendered.get("Service", "zonekeeper")
                        .path("metadata")
                        .path("labels")
                        .path("k8s-app")
                        .asText())
                .isEqualTo("kube-dns");
        List<String> args = texts(container(pod, "dns-server").path("args"));
        assertThat(args).as("upstreams come from the node's resolv.conf").doesNotContain("--upstream");
        assertThat(args).containsSubsequence("--zone", "cluster.local");
        assertThat(PodSecurity.restrictedViolations(pod)).isEmpty();
    }

    static Map<String, String> properties(JsonNode configMap) {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(
                    configMap.path("data").path("application.properties").asText()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> map = new HashMap<>();
        properties.forEach((k, v) -> map.put((String) k, (String) v));
        return map;
    }

    private static String annotation(JsonNode deployment, String name) {
        return deployment
                .path("spec")
                .path("template")
                .path("metadata")
                .path("annotations")
                .path(name)
                .asText();
    }

    private static boolean selectsAll(JsonNode selector, JsonNode labels) {
        boolean[] all = {true};
        selector.fields()
                .forEachRemaining(e -> all[0] &=
                        e.getValue().asText().equals(labels.path(e.getKey()).asText(null)));
        return all[0];
    }
}
