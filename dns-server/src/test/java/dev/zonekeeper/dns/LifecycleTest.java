package dev.zonekeeper.dns;

import static dev.zonekeeper.dns.testing.Loopback.loopback;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.testing.Closer;
import dev.zonekeeper.dns.testing.Loopback;
import dev.zonekeeper.dns.testing.ServerProcess;
import dev.zonekeeper.dns.testing.TestServer;
import dev.zonekeeper.dns.transfer.PrimaryZones;
import dev.zonekeeper.dns.transfer.TransferServer;
import dev.zonekeeper.dns.transfer.TsigKeyFile;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.testing.DnsClients;
import dev.zonekeeper.testing.DnsClients.Reply;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;

/**
 * The server's life as a pod sees it, with the server as a real child process: SIGTERM starts the lameduck (not
 * ready, still answering, then exit 0), and a normal sidecar start leaves a clean, timestamped log.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class LifecycleTest {
    private static final String KEY_TEXT =
            "zonekeeper-transfer:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXM=";
    private static final String WRONG_KEY_TEXT =
            "zonekeeper-transfer:hmac-sha256:YW5vdGhlci1zZWNyZXQtYW5vdGhlci1zZWNyZXQtMzI=";
    private static final TSIG KEY = TsigKeyFile.parse(KEY_TEXT);
    private static final Name ORIGIN = Name.fromConstantString("example.test.");
    /** slf4j-simple's line with the configured ISO-8601 timestamp first. */
    private static final Pattern TIMESTAMPED =
            Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2}) \\[.+");

    @TempDir
    Path tmp;

    private final Closer closer = new Closer();

    @AfterEach
    void tearDown() throws Exception {
        closer.close();
    }

    @Test
    void sigtermReportsNotReadyKeepsAnsweringThenExitsZero() throws Exception {
        Path records = Files.createDirectory(tmp.resolve("records"));
        Files.writeString(
                records.resolve("www.yaml"),
                TestServer.dnsRecord("www.example.test", "A", 300, "192.0.2.10"),
                StandardCharsets.UTF_8);
        ServerProcess server = closer.add(ServerProcess.start(
                tmp.resolve("server.log"),
                "--records",
                records.toString(),
                "--zone",
                "example.test",
                "--upstream",
                "none",
                "--udp-sockets",
                "1",
                "--lameduck",
                "20"));
        await().atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .until(() -> server.get("/ready").statusCode() == 200);
        assertThat(DnsClients.dig(server.dns(), "www.example.test", "A").answer())
                .anyMatch(a -> a.endsWith("192.0.2.10"));

        server.terminate();

        // Not ready at once, with the reason, while DNS is still answered.
        await().atMost(Duration.ofSeconds(10)).until(() -> server.get("/ready").statusCode() == 503);
        HttpResponse<String> ready = server.get("/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("shutting down").contains("--lameduck");
        assertThat(server.get("/health").statusCode())
                .as("alive: the kubelet must not restart it")
                .isEqualTo(200);
        Reply during = DnsClients.dig(server.dns(), "www.example.test", "A");
        assertThat(during.rcode()).isEqualTo("NOERROR");
        assertThat(during.answer()).anyMatch(a -> a.endsWith("192.0.2.10"));
        Reply tcp = DnsClients.dig(server.dns(), "www.example.test", "A", "+tcp");
        assertThat(tcp.answer()).anyMatch(a -> a.endsWith("192.0.2.10"));
        assertThat(server.alive()).isTrue();
        assertThat(server.get("/ready").statusCode())
                .as("still in the lameduck after the queries")
                .isEqualTo(503);

        // Then it stops by itself, cleanly.
        assertThat(server.exitCode(Duration.ofSeconds(90))).as(server.log()).isEqualTo(0);
        assertThat(server.log()).contains("--lameduck").contains("stopped");
    }

    @Test
    void lameduckZeroStopsAtOnceWithExitZero() throws Exception {
        Path records = Files.createDirectory(tmp.resolve("records"));
        Files.writeString(
                records.resolve("www.yaml"),
                TestServer.dnsRecord("www.example.test", "A", 300, "192.0.2.10"),
                StandardCharsets.UTF_8);
        ServerProcess server = closer.add(ServerProcess.start(
                tmp.resolve("server.log"),
                "--records",
                records.toString(),
                "--zone",
                "example.test",
                "--upstream",
                "none",
                "--udp-sockets",
                "1",
                "--lameduck",
                "0"));
        server.terminate();
        assertThat(server.exitCode(Duration.ofSeconds(60))).as(server.log()).isEqualTo(0);
    }

    private Path keyFile(String text) throws IOException {
        Path file = Files.createTempFile(tmp, "tsig", ".key");
        Files.writeString(file, text + "\n", StandardCharsets.UTF_8);
        return file;
    }

    private static Zone zone(String... body) {
        StringBuilder sb = new StringBuilder("$TTL 300\n@ 3600 IN SOA ns1.example.test. hostmaster.example.test. "
                + "1 3600 600 86400 30\n@ IN NS ns1\nns1 IN A 192.0.2.1\n");
        for (String line : body) {
            sb.append(line).append('\n');
        }
        return Zone.parse(ORIGIN, sb.toString());
    }

    /**
     * The pod's normal start: the sidecar is up before the operator has published the zone (the transfer server
     * answers NOTAUTH), then gets it. Nothing of that is a warning; every line has a timestamp; the DNS address
     * logged is the service's, once (not the warm-up's). A real error (a wrong key) is still a WARN.
     */
    @Test
    void aNormalSidecarStartLogsNoWarningAndEveryLineHasATimestamp() throws Exception {
        PrimaryZones zones = new PrimaryZones();
        int port = Loopback.unusedPort().getPort();
        String primaryAddress = "127.0.0.1:" + port;
        ServerProcess sidecar = closer.add(ServerProcess.start(
                tmp.resolve("sidecar.log"),
                "--primary",
                primaryAddress,
                "--tsig-key-file",
                keyFile(KEY_TEXT).toString(),
                "--notify-listen",
                "127.0.0.1:0",
                "--zone",
                "example.test",
                "--upstream",
                "none",
                "--udp-sockets",
                "1"));
        // The operator is not listening yet: connection refused.
        await().atMost(Duration.ofSeconds(60))
                .until(() -> sidecar.metric("zonekeeper_dns_transfer_failures_total", "zone=\"example.test.\"") >= 1);
        // Then it listens but has not published the zone yet: the sidecar asks and is answered NOTAUTH.
        TransferServer primary = closer.add(TransferServer.start(loopback(port), zones, KEY));
        double refusedBefore = primary.stats().otherRefused();
        await().atMost(Duration.ofSeconds(60)).until(() -> primary.stats().otherRefused() > refusedBefore);
        zones.put(zone("www IN A 192.0.2.10"));
        await().atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .until(() -> sidecar.get("/ready").statusCode() == 200);
        assertThat(DnsClients.dig(sidecar.dns(), "www.example.test", "A").answer())
                .anyMatch(a -> a.endsWith("192.0.2.10"));

        List<String> lines = sidecar.logLines();
        assertThat(lines).isNotEmpty();
        assertThat(lines)
                .as("every line has a timestamp")
                .allMatch(l -> TIMESTAMPED.matcher(l).matches());
        assertThat(lines)
                .as("no warning at a normal start")
                .noneMatch(l -> l.contains(" WARN "))
                .noneMatch(l -> l.contains("WARNING"));
        assertThat(lines)
                .as("the normal start is still said once")
                .anyMatch(l -> l.contains("waiting for the primary"));
        assertThat(lines.stream().filter(l -> l.contains("DNS listening on")).toList())
                .as("the service address only, not the warm-up's")
                .hasSize(1)
                .allMatch(l -> l.contains("127.0.0.1:" + sidecar.dns().getPort()));

        // A sidecar with the wrong key: that is an error, and loud.
        ServerProcess wrong = closer.add(ServerProcess.start(
                tmp.resolve("wrong.log"),
                "--primary",
                primaryAddress,
                "--tsig-key-file",
                keyFile(WRONG_KEY_TEXT).toString(),
                "--notify-listen",
                "127.0.0.1:0",
                "--zone",
                "example.test",
                "--upstream",
                "none",
                "--udp-sockets",
                "1"));
        await().atMost(Duration.ofSeconds(60))
                .until(() -> wrong.logLines().stream()
                        .anyMatch(l ->
                                l.contains(" WARN ") && l.contains("transfer of example.test.") && l.contains("TSIG")));
    }
}
