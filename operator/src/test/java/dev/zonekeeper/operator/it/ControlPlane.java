package dev.zonekeeper.operator.it;

import static org.awaitility.Awaitility.await;

import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordSpec;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import dev.zonekeeper.testing.KubeApiServer;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real etcd + kube-apiserver ({@link KubeApiServer}) and the matching kubectl.
 */
final class ControlPlane implements AutoCloseable {

    private static final String[] BINARIES = {"etcd", "kube-apiserver", "kubectl"};

    private final KubeApiServer server;
    private final Path kubectl;
    private final Path kubeconfig;

    private ControlPlane(KubeApiServer server, Path kubectl, Path kubeconfig) {
        this.server = server;
        this.kubectl = kubectl;
        this.kubeconfig = kubeconfig;
    }

    /**
     * Starts the control plane. Without the binaries the calling test is skipped, or fails under {@code CI=true}.
     */
    static ControlPlane start() throws IOException {
        return start(List.of());
    }

    /** As {@link #start()}, with extra kube-apiserver flags ({@code --name=value}). */
    static ControlPlane start(List<String> apiServerFlags) throws IOException {
        KubeApiServer.requireBinaries(BINARIES);
        KubeApiServer server = KubeApiServer.launch(apiServerFlags, null);
        Path kubeconfig = Files.createTempFile("zonekeeper-kubeconfig", ".yaml");
        Files.writeString(kubeconfig, server.kubeConfigYaml(), StandardCharsets.UTF_8);
        return new ControlPlane(server, binaries().resolve("kubectl"), kubeconfig);
    }

    /** Creates the committed CRDs (crds/: DnsRecord, DnsUpdatePolicy) and waits until the API server serves them. */
    static void applyCrd(KubernetesClient client) throws IOException {
        for (String file : List.of("dnsrecords.zonekeeper.dev-v1.yml", "dnsupdatepolicies.zonekeeper.dev-v1.yml")) {
            Path crd = Path.of(System.getProperty("crds.committed-dir", "../crds"), file);
            try (InputStream in = Files.newInputStream(crd)) {
                client.apiextensions().v1().customResourceDefinitions().load(in).create();
            }
            String name = file.substring(0, file.indexOf("-v1.yml"));
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> established(client.apiextensions()
                            .v1()
                            .customResourceDefinitions()
                            .withName(name)
                            .get()));
        }
    }

    /** A DnsRecord {@code namespace/name} publishing {@code values} of {@code type} at {@code owner}, default TTL. */
    static DnsRecord dnsRecord(String namespace, String name, String owner, DnsRecordType type, String... values) {
        DnsRecord record = new DnsRecord();
        record.setMetadata(
                new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        record.setSpec(new DnsRecordSpec(owner, type, null, List.of(values)));
        return record;
    }

    static boolean established(CustomResourceDefinition crd) {
        return crd != null
                && crd.getStatus() != null
                && crd.getStatus().getConditions().stream()
                        .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    static Path binaries() {
        return KubeApiServer.binaries();
    }

    static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** A message naming the missing binaries and how to get them, if any is missing. */
    static Optional<String> missingBinaries() {
        return KubeApiServer.missingBinaries(BINARIES);
    }

    /** The kubeconfig file written for kubectl. */
    Path kubeconfigFile() {
        return kubeconfig;
    }

    String kubeConfigYaml() {
        return server.kubeConfigYaml();
    }

    /** Runs the real kubectl against this API server and returns what it printed (stdout and stderr). */
    String kubectl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(kubectl.toString());
        command.add("--kubeconfig=" + kubeconfig);
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("kubectl " + String.join(" ", args) + " did not finish");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(
                    "kubectl " + String.join(" ", args) + " exited with " + process.exitValue() + ":\n" + output);
        }
        return output;
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(kubeconfig);
    }
}
