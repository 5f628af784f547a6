package dev.zonekeeper.e2e.chart;

import static dev.zonekeeper.e2e.chart.Manifests.argAfter;
import static dev.zonekeeper.e2e.chart.Manifests.container;
import static dev.zonekeeper.e2e.chart.Manifests.env;
import static dev.zonekeeper.e2e.chart.Manifests.texts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code helm template} of the chart with its default values, release "zk" in namespace "dns". */
class ChartDefaultsTest {

    private static final String FULLNAME = "zk-zonekeeper";
    private static Manifests manifests;
    private static JsonNode deployment;
    private static JsonNode podSpec;

    /** Per test rather than @BeforeAll, so that a missing helm reports every test as skipped, with the reason. */
    @BeforeEach
    void render() {
        Helm helm = Helm.locate();
        if (manifests != null) {
            return;
        }
        manifests = Manifests.parse(
                helm.template("zk", "dns", List.of()).assertSuccess().stdout());
        deployment = manifests.get("Deployment", FULLNAME);
        podSpec = deployment.path("spec").path("template").path("spec");
    }

    @Test
    void rendersExactlyTheExpectedObjects() {
        assertThat(manifests.summary())
                .containsExactlyInAnyOrder(
                        "Deployment/" + FULLNAME,
                        "Service/" + FULLNAME,
                        "Service/" + FULLNAME + "-metrics",
                        "PodDisruptionBudget/" + FULLNAME,
                        "ServiceAccount/" + FULLNAME,
                        "ClusterRole/" + FULLNAME,
                        "ClusterRoleBinding/" + FULLNAME,
                        "Role/" + FULLNAME + "-leader-election",
                        "RoleBinding/" + FULLNAME + "-leader-election",
                        "Secret/" + FULLNAME + "-tsig",
                        "ConfigMap/" + FULLNAME + "-config",
                        "Pod/" + FULLNAME + "-test-dns");
        for (JsonNode object : manifests.all()) {
            String kind = object.path("kind").asText();
            if (!kind.startsWith("Cluster")) {
                assertThat(object.path("metadata").path("namespace").asText())
                        .as("namespace of %s", kind)
                        .isEqualTo("dns");
            }
        }
    }

    @Test
    void everyObjectCarriesTheStandardLabels() {
        for (JsonNode object : manifests.all()) {
            JsonNode labels = object.path("metadata").path("labels");
            String what = object.path("kind").asText() + "/"
                    + object.path("metadata").path("name").asText();
            assertThat(labels.path("app.kubernetes.io/name").asText()).as(what).isEqualTo("zonekeeper");
            assertThat(labels.path("app.kubernetes.io/instance").asText())
                    .as(what)
                    .isEqualTo("zk");
            assertThat(labels.path("app.kubernetes.io/version").asText())
                    .as(what)
                    .isEqualTo("0.1.0");
            assertThat(labels.path("app.kubernetes.io/managed-by").asText())
                    .as(what)
                    .isEqualTo("Helm");
            assertThat(labels.path("helm.sh/chart").asText()).as(what).isEqualTo("zonekeeper-0.1.0");
        }
    }

