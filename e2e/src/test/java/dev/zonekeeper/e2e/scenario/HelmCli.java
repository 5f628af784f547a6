package dev.zonekeeper.e2e.scenario;

import dev.zonekeeper.e2e.cluster.Prerequisites;
import dev.zonekeeper.e2e.cluster.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** helm {@value Prerequisites#HELM_VERSION} against a {@link TestCluster}, with the chart of this repository. */
final class HelmCli {

    private final Path helm;
    private final TestCluster cluster;

    HelmCli(TestCluster cluster) {
        this.helm = Prerequisites.helm();
        this.cluster = cluster;
    }

    static Path chart() {
        return Prerequisites.repoRoot().resolve("charts/zonekeeper");
    }

    /**
     * {@code helm install RELEASE charts/zonekeeper -n NAMESPACE --create-namespace} without {@code --wait}: there are
     * no nodes on the apiserver kind, so pods never start; the objects must still pass the API server's validation.
     */
    Commands.Result install(String release, String namespace, List<String> extraArgs) {
        List<String> args = new ArrayList<>(List.of(
                "install",
                release,
                chart().toString(),
                "--namespace",
                namespace,
                "--create-namespace",
                "--wait=false",
                "--timeout",
                "2m"));
        args.addAll(extraArgs);
        return run(args).assertSuccess();
    }

    /** The manifest helm applied for the release (hooks excluded), as helm renders it. */
    String manifest(String release, String namespace) {
        return run(List.of("get", "manifest", release, "--namespace", namespace))
                .assertSuccess()
                .stdout();
    }

    Commands.Result uninstall(String release, String namespace) {
        return run(List.of("uninstall", release, "--namespace", namespace, "--wait=false", "--timeout", "1m"));
    }

    Commands.Result run(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(helm.toString());
        command.addAll(args);
        command.add("--kubeconfig");
        command.add(cluster.kubeconfig().toString());
        return Commands.run(command, Duration.ofMinutes(3));
    }
}
