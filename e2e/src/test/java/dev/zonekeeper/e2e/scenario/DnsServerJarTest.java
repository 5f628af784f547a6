package dev.zonekeeper.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.e2e.cluster.Prerequisites;
import dev.zonekeeper.testing.ChildProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The shipped DNS server jar run as the image runs it ({@code java -jar}, no extra JVM option): its manifest enables
 * native access for Netty's epoll library, so Java 25 prints no "restricted method" warning; every log line has a
 * timestamp; SIGTERM ends it with exit code 0 after the lameduck.
 */
class DnsServerJarTest {
    private static final Pattern TIMESTAMPED =
            Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2}) \\[.+");

    @Test
    void theJarLogsCleanTimestampedLinesAndStopsWithExitZero() throws Exception {
        Path root = Prerequisites.repoRoot();
        Path jar = Artifacts.get().dnsServerJar();
        try (ChildProcess server = ChildProcess.start(
                "dns-server-jar",
                List.of(
                        Artifacts.java(),
                        "-jar",
                        jar.toString(),
                        "--records",
                        root.resolve("examples").resolve("records").toString(),
                        "--zone",
                        "example.test",
                        "--zone",
                        "2.0.192.in-addr.arpa",
                        "--listen",
                        "127.0.0.1:0",
                        "--upstream",
                        "none",
                        "--udp-sockets",
                        "1",
                        "--lameduck",
                        "1"),
                Map.of(),
                root,
                ChildProcess.logFile("e2e-logs", "dns-server-jar"))) {
            await().atMost(Duration.ofSeconds(120))
                    .failFast(() -> !server.alive())
                    .until(() -> log(server).contains("DNS listening on"));
            Integer exit = server.terminate(Duration.ofSeconds(60));
            List<String> lines = log(server).lines().toList();
            assertThat(exit).as(server.tail()).isEqualTo(0);
            assertThat(lines).isNotEmpty();
            assertThat(lines)
                    .as("the JVM's native-access warning is silenced by the manifest")
                    .noneMatch(l -> l.contains("WARNING"));
            assertThat(lines).as("the examples load without a warning").noneMatch(l -> l.contains(" WARN "));
            assertThat(lines)
                    .as("every line has a timestamp")
                    .allMatch(l -> TIMESTAMPED.matcher(l).matches());
            assertThat(lines.stream()
                            .filter(l -> l.contains("DNS listening on"))
                            .toList())
                    .hasSize(1);
        }
    }

    private static String log(ChildProcess p) throws java.io.IOException {
        return Files.readString(p.log(), StandardCharsets.UTF_8);
    }
}