    @Test
    void deploymentRunsTwoPodsOfOperatorAndDnsServerSpreadOverNodes() {
        assertThat(deployment.path("spec").path("replicas").asInt()).isEqualTo(2);
        assertThat(podSpec.path("containers"))
                .extracting(c -> c.path("name").asText(), c -> c.path("image").asText())
                .containsExactly(
                        tuple("operator", "ghcr.io/zonekeeper/zonekeeper-operator:0.1.0"),
                        tuple("dns-server", "ghcr.io/zonekeeper/zonekeeper-dns-server:0.1.0"));
        assertThat(podSpec.path("dnsPolicy").asText())
                .as("the pod must not resolve through itself")
                .isEqualTo("Default");
        assertThat(podSpec.path("serviceAccountName").asText()).isEqualTo(FULLNAME);
        assertThat(podSpec.has("priorityClassName")).isFalse();

        JsonNode selector = deployment.path("spec").path("selector").path("matchLabels");
        assertSelects(
                selector,
                deployment.path("spec").path("template").path("metadata").path("labels"));

        JsonNode spread = podSpec.path("topologySpreadConstraints");
        assertThat(spread).hasSize(1);
        assertThat(spread.get(0).path("topologyKey").asText()).isEqualTo("kubernetes.io/hostname");
        assertThat(spread.get(0).path("maxSkew").asInt()).isEqualTo(1);
        assertThat(spread.get(0).path("labelSelector").path("matchLabels")).isEqualTo(selector);

        JsonNode antiAffinity = podSpec.path("affinity")
                .path("podAntiAffinity")
                .path("preferredDuringSchedulingIgnoredDuringExecution");
        assertThat(antiAffinity).hasSize(1);
        assertThat(antiAffinity
                        .get(0)
                        .path("podAffinityTerm")
                        .path("topologyKey")
                        .asText())
                .isEqualTo("kubernetes.io/hostname");
        assertThat(antiAffinity
                        .get(0)
                        .path("podAffinityTerm")
                        .path("labelSelector")
                        .path("matchLabels"))
                .isEqualTo(selector);
        assertThat(podSpec.path("affinity").has("podAntiAffinity")).isTrue();
        assertThat(podSpec.path("affinity")
                        .path("podAntiAffinity")
                        .has("requiredDuringSchedulingIgnoredDuringExecution"))
                .as("anti-affinity is a preference, so a one-node cluster still runs both replicas")
                .isFalse();
    }

    @Test
    void dnsServerSidecarGetsTheContractArguments() {
        JsonNode dnsServer = container(podSpec, "dns-server");
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
                        "cluster.local",
                        "--zone",
                        "in-addr.arpa",
                        "--zone",
                        "ip6.arpa",
                        "--fallthrough",
                        "in-addr.arpa",
                        "--fallthrough",
                        "ip6.arpa",
                        "--metrics",
                        "0.0.0.0:9153",
                        // issue 13: UDP response rate limiting, generous in a cluster (see values.yaml dnsServer.rrl)
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
        assertThat(dnsServer.path("ports"))
                .extracting(
                        p -> p.path("name").asText(),
                        p -> p.path("containerPort").asInt(),
                        p -> p.path("protocol").asText())
                .containsExactlyInAnyOrder(
                        tuple("dns-udp", 5353, "UDP"), tuple("dns-tcp", 5353, "TCP"), tuple("metrics", 9153, "TCP"));
        assertHttpProbe(dnsServer, "livenessProbe", "/health", "metrics");
        assertHttpProbe(dnsServer, "readinessProbe", "/ready", "metrics");
        assertHasRequestsAndMemoryLimit(dnsServer);
        assertThat(mountPaths(dnsServer))
                .containsEntry("/etc/zonekeeper/tsig", "tsig")
                .containsEntry("/tmp", "tmp-dns-server");
    }

    /**
     * SIGTERM starts the DNS server's lameduck (/ready 503 while it still answers, 5 s): the readiness probe notices
     * within it, the grace period covers it and the close after it; the last-known zones live in an emptyDir on
     * disk, so they survive a restart of the container.
     */
    /** No "Picked up JAVA_TOOL_OPTIONS" line without a timestamp in the DNS server's log: its options are arguments. */
    @Test
    void dnsServerJvmOptionsAreOnItsCommandLine() {
        JsonNode dnsServer = container(podSpec, "dns-server");
        List<String> command = texts(dnsServer.path("command"));
        assertThat(command.get(0)).isEqualTo("java");
        assertThat(command)
                .contains("-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED")
                .endsWith("-jar", "/app/zonekeeper-dns-server.jar");
        assertThat(env(dnsServer, "JAVA_TOOL_OPTIONS")).isEmpty();
        assertThat(env(dnsServer, "MALLOC_ARENA_MAX")).hasValue("2");
    }

