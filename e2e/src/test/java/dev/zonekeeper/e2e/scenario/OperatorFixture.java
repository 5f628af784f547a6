package dev.zonekeeper.e2e.scenario;

import static org.awaitility.Awaitility.await;

import dev.zonekeeper.e2e.cluster.TestCluster;
import dev.zonekeeper.testing.ChildProcess;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The chart installed with helm, and the operator running as a separate process the way its container does, but
 * authenticated as the chart's ServiceAccount (a token from the TokenRequest API): what the chart's RBAC does not
 * grant, the operator cannot do. Shared by every scenario of a run (see {@link ZonekeeperExtension}).
 *
 * <p>Configuration as the chart's Deployment sets it (environment {@code ZONEKEEPER_*}), on free loopback ports.
 * {@code ZONEKEEPER_TRANSFER_NOTIFY} ({@code zonekeeper.transfer.notify}) lists the NOTIFY addresses of the two
 * sidecars a run may start: the shared one and PodResolutionScenario's.
 */
final class OperatorFixture implements AutoCloseable {

    final TestCluster cluster;
    final String namespace;
    final String release;
    final String fullname;
    final Path workDir;
    final Path tsigKeyFile;
    final Path serviceAccountKubeconfig;
    final int transferPort;
    final int notifyPort;
    /** NOTIFY port of the second sidecar, the one PodResolutionScenario starts on the veth address. */
    final int podNotifyPort;

    final int httpPort;
    /** Zones beyond the cluster's own, each with the namespaces that may write into it (the chart's {@code zones}). */
    final Map<String, List<String>> zones;

    private final HelmCli helm;
    private ChildProcess operator;

