package dev.zonekeeper.e2e.cluster;

import static org.junit.jupiter.api.Assertions.fail;

import dev.zonekeeper.testing.KubeApiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;

/**
 * What the e2e scenarios need from the machine, and the one rule for a missing piece: under {@code CI=true} the test
 * fails with a message naming the fix; elsewhere it is skipped with that message (printed once per message).
 */
public final class Prerequisites {

    /** Kubernetes version of the control-plane binaries built by {@code e2e/scripts/tools.sh k8s}. */
    public static final String KUBE_VERSION = KubeApiServer.VERSION;

    public static final String HELM_VERSION = "3.19.0";

    private static final Set<String> REPORTED = ConcurrentHashMap.newKeySet();

    private Prerequisites() {}

    public static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Fails under CI=true, otherwise skips; never returns. */
    public static RuntimeException missing(String message) {
        if (onCi()) {
            fail(message);
        }
        if (REPORTED.add(message)) {
            System.err.println("[zonekeeper e2e] skipping: " + message);
        }
        Assumptions.abort(message);
        throw new IllegalStateException("unreachable");
    }

    /** Skips even under CI: for what CI is not expected to have (Docker for k3s). */
    public static RuntimeException unavailable(String message) {
        if (REPORTED.add(message)) {
            System.err.println("[zonekeeper e2e] skipping: " + message);
        }
        Assumptions.abort(message);
        throw new IllegalStateException("unreachable");
    }

    public static Path repoRoot() {
        String configured = System.getProperty("zonekeeper.repoRoot");
        Path root = configured != null
                ? Path.of(configured)
                : Path.of("").toAbsolutePath().getParent();
        return root.toAbsolutePath().normalize();
    }

    /** {@code ${KUBE_API_TEST_DIR:-~/.kubeapitest}}, where kube-api-test and tools.sh keep the binaries. */
    public static Path kubeApiTestDir() {
        return KubeApiServer.testDir();
    }

    /** The directory holding etcd, kube-apiserver and kubectl {@value #KUBE_VERSION}. */
    public static Path k8sBinDir() {
        return KubeApiServer.binaries();
    }

    /** kubectl {@value #KUBE_VERSION}, or a skip/failure naming {@code e2e/scripts/tools.sh k8s}. */
    public static Path kubectl() {
        Path kubectl = k8sBinDir().resolve("kubectl");
        if (!Files.isExecutable(kubectl)) {
            throw missing("kubectl " + KUBE_VERSION + " not found at " + kubectl
                    + ": run `e2e/scripts/tools.sh k8s` to build etcd, kube-apiserver and kubectl");
        }
        return kubectl;
    }

    /** helm {@value #HELM_VERSION} from {@code $HELM} or the tools.sh cache. */
    public static Path helm() {
        String fromEnv = System.getenv("HELM");
        Path helm = fromEnv != null && !fromEnv.isBlank()
                ? Path.of(fromEnv)
                : Path.of(
                        System.getProperty("user.home"), ".cache", "zonekeeper", "bin", "helm-" + HELM_VERSION, "helm");
        if (!Files.isExecutable(helm)) {
            throw missing("helm " + HELM_VERSION + " not found at " + helm
                    + ": run `e2e/scripts/tools.sh helm` or set HELM to a helm binary");
        }
        return helm;
    }
}