    @Test
    void dnsServerStopsGracefullyAndKeepsItsZonesAcrossRestarts() {
        JsonNode dnsServer = container(podSpec, "dns-server");
        int lameduck = Integer.parseInt(argAfter(dnsServer, "--lameduck"));
        JsonNode readiness = dnsServer.path("readinessProbe");
        assertThat(readiness.path("periodSeconds").asInt()
                        * readiness.path("failureThreshold").asInt())
                .as("unready within the lameduck")
                .isLessThan(lameduck);
        assertThat(podSpec.path("terminationGracePeriodSeconds").asInt()).isGreaterThanOrEqualTo(lameduck + 10);
        assertThat(dnsServer.has("lifecycle"))
                .as("no preStop: the server's own lameduck does it")
                .isFalse();
        assertThat(mountPaths(dnsServer)).containsEntry("/var/lib/zonekeeper/snapshots", "snapshots");
        JsonNode snapshots = volume(podSpec, "snapshots").path("emptyDir");
        assertThat(snapshots.path("medium").asText(""))
                .as("on disk, not counted as memory")
                .isEmpty();
        assertThat(snapshots.path("sizeLimit").asText()).isEqualTo("256Mi");
    }

    @Test
    void operatorGetsItsConfigurationAndProbes() {
        JsonNode operator = container(podSpec, "operator");
        assertThat(env(operator, "ZONEKEEPER_CLUSTER_DOMAIN")).hasValue("cluster.local");
        assertThat(env(operator, "ZONEKEEPER_TSIG_KEY_FILE")).hasValue("/etc/zonekeeper/tsig/tsig.key");
        assertThat(env(operator, "ZONEKEEPER_TTL")).hasValue("5");
        assertThat(env(operator, "ZONEKEEPER_PODS")).hasValue("verified");
        assertThat(env(operator, "ZONEKEEPER_UPDATES_ENABLED")).hasValue("true");
        assertThat(env(operator, "ZONEKEEPER_TRANSFER_LISTEN")).hasValue("127.0.0.1:5300");
        assertThat(env(operator, "ZONEKEEPER_TRANSFER_NOTIFY"))
                .as("NOTIFY goes to the sidecar's --notify-listen")
                .hasValue(argAfter(container(podSpec, "dns-server"), "--notify-listen"));
        assertThat(argAfter(container(podSpec, "dns-server"), "--primary"))
                .as("the sidecar transfers from the operator")
                .isEqualTo(env(operator, "ZONEKEEPER_TRANSFER_LISTEN").orElseThrow());
        assertThat(argAfter(container(podSpec, "dns-server"), "--tsig-key-file"))
                .isEqualTo(env(operator, "ZONEKEEPER_TSIG_KEY_FILE").orElseThrow());
        assertThat(env(operator, "QUARKUS_LOG_LEVEL")).hasValue("INFO");
        assertThat(env(operator, "ZONEKEEPER_ZONES"))
                .as("no extra zones by default")
                .isEmpty();
        assertThat(operator.path("ports"))
                .extracting(
                        p -> p.path("name").asText(),
                        p -> p.path("containerPort").asInt())
                .containsExactly(tuple("http", 8080));
        assertHttpProbe(operator, "livenessProbe", "/q/health/live", "http");
        assertHttpProbe(operator, "readinessProbe", "/q/health/ready", "http");
        assertHasRequestsAndMemoryLimit(operator);
        assertThat(mountPaths(operator))
                .containsEntry("/etc/zonekeeper/tsig", "tsig")
                .containsEntry("/tmp", "tmp-operator")
                .containsEntry(operator.path("workingDir").asText() + "/config", "config");
    }

