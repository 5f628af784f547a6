package dev.zonekeeper.e2e.cluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A Kubernetes cluster the e2e scenarios run against, chosen by {@code -Dzonekeeper.e2e.cluster}:
 *
 * <ul>
 *   <li>{@code apiserver} (default): etcd + kube-apiserver {@value Prerequisites#KUBE_VERSION} started by Fabric8
 *       kube-api-test from the binaries {@code e2e/scripts/tools.sh k8s} builds. No controller-manager, scheduler or
 *       kubelet: nothing reconciles, pods are never scheduled.
 *   <li>{@code k3s}: a k3s container (Testcontainers); skipped where Docker is not available.
 *   <li>{@code kubeconfig}: the existing cluster of {@code $KUBECONFIG}; used only when asked for explicitly, since
 *       the scenarios create namespaces, cluster roles and a CRD in it.
 * </ul>
 *
 * One cluster is started per test run ({@link ClusterExtension}) and shared by every scenario.
 */
public interface TestCluster extends AutoCloseable {

    enum Kind {
        APISERVER,
        K3S,
        KUBECONFIG;

        public static Kind selected() {
            String value = System.getProperty("zonekeeper.e2e.cluster", "apiserver")
                    .trim()
                    .toLowerCase(Locale.ROOT);
            switch (value) {
                case "":
                case "apiserver":
                    return APISERVER;
                case "k3s":
                    return K3S;
                case "kubeconfig":
                    return KUBECONFIG;
                default:
                    throw new IllegalArgumentException("-Dzonekeeper.e2e.cluster=" + value
                            + " is not a cluster kind: use apiserver (default), k3s or kubeconfig");
            }
        }
    }

    Kind kind();

    /** A client with cluster-admin rights. */
    KubernetesClient client();

    /** A kubeconfig file with cluster-admin rights (for helm and kubectl). */
    Path kubeconfig();

    /** The API server URL, e.g. {@code https://127.0.0.1:41234}. */
    String apiServerUrl();

    /** Base64 PEM of the CA that signed the API server's certificate, for kubeconfigs of other users. */
    String caCertificateData();

    /** True when a controller-manager runs (EndpointSlices for selector Services, namespace deletion, pod GC). */
    boolean hasControllers();

    @Override
    void close();

    /** Starts (or connects to) the selected cluster; skips or fails as {@link Prerequisites} says when it cannot. */
    static TestCluster start(Kind kind) {
        switch (kind) {
            case APISERVER:
                return ApiServerCluster.start();
            case K3S:
                return K3sCluster.start();
            case KUBECONFIG:
                return KubeconfigCluster.connect();
            default:
                throw new IllegalArgumentException(kind.toString());
        }
    }
}
