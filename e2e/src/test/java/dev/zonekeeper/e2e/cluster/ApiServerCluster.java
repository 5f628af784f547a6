package dev.zonekeeper.e2e.cluster;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * etcd and kube-apiserver {@value Prerequisites#KUBE_VERSION} as child processes, through Fabric8 kube-api-test in
 * offline mode (it never downloads; the binaries come from {@code e2e/scripts/tools.sh k8s}). Authentication: a
 * client certificate in {@code system:masters}; authorization: RBAC; ServiceAccount tokens can be issued with the
 * TokenRequest API (kube-api-test configures a signing key).
 */
final class ApiServerCluster extends KubeconfigBacked {

    private final KubeAPIServer server;

    private ApiServerCluster(KubeAPIServer server, Path kubeconfig) {
        super(kubeconfig);
        this.server = server;
    }

    static ApiServerCluster start() {
        Path dir = Prerequisites.k8sBinDir();
        List<String> absent = new ArrayList<>();
        for (String binary : List.of("etcd", "kube-apiserver", "kubectl")) {
            if (!Files.isExecutable(dir.resolve(binary))) {
                absent.add(binary);
            }
        }
        if (!absent.isEmpty()) {
            throw Prerequisites.missing(String.join(", ", absent) + " " + Prerequisites.KUBE_VERSION
                    + " not found in " + dir + ": run `e2e/scripts/tools.sh k8s` (builds etcd, kube-apiserver and"
                    + " kubectl with Go), or choose another cluster with -Dzonekeeper.e2e.cluster=k3s|kubeconfig");
        }
        KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(Prerequisites.kubeApiTestDir().toString())
                .withApiServerVersion(Prerequisites.KUBE_VERSION)
                // never download: the environment variable for this crashes kube-api-test 7.4.0, the builder works
                .withOfflineMode(true)
                // leave ~/.kube/config alone
                .withUpdateKubeConfig(false)
                .withStartupTimeout(120_000)
                .build());
        server.start();
        try {
            return new ApiServerCluster(server, writeKubeconfig(server.getKubeConfigYaml(), "zk-e2e-apiserver"));
        } catch (RuntimeException e) {
            server.stop();
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
            server.stop();
        }
    }
}