    @Test
    void tsigKeyIsAGeneratedSecretMountedIntoBothContainers() {
        JsonNode secret = manifests.get("Secret", FULLNAME + "-tsig");
        String content = new String(
                Base64.getDecoder().decode(secret.path("data").path("tsig.key").asText()), StandardCharsets.UTF_8);
        Matcher key = Pattern.compile("zonekeeper-transfer:hmac-sha256:([A-Za-z0-9+/=]+)")
                .matcher(content);
        assertThat(key.matches()).as("tsig.key content '%s'", content).isTrue();
        assertThat(Base64.getDecoder().decode(key.group(1)))
                .as("HMAC-SHA256 secret")
                .hasSizeGreaterThanOrEqualTo(32);

        JsonNode volume = volume(podSpec, "tsig");
        assertThat(volume.path("secret").path("secretName").asText()).isEqualTo(FULLNAME + "-tsig");
        assertThat(volume.path("secret").path("items").get(0).path("key").asText())
                .isEqualTo("tsig.key");

        String secondRender = Manifests.parse(Helm.locate()
                        .template("zk", "dns", List.of())
                        .assertSuccess()
                        .stdout())
                .get("Secret", FULLNAME + "-tsig")
                .path("data")
                .path("tsig.key")
                .asText();
        assertThat(secondRender)
                .as("a fresh key per offline render (lookup keeps it in a cluster)")
                .isNotEqualTo(secret.path("data").path("tsig.key").asText());
    }

    @Test
    void dnsServiceServesUdpAndTcpPort53FromContainerPort5353() {
        JsonNode service = manifests.get("Service", FULLNAME);
        assertThat(service.path("spec").path("type").asText()).isEqualTo("ClusterIP");
        assertThat(service.path("spec").has("clusterIP"))
                .as("allocated by the cluster by default")
                .isFalse();
        assertThat(service.path("spec").path("ports"))
                .extracting(
                        p -> p.path("port").asInt(),
                        p -> p.path("protocol").asText(),
                        p -> p.path("targetPort").asText())
                .containsExactlyInAnyOrder(tuple(53, "UDP", "dns-udp"), tuple(53, "TCP", "dns-tcp"));
        assertTargetPortsExist(service);
        assertSelects(
                service.path("spec").path("selector"),
                deployment.path("spec").path("template").path("metadata").path("labels"));
    }

    @Test
    void metricsServiceExposesBothContainers() {
        JsonNode service = manifests.get("Service", FULLNAME + "-metrics");
        assertThat(service.path("spec").path("ports"))
                .extracting(
                        p -> p.path("name").asText(),
                        p -> p.path("port").asInt(),
                        p -> p.path("targetPort").asText())
                .containsExactlyInAnyOrder(tuple("metrics", 9153, "metrics"), tuple("http-operator", 8080, "http"));
        assertTargetPortsExist(service);
        assertThat(manifests.ofKind("ServiceMonitor"))
                .as("serviceMonitor.enabled is false by default")
                .isEmpty();
    }

    @Test
    void podDisruptionBudgetAllowsOneUnavailablePod() {
        JsonNode pdb = manifests.get("PodDisruptionBudget", FULLNAME);
        assertThat(pdb.path("apiVersion").asText()).isEqualTo("policy/v1");
        assertThat(pdb.path("spec").path("maxUnavailable").asInt()).isEqualTo(1);
        assertThat(pdb.path("spec").path("selector").path("matchLabels"))
                .isEqualTo(deployment.path("spec").path("selector").path("matchLabels"));
    }

    @Test
    void clusterRoleGrantsExactlyWhatTheOperatorNeeds() {
        JsonNode clusterRole = manifests.get("ClusterRole", FULLNAME);
        assertThat(rules(clusterRole))
                .containsExactlyInAnyOrder(
                        "core/services:list,watch",
                        "core/pods:list,watch",
                        "core/namespaces:list,watch",
                        "discovery.k8s.io/endpointslices:list,watch",
                        "zonekeeper.dev/dnsrecords:create,delete,get,list,patch,update,watch",
                        "zonekeeper.dev/dnsrecords/status:patch,update",
                        "zonekeeper.dev/dnsupdatepolicies:get,list,watch",
                        "zonekeeper.dev/dnsupdatepolicies/status:patch,update",
                        "core/secrets:get,list,watch",
                        "core/events:create,patch",
                        "events.k8s.io/events:create,patch");

        JsonNode binding = manifests.get("ClusterRoleBinding", FULLNAME);
        assertThat(binding.path("roleRef").path("name").asText()).isEqualTo(FULLNAME);
        assertThat(binding.path("subjects"))
                .extracting(
                        s -> s.path("kind").asText(),
                        s -> s.path("name").asText(),
                        s -> s.path("namespace").asText())
                .containsExactly(tuple("ServiceAccount", FULLNAME, "dns"));
    }

