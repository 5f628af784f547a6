package dev.zonekeeper.operator.it;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Starts a real API server with the DnsRecord CRD for a {@code @QuarkusTest} and points the application's Kubernetes
 * client at it (Fabric8 reads the {@code kubeconfig} system property).
 */
public class ControlPlaneResource implements QuarkusTestResourceLifecycleManager {

    static final String NAMESPACE = "quarkus-test";

    private ControlPlane controlPlane;

    @Override
    public Map<String, String> start() {
        controlPlane = startWithCrd(NAMESPACE);
        System.setProperty("kubeconfig", controlPlane.kubeconfigFile().toString());
        return applicationConfig(NAMESPACE);
    }

    /** A control plane serving the DnsRecord CRD, with {@code namespace} created. */
    static ControlPlane startWithCrd(String namespace) {
        try {
            ControlPlane controlPlane = ControlPlane.start();
            try (KubernetesClient client = new KubernetesClientBuilder()
                    .withConfig(Config.fromKubeconfig(controlPlane.kubeConfigYaml()))
                    .build()) {
                ControlPlane.applyCrd(client);
                client.namespaces()
                        .resource(new NamespaceBuilder()
                                .withNewMetadata()
                                .withName(namespace)
                                .endMetadata()
                                .build())
                        .create();
            }
            return controlPlane;
        } catch (Exception e) {
            throw new IllegalStateException("could not start the API server", e);
        }
    }

    /** The application's settings for these tests: zone example.com, written from {@code namespace}. */
    static Map<String, String> applicationConfig(String namespace) {
        return Map.of(
                "zonekeeper.zones", "example.com",
                "zonekeeper.zone-writers.\"example.com\"", namespace,
                "zonekeeper.leader-election.lease-namespace", "default");
    }

    @Override
    public void stop() {
        System.clearProperty("kubeconfig");
        if (controlPlane != null) {
            try {
                controlPlane.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
