package dev.zonekeeper.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * A real etcd + kube-apiserver {@value #VERSION} as child processes (Fabric8 kube-api-test in offline mode: it never
 * downloads; the binaries come from {@code e2e/scripts/tools.sh k8s}). Authentication: a client certificate in
 * {@code system:masters}; authorization: RBAC.
 */
public final class KubeApiServer implements AutoCloseable {

    /** Kubernetes version of the control-plane binaries built by {@code e2e/scripts/tools.sh k8s}. */
    public static final String VERSION = "1.33.4";

    private final KubeAPIServer server;
    private KubernetesClient client;

    private KubeApiServer(KubeAPIServer server) {
        this.server = server;
    }

    /** Starts etcd and kube-apiserver; without them the calling test is skipped, or fails under {@code CI=true}. */
    public static KubeApiServer start() {
        requireBinaries("etcd", "kube-apiserver");
        return launch(List.of(), null);
    }

    /**
     * Starts etcd and kube-apiserver with extra kube-apiserver flags ({@code --name=value}) and, unless null, a
     * startup timeout; the caller has checked the binaries ({@link #requireBinaries}).
     */
    public static KubeApiServer launch(List<String> apiServerFlags, Duration startupTimeout) {
        KubeAPIServerConfigBuilder config = KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(testDir().toString())
                .withApiServerVersion(VERSION)
                // never download: the environment variable for this crashes kube-api-test 7.4.0, the builder works
                .withOfflineMode(true)
                // leave ~/.kube/config alone
                .withUpdateKubeConfig(false)
                .withApiServerFlags(apiServerFlags);
        if (startupTimeout != null) {
            config.withStartupTimeout((int) startupTimeout.toMillis());
        }
        KubeAPIServer server = new KubeAPIServer(config.build());
        server.start();
        return new KubeApiServer(server);
    }

    /** {@code ${KUBE_API_TEST_DIR:-~/.kubeapitest}}, where kube-api-test and tools.sh keep the binaries. */
    public static Path testDir() {
        String dir = System.getenv("KUBE_API_TEST_DIR");
        return dir != null && !dir.isBlank() ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".kubeapitest");
    }

    /** The directory holding etcd, kube-apiserver and kubectl {@value #VERSION}. */
    public static Path binaries() {
        return testDir().resolve("k8s").resolve(VERSION + "-linux-amd64");
    }

    /** Those of {@code names} missing in {@link #binaries()}. */
    public static List<String> absent(String... names) {
        List<String> missing = new ArrayList<>();
        for (String binary : names) {
            if (!Files.isExecutable(binaries().resolve(binary))) {
                missing.add(binary);
            }
        }
        return missing;
    }

    /** A message naming the missing binaries and how to get them, if any of {@code names} is missing. */
    public static Optional<String> missingBinaries(String... names) {
        List<String> missing = absent(names);
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("Kubernetes control-plane binaries " + missing + " " + VERSION + " are missing in "
                + binaries() + ": run `e2e/scripts/tools.sh k8s` to build them");
    }

    /** Skips the calling test when one of {@code names} is missing, or fails it under {@code CI=true}. */
    public static void requireBinaries(String... names) {
        Optional<String> missing = missingBinaries(names);
        if (missing.isPresent()) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(missing.get());
            }
            Assumptions.abort(missing.get());
        }
    }

    public String kubeConfigYaml() {
        return server.getKubeConfigYaml();
    }

    /** A client configuration for this API server (the caller may point it elsewhere, e.g. through a proxy). */
    public Config config() {
        return Config.fromKubeconfig(server.getKubeConfigYaml());
    }

    /** A client of this API server, made on first use and closed with it. */
    public synchronized KubernetesClient client() {
        if (client == null) {
            client = new KubernetesClientBuilder().withConfig(config()).build();
        }
        return client;
    }

    @Override
    public void close() {
        try {
            synchronized (this) {
                if (client != null) {
                    client.close();
                }
            }
        } finally {
            server.stop();
        }
    }
}