    @Test
    void leasesAreTheOnlyNamespacedPermission() {
        JsonNode role = manifests.get("Role", FULLNAME + "-leader-election");
        assertThat(rules(role)).containsExactly("coordination.k8s.io/leases:create,get,patch,update");
        JsonNode binding = manifests.get("RoleBinding", FULLNAME + "-leader-election");
        assertThat(binding.path("roleRef").path("kind").asText()).isEqualTo("Role");
        assertThat(binding.path("roleRef").path("name").asText()).isEqualTo(FULLNAME + "-leader-election");
        assertThat(binding.path("subjects").get(0).path("name").asText()).isEqualTo(FULLNAME);
    }

    /** Secrets are read only for dynamic updates (the keys DnsUpdatePolicies name), and never written. */
    @Test
    void noRoleUsesWildcardsOrWritesSecrets() {
        List<JsonNode> roles = new ArrayList<>(manifests.ofKind("ClusterRole"));
        roles.addAll(manifests.ofKind("Role"));
        assertThat(roles).hasSize(2);
        for (JsonNode role : roles) {
            for (JsonNode rule : role.path("rules")) {
                for (String field : List.of("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs")) {
                    assertThat(texts(rule.path(field)))
                            .as("%s of %s", field, rule)
                            .noneMatch(v -> v.contains("*"));
                }
                if (texts(rule.path("resources")).contains("secrets")) {
                    assertThat(texts(rule.path("verbs")))
                            .as("Secrets are only read (the update policies' keys)")
                            .containsExactlyInAnyOrder("get", "list", "watch");
                }
            }
        }
    }

    @Test
    void everyPodMeetsPodSecurityRestricted() {
        assertThat(PodSecurity.restrictedViolations(podSpec)).isEmpty();
        JsonNode testPod = manifests.get("Pod", FULLNAME + "-test-dns");
        assertThat(PodSecurity.restrictedViolations(testPod.path("spec"))).isEmpty();
        for (JsonNode container : podSpec.path("containers")) {
            String tmpVolume = mountPaths(container).get("/tmp");
            assertThat(tmpVolume)
                    .as("writable /tmp of %s", container.path("name").asText())
                    .isNotNull();
            assertThat(volume(podSpec, tmpVolume).has("emptyDir")).isTrue();
        }
    }

    @Test
    void policyCheckerRejectsAnInsecurePod() throws Exception {
        JsonNode insecure = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
                .readTree(String.join(
                        "\n",
                        "hostNetwork: true",
                        "volumes: [{name: h, hostPath: {path: /}}]",
                        "containers:",
                        "  - name: c",
                        "    securityContext: {runAsUser: 0, capabilities: {add: [SYS_ADMIN]}}"));
        assertThat(PodSecurity.restrictedViolations(insecure))
                .anyMatch(v -> v.contains("hostNetwork"))
                .anyMatch(v -> v.contains("hostPath"))
                .anyMatch(v -> v.contains("SYS_ADMIN"))
                .anyMatch(v -> v.contains("allowPrivilegeEscalation"))
                .anyMatch(v -> v.contains("runAsNonRoot"))
                .anyMatch(v -> v.contains("seccompProfile"))
                .anyMatch(v -> v.contains("readOnlyRootFilesystem"));
    }

