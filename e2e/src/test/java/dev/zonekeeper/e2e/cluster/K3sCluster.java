package dev.zonekeeper.e2e.cluster;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/** k3s in a container (Testcontainers); a full cluster with controllers, scheduler and a kubelet. */
final class K3sCluster extends KubeconfigBacked {

    /** The k3s release of the Kubernetes version the binaries of the apiserver kind have. */
    static final String IMAGE = "rancher/k3s:v" + Prerequisites.KUBE_VERSION + "-k3s1";

    private final K3sContainer container;

    private K3sCluster(K3sContainer container, String kubeconfigYaml) {
        super(writeKubeconfig(kubeconfigYaml, "zk-e2e-k3s"));
        this.container = container;
    }

    static K3sCluster start() {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        if (!docker) {
            throw Prerequisites.unavailable("Docker is not available: the k3s scenarios run only with Docker"
                    + " (-Dzonekeeper.e2e.cluster=k3s); use the default apiserver cluster here");
        }
        K3sContainer container = new K3sContainer(DockerImageName.parse(IMAGE));
        container.start();
        try {
            return new K3sCluster(container, container.getKubeConfigYaml());
        } catch (RuntimeException e) {
            container.stop();
            throw e;
        }
    }

    @Override
    public Kind kind() {
        return Kind.K3S;
    }

    @Override
    public boolean hasControllers() {
        return true;
    }

    @Override
    public void close() {
        try {
            super.close();
        } finally {
            container.stop();
        }
    }
}
