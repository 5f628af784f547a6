package dev.zonekeeper.operator.it;

import dev.zonekeeper.testing.TcpRelay;
import io.fabric8.kubernetes.client.Config;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real API server the application reaches only through a {@link TcpRelay} port, where nothing listens when the
 * application starts: the test opens and cuts the relay. The test reaches the API server directly (system
 * properties {@value #DIRECT_KUBECONFIG}, {@value #RELAY_PORT}, {@value #TARGET}: the test class and this resource may
 * live in different class loaders).
 */
public class RelayedControlPlaneResource implements QuarkusTestResourceLifecycleManager {

    static final String NAMESPACE = "outage-test";
    static final String DIRECT_KUBECONFIG = "outage-test.direct-kubeconfig";
    static final String RELAY_PORT = "outage-test.relay-port";
    static final String TARGET = "outage-test.target";

    private ControlPlane controlPlane;
    private Path relayedKubeconfig;

    @Override
    public Map<String, String> start() {
        controlPlane = ControlPlaneResource.startWithCrd(NAMESPACE);
        try {
            String yaml = controlPlane.kubeConfigYaml();
            URI real = URI.create(Config.fromKubeconfig(yaml).getMasterUrl());
            int port = TcpRelay.freePort();
            String authority = real.getHost() + ":" + real.getPort();
            if (!yaml.contains(authority)) {
                throw new IllegalStateException("kubeconfig does not name " + authority + ":\n" + yaml);
            }
            relayedKubeconfig = Files.createTempFile("zonekeeper-relayed", ".yaml");
            Files.writeString(relayedKubeconfig, yaml.replace(authority, "127.0.0.1:" + port), StandardCharsets.UTF_8);
            System.setProperty(DIRECT_KUBECONFIG, controlPlane.kubeconfigFile().toString());
            System.setProperty(RELAY_PORT, Integer.toString(port));
            System.setProperty(TARGET, authority);
        } catch (Exception e) {
            throw new IllegalStateException("could not start the API server", e);
        }
        System.setProperty("kubeconfig", relayedKubeconfig.toString());
        return ControlPlaneResource.applicationConfig(NAMESPACE);
    }

    @Override
    public void stop() {
        System.clearProperty("kubeconfig");
        for (String key : new String[] {DIRECT_KUBECONFIG, RELAY_PORT, TARGET}) {
            System.clearProperty(key);
        }
        try {
            if (relayedKubeconfig != null) {
                Files.deleteIfExists(relayedKubeconfig);
            }
            if (controlPlane != null) {
                controlPlane.close();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