    @Test
    void helmTestPodLooksUpTheKubernetesServiceThroughTheDnsService() {
        JsonNode testPod = manifests.get("Pod", FULLNAME + "-test-dns");
        assertThat(testPod.path("metadata")
                        .path("annotations")
                        .path("helm.sh/hook")
                        .asText())
                .isEqualTo("test");
        JsonNode nslookup = testPod.path("spec").path("containers").get(0);
        assertThat(nslookup.path("image").asText()).isEqualTo("busybox:1.37.0");
        assertThat(env(nslookup, "LOOKUP_NAME")).hasValue("kubernetes.default.svc.cluster.local");
        // Kubernetes names the service-link variable after the DNS Service
        assertThat(String.join(" ", texts(nslookup.path("command")))).contains("$ZK_ZONEKEEPER_SERVICE_HOST");
        assertThat(testPod.path("spec").path("enableServiceLinks").asBoolean()).isTrue();
    }

    @Test
    void operatorConfigFileHasNoZoneWritersByDefault() {
        JsonNode config = manifests.get("ConfigMap", FULLNAME + "-config");
        assertThat(ChartValuesTest.properties(config)).isEmpty();
        assertThat(deployment
                        .path("spec")
                        .path("template")
                        .path("metadata")
                        .path("annotations")
                        .path("checksum/config")
                        .asText())
                .matches("[0-9a-f]{64}");
    }

    static void assertHttpProbe(JsonNode container, String probe, String path, String port) {
        JsonNode httpGet = container.path(probe).path("httpGet");
        assertThat(httpGet.path("path").asText())
                .as("%s path of %s", probe, container.path("name").asText())
                .isEqualTo(path);
        assertThat(httpGet.path("port").asText())
                .as("%s port of %s", probe, container.path("name").asText())
                .isEqualTo(port);
    }

    static void assertHasRequestsAndMemoryLimit(JsonNode container) {
        JsonNode resources = container.path("resources");
        assertThat(resources.path("requests").has("cpu"))
                .as("cpu request of %s", container.path("name"))
                .isTrue();
        assertThat(resources.path("requests").has("memory"))
                .as("memory request of %s", container.path("name"))
                .isTrue();
        assertThat(resources.path("limits").has("memory"))
                .as("memory limit of %s", container.path("name"))
                .isTrue();
    }

    /** mountPath -> volume name. */
    static Map<String, String> mountPaths(JsonNode container) {
        Map<String, String> mounts = new HashMap<>();
        container
                .path("volumeMounts")
                .forEach(m ->
                        mounts.put(m.path("mountPath").asText(), m.path("name").asText()));
        return mounts;
    }

    static JsonNode volume(JsonNode podSpec, String name) {
        for (JsonNode volume : podSpec.path("volumes")) {
            if (name.equals(volume.path("name").asText())) {
                return volume;
            }
        }
        throw new AssertionError("no volume " + name + " in the pod");
    }

    /** Each rule as "group/resource:sorted,verbs", one entry per resource. */
    static List<String> rules(JsonNode role) {
        List<String> rules = new ArrayList<>();
        for (JsonNode rule : role.path("rules")) {
            String verbs = String.join(",", new TreeSet<>(texts(rule.path("verbs"))));
            for (String group : texts(rule.path("apiGroups"))) {
                for (String resource : texts(rule.path("resources"))) {
                    rules.add((group.isEmpty() ? "core" : group) + "/" + resource + ":" + verbs);
                }
            }
        }
        return rules;
    }

    /** The Service's named target ports each name a container port of the same protocol. */
    private void assertTargetPortsExist(JsonNode service) {
        Set<String> containerPorts = new TreeSet<>();
        for (JsonNode container : podSpec.path("containers")) {
            container
                    .path("ports")
                    .forEach(p -> containerPorts.add(
                            p.path("name").asText() + "/" + p.path("protocol").asText()));
        }
        for (JsonNode port : service.path("spec").path("ports")) {
            assertThat(containerPorts)
                    .contains(port.path("targetPort").asText() + "/"
                            + port.path("protocol").asText());
        }
    }

    static void assertSelects(JsonNode selector, JsonNode podLabels) {
        assertThat(selector.size()).isPositive();
        selector.fields()
                .forEachRemaining(e -> assertThat(podLabels.path(e.getKey()).asText())
                        .as("pod label %s", e.getKey())
                        .isEqualTo(e.getValue().asText()));
    }
}
