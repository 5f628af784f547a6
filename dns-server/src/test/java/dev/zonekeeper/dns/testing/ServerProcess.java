package dev.zonekeeper.dns.testing;

import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.Main;
import dev.zonekeeper.testing.Http;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The DNS server as a real child process ({@code java -cp <test classpath> dev.zonekeeper.dns.Main ...}), as a pod
 * runs it: signals (SIGTERM, SIGKILL), exit code and log are the real ones. Its log (stdout and stderr) goes to a
 * file; the DNS and HTTP addresses it picked ({@code --listen 127.0.0.1:0 --metrics 127.0.0.1:0}) are read from it.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Pattern METRICS = Pattern.compile("metrics and health on http://([0-9.]+):(\\d+)/metrics");
    /** The last one logged: the service's (an older build also logged the warm-up's private listener first). */
    private static final Pattern DNS = Pattern.compile("DNS listening on /?([0-9.]+):(\\d+)");

    private static final Pattern NOTIFY = Pattern.compile("listening for NOTIFY on /?([0-9.]+):(\\d+)");

    private final Process process;
    private final Path log;
    private InetSocketAddress dns;
    private InetSocketAddress http;

    private ServerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code Main} with {@code --listen 127.0.0.1:0 --metrics 127.0.0.1:0} and {@code args}, and waits until
     * it has logged both addresses. The JVM gets {@code --enable-native-access=ALL-UNNAMED}, as the jar's manifest
     * gives it.
     */
    public static ServerProcess start(Path logFile, String... args) {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(
                java.toString(),
                "-Xmx128m",
                "--enable-native-access=ALL-UNNAMED",
                "-Dzonekeeper.warmup.rounds=1",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "--listen",
                "127.0.0.1:0",
                "--metrics",
                "127.0.0.1:0"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile()))
                    .start();
            ServerProcess s = new ServerProcess(p, logFile);
            try {
                await("the server's addresses in its log")
                        .atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(100))
                        .failFast("the server exited: " + logFile, () -> !p.isAlive())
                        .until(() -> s.find(METRICS) != null && s.find(DNS) != null);
            } catch (RuntimeException | Error e) {
                s.close();
                throw new AssertionError(e.getMessage() + "\n" + s.log(), e);
            }
            s.http = s.find(METRICS);
            s.dns = s.find(DNS);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private InetSocketAddress find(Pattern p) {
        Matcher m = p.matcher(log());
        String host = null;
        String port = null;
        while (m.find()) {
            host = m.group(1);
            port = m.group(2);
        }
        if (host == null) {
            return null;
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(port));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** DNS over UDP and TCP. */
    public InetSocketAddress dns() {
        return dns;
    }

    /** Where NOTIFY is received (sidecar mode), from the log. */
    public InetSocketAddress notifyAddress() {
        return find(NOTIFY);
    }

    /** Everything the process printed so far. */
    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    public List<String> logLines() {
        return log().lines().toList();
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return Http.get(http, path);
    }

    /** The value of one sample of {@code /metrics}, or -1 when the series is absent. */
    public double metric(String name, String labels) throws IOException, InterruptedException {
        return Http.sample(get("/metrics").body(), name, labels);
    }

    /** SIGTERM, as the kubelet stops a container. */
    public void terminate() {
        process.destroy();
    }

    /** SIGKILL, as the kernel's OOM killer ends a container. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** The exit code, waiting at most {@code timeout}; throws when the process is still running then. */
    public int exitCode(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the server did not exit within " + timeout + ":\n" + log());
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
