package dev.zonekeeper.operator.informers;

import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * A real etcd + kube-apiserver (Fabric8 kube-api-test, offline; the binaries come from {@code e2e/scripts/tools.sh
 * k8s}). Without them the calling test is skipped, or fails under {@code CI=true}.
 */
final class ApiServer implements AutoCloseable {

  static final String VERSION = "1.33.4";

  private final KubeAPIServer server;
  private final KubernetesClient client;

  private ApiServer(KubeAPIServer server) {
    this.server = server;
    this.client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(server.getKubeConfigYaml())).build();
  }

  static ApiServer start() {
    String dirSetting = System.getenv("KUBE_API_TEST_DIR");
    Path testDir = dirSetting != null && !dirSetting.isBlank() ? Path.of(dirSetting)
        : Path.of(System.getProperty("user.home"), ".kubeapitest");
    Path binaries = testDir.resolve("k8s").resolve(VERSION + "-linux-amd64");
    List<String> missing = new ArrayList<>();
    for (String binary : List.of("etcd", "kube-apiserver")) {
      if (!Files.isExecutable(binaries.resolve(binary))) {
        missing.add(binary);
      }
    }
    if (!missing.isEmpty()) {
      String message = "Kubernetes control-plane binaries " + missing + " " + VERSION + " are missing in " + binaries
          + ": run `e2e/scripts/tools.sh k8s` to build them";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(message);
      }
      Assumptions.abort(message);
    }
    KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withTestDir(testDir.toString())
        .withApiServerVersion(VERSION)
        .withOfflineMode(true)
        .withUpdateKubeConfig(false)
        .build());
    server.start();
    return new ApiServer(server);
  }

  KubernetesClient client() {
    return client;
  }

  /** A client configuration for this API server (the caller may point it elsewhere, e.g. through a proxy). */
  Config config() {
    return Config.fromKubeconfig(server.getKubeConfigYaml());
  }

  @Override
  public void close() {
    client.close();
    server.stop();
  }
}
