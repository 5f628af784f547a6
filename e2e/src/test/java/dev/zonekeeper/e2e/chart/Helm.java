package dev.zonekeeper.e2e.chart;

import static org.junit.jupiter.api.Assertions.fail;

import dev.zonekeeper.e2e.scenario.Commands;
import dev.zonekeeper.e2e.scenario.Commands.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;

/**
 * The helm 3.19.0 command line, run as a child process against the chart in this repository.
 *
 * <p>The binary comes from {@code $HELM} or {@code ~/.cache/zonekeeper/bin/helm-3.19.0/helm} (built by
 * {@code e2e/scripts/tools.sh helm}). Without it the tests are skipped, except under {@code CI=true}, where
 * they fail: CI must never pass a chart it did not render.
 */
final class Helm {

    static final String VERSION = "3.19.0";
    /** Kubernetes version the chart is rendered for (helm built with go install defaults to 1.20). */
    static final String KUBE_VERSION = "1.33.4";

    private static final String MISSING_HINT =
            "helm " + VERSION + " not found: run `e2e/scripts/tools.sh helm` (builds it into "
                    + "~/.cache/zonekeeper/bin/helm-" + VERSION + "/helm) or set HELM to a helm binary";

    private static final AtomicBoolean SKIP_REPORTED = new AtomicBoolean();

    private final Path binary;
    private final Path repoRoot;

    private Helm(Path binary, Path repoRoot) {
        this.binary = binary;
        this.repoRoot = repoRoot;
    }

    /** Finds helm, or skips (fails under CI=true) with a message telling how to get it. */
    static Helm locate() {
        String fromEnv = System.getenv("HELM");
        Path binary = fromEnv != null && !fromEnv.isBlank()
                ? Path.of(fromEnv)
                : Path.of(System.getProperty("user.home"), ".cache", "zonekeeper", "bin", "helm-" + VERSION, "helm");
        if (!Files.isExecutable(binary)) {
            String message = MISSING_HINT + " (looked at " + binary + ")";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message);
            }
            if (!SKIP_REPORTED.getAndSet(true)) {
                System.err.println("[zonekeeper e2e] skipping the chart tests: " + message);
            }
            Assumptions.abort(message);
        }
        return new Helm(binary, repoRoot());
    }

    static Path repoRoot() {
        String configured = System.getProperty("zonekeeper.repoRoot");
        Path root = configured != null
                ? Path.of(configured)
                : Path.of("").toAbsolutePath().getParent();
        return root.toAbsolutePath().normalize();
    }

    Path chartDir() {
        return repoRoot.resolve("charts/zonekeeper");
    }

    Path repoPath(String relative) {
        return repoRoot.resolve(relative);
    }

    /** {@code helm lint --strict} of the chart with the given values files. */
    Result lintStrict(Path... valuesFiles) {
        List<String> args =
                new ArrayList<>(List.of("lint", "--strict", chartDir().toString()));
        for (Path values : valuesFiles) {
            args.add("-f");
            args.add(values.toString());
        }
        return run(args);
    }

    /** {@code helm template} of the chart as release {@code release} in {@code namespace}. */
    Result template(String release, String namespace, List<String> extraArgs) {
        List<String> args = new ArrayList<>(List.of(
                "template", release, chartDir().toString(), "--namespace", namespace, "--kube-version", KUBE_VERSION));
        args.addAll(extraArgs);
        return run(args);
    }

    Result run(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(args);
        return Commands.run(command, Map.of(), Duration.ofMinutes(2), repoRoot);
    }
}
