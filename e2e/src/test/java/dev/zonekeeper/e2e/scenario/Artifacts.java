package dev.zonekeeper.e2e.scenario;

import dev.zonekeeper.e2e.cluster.Prerequisites;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The runnable artifacts the scenarios start as separate processes: the operator's {@code quarkus-run.jar} and the DNS
 * server's shaded jar. When either is missing, or older than a source or POM file of its module, the scenario builds
 * both once with {@code ./mvnw -q -B -pl operator,dns-server -am package -DskipTests} (with the JDK running the
 * tests), so {@code ./mvnw -pl e2e verify} never runs against a stale build.
 */
final class Artifacts {

    private static Paths built;

    record Paths(Path operatorJar, Path dnsServerJar) {}

    private Artifacts() {}

    static synchronized Paths get() {
        if (built != null) {
            return built;
        }
        Path root = Prerequisites.repoRoot();
        Path operator = root.resolve("operator/target/quarkus-app/quarkus-run.jar");
        Path dnsServer = root.resolve("dns-server/target/zonekeeper-dns-server.jar");
        Path core = root.resolve("dns-core"); // in both jars
        if (stale(operator, root.resolve("operator"))
                || stale(dnsServer, root.resolve("dns-server"))
                || stale(operator, core)
                || stale(dnsServer, core)) {
            String javaHome = System.getProperty("java.home");
            System.err.println("[zonekeeper e2e] building the operator and DNS server jars (mvnw package)...");
            long started = System.nanoTime();
            Commands.run(
                            List.of(
                                    root.resolve("mvnw").toString(),
                                    "-q",
                                    "-B",
                                    "-pl",
                                    "operator,dns-server",
                                    "-am",
                                    "package",
                                    "-DskipTests"),
                            Map.of("JAVA_HOME", javaHome),
                            Duration.ofMinutes(15),
                            root)
                    .assertSuccess();
            System.err.printf("[zonekeeper e2e] built in %.0f s%n", (System.nanoTime() - started) / 1e9);
            if (!Files.isRegularFile(operator) || !Files.isRegularFile(dnsServer)) {
                throw new AssertionError("mvnw package did not produce " + operator + " and " + dnsServer);
            }
        }
        built = new Paths(operator, dnsServer);
        return built;
    }

    private static boolean stale(Path artifact, Path module) {
        if (!Files.isRegularFile(artifact)) {
            return true;
        }
        try {
            FileTime builtAt = Files.getLastModifiedTime(artifact);
            FileTime newest = newest(module.resolve("src/main"));
            FileTime pom = Files.getLastModifiedTime(module.resolve("pom.xml"));
            FileTime parentPom = Files.getLastModifiedTime(module.getParent().resolve("pom.xml"));
            return newest.compareTo(builtAt) > 0 || pom.compareTo(builtAt) > 0 || parentPom.compareTo(builtAt) > 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FileTime newest(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .map(p -> {
                        try {
                            return Files.getLastModifiedTime(p);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    })
                    .max(FileTime::compareTo)
                    .orElse(FileTime.fromMillis(0));
        }
    }

    /**
     * The DNS server jar in standalone mode, run as the image runs it: serving {@code zone} from the DnsRecord files
     * in {@code records}, on {@code listen}, one UDP socket, no upstream, no lameduck on SIGTERM.
     */
    static List<String> standaloneServer(Path records, String zone, InetSocketAddress listen) {
        return List.of(
                java(),
                "-jar",
                get().dnsServerJar().toString(),
                "--records",
                records.toString(),
                "--zone",
                zone,
                "--listen",
                Sidecar.hostPort(listen),
                "--upstream",
                "none",
                "--udp-sockets",
                "1",
                "--lameduck",
                "0");
    }

    /** The java binary of the JVM running the tests (JDK 25, as the build requires; the jars are built by the same JDK). */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
