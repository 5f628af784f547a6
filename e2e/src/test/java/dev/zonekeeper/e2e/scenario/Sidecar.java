package dev.zonekeeper.e2e.scenario;

import static org.awaitility.Awaitility.await;

import dev.zonekeeper.testing.ChildProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

/**
 * The DNS server in sidecar mode as a separate process: {@code java -jar zonekeeper-dns-server.jar --listen ...
 * --primary <operator> --tsig-key-file ... --notify-listen ... --zone cluster.local --zone in-addr.arpa --zone
 * ip6.arpa}, the arguments the chart gives the container (ChartDefaultsTest checks the chart's side). Ready (HTTP {@code /ready} 200) once the first zone transfer from the operator succeeded.
 */
final class Sidecar implements AutoCloseable {

    final InetSocketAddress dns;
    final int metricsPort;
    private final ChildProcess process;

    private Sidecar(InetSocketAddress dns, int metricsPort, ChildProcess process) {
        this.dns = dns;
        this.metricsPort = metricsPort;
        this.process = process;
    }

    /**
     * Starts a sidecar of {@code operator} answering on {@code listen} and taking NOTIFY on {@code notifyListen};
     * {@code upstreams} empty means {@code --upstream none}.
     */
    static Sidecar start(
            String name,
            OperatorFixture operator,
            InetSocketAddress listen,
            InetSocketAddress notifyListen,
            List<String> upstreams) {
        return start(name, operator, listen, notifyListen, upstreams, List.copyOf(operator.zones.keySet()));
    }

    /** As above, also serving {@code extraZones} (the chart adds a {@code --zone} per entry of its {@code zones}). */
    static Sidecar start(
            String name,
            OperatorFixture operator,
            InetSocketAddress listen,
            InetSocketAddress notifyListen,
            List<String> upstreams,
            List<String> extraZones) {
        Path jar = Artifacts.get().dnsServerJar();
        int metricsPort = Ports.free();
        List<String> command = new ArrayList<>(List.of(
                Artifacts.java(),
                "-Xmx256m",
                "-jar",
                jar.toString(),
                "--listen",
                hostPort(listen),
                "--primary",
                "127.0.0.1:" + operator.transferPort,
                "--tsig-key-file",
                operator.tsigKeyFile.toString(),
                "--notify-listen",
                hostPort(notifyListen),
                "--zone",
                "cluster.local",
                "--zone",
                "in-addr.arpa",
                "--zone",
                "ip6.arpa",
                "--fallthrough",
                "in-addr.arpa",
                "--fallthrough",
                "ip6.arpa",
                "--metrics",
                "127.0.0.1:" + metricsPort));
        for (String zone : extraZones) {
            command.addAll(List.of("--zone", zone));
        }
        if (upstreams.isEmpty()) {
            command.addAll(List.of("--upstream", "none"));
        }
        for (String upstream : upstreams) {
            command.addAll(List.of("--upstream", upstream));
        }
        ChildProcess process =
                ChildProcess.start(name, command, Map.of(), operator.workDir, ChildProcess.logFile("e2e-logs", name));
        Sidecar sidecar = new Sidecar(listen, metricsPort, process);
        try {
            sidecar.awaitReady(operator);
            return sidecar;
        } catch (RuntimeException | Error e) {
            sidecar.close();
            throw e;
        }
    }

    private void awaitReady(OperatorFixture operator) {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI ready = URI.create("http://127.0.0.1:" + metricsPort + "/ready");
        try {
            await("the DNS sidecar ready")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptionsInstanceOf(IOException.class)
                    .failFast(() -> !process.alive() || !operator.operator().alive())
                    .until(() -> http.send(
                                            HttpRequest.newBuilder(ready)
                                                    .timeout(Duration.ofSeconds(3))
                                                    .build(),
                                            HttpResponse.BodyHandlers.discarding())
                                    .statusCode()
                            == 200);
        } catch (ConditionTimeoutException | TerminalFailureException e) {
            throw new AssertionError(
                    "the DNS sidecar " + process + " did not become ready: its first zone transfer"
                            + " (AXFR of cluster.local) from the operator's TransferServer at 127.0.0.1:"
                            + operator.transferPort + " did not succeed"
                            + (process.alive() ? "" : " (the sidecar exited)")
                            + (operator.operator().alive() ? "" : " (the operator exited)") + "\n" + process.tail()
                            + "\n"
                            + operator.operator().tail(),
                    e);
        }
    }

    Dns dns() {
        return new Dns(dns);
    }

    ChildProcess process() {
        return process;
    }

    static String hostPort(InetSocketAddress address) {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    @Override
    public void close() {
        process.close();
    }
}
