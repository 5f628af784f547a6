package dev.zonekeeper.e2e.cluster;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The existing cluster that {@code $KUBECONFIG} points at (its current context), with admin rights. Only used with
 * {@code -Dzonekeeper.e2e.cluster=kubeconfig}: the scenarios install a CRD, cluster roles and namespaces there.
 */
final class KubeconfigCluster extends KubeconfigBacked {

    private KubeconfigCluster(Path kubeconfig) {
        super(kubeconfig);
    }

    static KubeconfigCluster connect() {
        String env = System.getenv("KUBECONFIG");
        if (env == null || env.isBlank()) {
            fail("-Dzonekeeper.e2e.cluster=kubeconfig needs KUBECONFIG set to the kubeconfig file of the cluster");
        }
        // KUBECONFIG may list several files; the scenarios use the first, as kubectl writes to it
        Path file = Path.of(env.split(java.io.File.pathSeparator)[0]);
        if (!Files.isReadable(file)) {
            fail("KUBECONFIG=" + env + ": " + file + " is not a readable file");
        }
        return new KubeconfigCluster(file);
    }

    @Override
    public Kind kind() {
        return Kind.KUBECONFIG;
    }

    @Override
    public boolean hasControllers() {
        return true;
    }
}