    private OperatorFixture(TestCluster cluster, Map<String, List<String>> zones) {
        this.cluster = cluster;
        this.zones = Map.copyOf(zones);
        String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        this.namespace = "zk-system-" + suffix;
        this.release = "zk" + suffix;
        this.fullname = release + "-zonekeeper";
        this.helm = new HelmCli(cluster);
        this.transferPort = Ports.free();
        this.notifyPort = Ports.free();
        this.podNotifyPort = Ports.free();
        this.httpPort = Ports.free();
        try {
            this.workDir = Files.createTempDirectory("zk-e2e-operator");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.tsigKeyFile = workDir.resolve("tsig.key");
        this.serviceAccountKubeconfig = workDir.resolve("operator.kubeconfig");
    }

    static OperatorFixture start(TestCluster cluster) {
        return start(cluster, Map.of());
    }

    /** The chart installed with these extra {@code zones} (zone to writer namespaces), the operator serving them. */
    static OperatorFixture start(TestCluster cluster, Map<String, List<String>> zones) {
        Artifacts.Paths jars = Artifacts.get();
        OperatorFixture fixture = new OperatorFixture(cluster, zones);
        try {
            fixture.install();
            fixture.startOperator(jars.operatorJar());
            return fixture;
        } catch (RuntimeException | Error e) {
            fixture.close();
            throw e;
        }
    }

    private void install() {
        List<String> values = new ArrayList<>(List.of("--set", "replicaCount=1"));
        int i = 0;
        for (Map.Entry<String, List<String>> zone : zones.entrySet()) {
            values.addAll(List.of("--set", "zones[" + i + "].name=" + zone.getKey()));
            values.addAll(List.of("--set", "zones[" + i++ + "].writers={" + String.join(",", zone.getValue()) + "}"));
        }
        helm.install(release, namespace, values);
        if (!zones.isEmpty()) {
            // the writers of each zone, from the chart's ConfigMap, where Quarkus reads it in the container
            ConfigMap config = cluster.client()
                    .configMaps()
                    .inNamespace(namespace)
                    .withName(fullname + "-config")
                    .get();
            try {
                Files.createDirectories(workDir.resolve("config"));
                Files.writeString(
                        workDir.resolve("config/application.properties"),
                        config.getData().get("application.properties"),
                        StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        // the TSIG key, as the pod gets it mounted from the Secret
        Secret secret = cluster.client()
                .secrets()
                .inNamespace(namespace)
                .withName(fullname + "-tsig")
                .get();
        if (secret == null || secret.getData() == null || !secret.getData().containsKey("tsig.key")) {
            throw new AssertionError(
                    "the chart made no Secret " + namespace + "/" + fullname + "-tsig with key tsig.key: " + secret);
        }
        writePrivate(
                tsigKeyFile,
                new String(Base64.getDecoder().decode(secret.getData().get("tsig.key")), StandardCharsets.UTF_8).trim()
                        + "\n");
        writePrivate(serviceAccountKubeconfig, serviceAccountKubeconfig());
    }

    /** A kubeconfig whose user is the chart's ServiceAccount, with a token from the TokenRequest API. */
    private String serviceAccountKubeconfig() {
        TokenRequest request = cluster.client()
                .serviceAccounts()
                .inNamespace(namespace)
                .withName(fullname)
                .tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(4L * 3600)
                        .endSpec()
                        .build());
        String token = request.getStatus().getToken();
        return String.join(
                "\n",
                "apiVersion: v1",
                "kind: Config",
                "clusters:",
                "- name: e2e",
                "  cluster:",
                "    server: " + cluster.apiServerUrl(),
                "    certificate-authority-data: " + cluster.caCertificateData(),
                "users:",
                "- name: " + fullname,
                "  user:",
                "    token: " + token,
                "contexts:",
                "- name: operator",
                "  context:",
                "    cluster: e2e",
                "    user: " + fullname,
                "    namespace: " + namespace,
                "current-context: operator",
                "");
    }

    /** A client that authenticates as the operator does (the chart's ServiceAccount). */
    KubernetesClient operatorIdentityClient() {
        return new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(serviceAccountKubeconfig.toFile()))
                .build();
    }

    private void startOperator(Path jar) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KUBECONFIG", serviceAccountKubeconfig.toString());
        env.put("ZONEKEEPER_CLUSTER_DOMAIN", "cluster.local");
        env.put("ZONEKEEPER_TTL", "5");
        if (!zones.isEmpty()) {
            env.put("ZONEKEEPER_ZONES", String.join(",", zones.keySet()));
        }
        env.put("ZONEKEEPER_TSIG_KEY_FILE", tsigKeyFile.toString());
        env.put("ZONEKEEPER_TRANSFER_LISTEN", "127.0.0.1:" + transferPort);
        env.put("ZONEKEEPER_TRANSFER_NOTIFY", "127.0.0.1:" + notifyPort + ",127.0.0.1:" + podNotifyPort);
        env.put("ZONEKEEPER_LEADER_ELECTION_LEASE_NAMESPACE", namespace);
        env.put("POD_NAME", fullname + "-e2e");
        env.put("POD_NAMESPACE", namespace);
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
        env.put("QUARKUS_LOG_LEVEL", "INFO");
        operator = ChildProcess.start(
                "operator",
                List.of(
                        Artifacts.java(),
                        "-Xmx384m",
                        "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                        "--add-opens",
                        "java.base/java.lang=ALL-UNNAMED",
                        "-jar",
                        jar.toString()),
                env,
                workDir,
                ChildProcess.logFile("e2e-logs", "operator"));
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI ready = URI.create("http://127.0.0.1:" + httpPort + "/q/health/ready");
        await("operator ready at " + ready + " (" + operator + ")")
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptionsInstanceOf(IOException.class)
                .failFast("operator exited: " + operator.tail(), () -> !operator.alive())
                .until(() -> http.send(
                                        HttpRequest.newBuilder(ready)
                                                .timeout(Duration.ofSeconds(3))
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200);
    }

    ChildProcess operator() {
        return operator;
    }

    /** Fails with the operator's log when it is no longer running. */
    void assertRunning() {
        operator.assertAlive();
    }

    private static void writePrivate(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (operator != null) {
            operator.close();
        }
        helm.uninstall(release, namespace);
        try {
            cluster.client().namespaces().withName(namespace).delete();
        } catch (RuntimeException ignored) {
            // best effort: the cluster goes away with the run on the apiserver kind
        }
    }

    @Override
    public String toString() {
        return "operator of release " + release + " in " + namespace + " (transfer 127.0.0.1:" + transferPort + ")";
    }
}
