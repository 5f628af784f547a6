package dev.zonekeeper.e2e.cluster;

import dev.zonekeeper.testing.KubeApiServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * etcd and kube-apiserver as child processes ({@link KubeApiServer}); ServiceAccount tokens can be issued with the
 * TokenRequest API (kube-api-test configures a signing key).
 */
final class ApiServerCluster extends KubeconfigBacked {

    private final KubeApiServer server;

    private ApiServerCluster(KubeApiServer server, Path kubeconfig) {
        super(kubeconfig);
        this.server = server;
    }

    static ApiServerCluster start() {
        Path dir = Prerequisites.k8sBinDir();
        List<String> absent = KubeApiServer.absent("etcd", "kube-apiserver", "kubectl");
        if (!absent.isEmpty()) {
            throw Prerequisites.missing(String.join(", ", absent) + " " + Prerequisites.KUBE_VERSION
                    + " not found in " + dir + ": run `e2e/scripts/tools.sh k8s` (builds etcd, kube-apiserver and"
                    + " kubectl with Go), or choose another cluster with -Dzonekeeper.e2e.cluster=k3s|kubeconfig");
        }
        KubeApiServer server = KubeApiServer.launch(List.of(), Duration.ofSeconds(120));
        try {
            return new ApiServerCluster(server, writeKubeconfig(server.kubeConfigYaml(), "zk-e2e-apiserver"));
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    @Override
    public Kind kind() {
        return Kind.APISERVER;
    }

    @Override
    public boolean hasControllers() {
        return false;
    }

    @Override
    public void close() {
        try {
            super.close();
        } finally {
            server.close();
        }
    }
}
