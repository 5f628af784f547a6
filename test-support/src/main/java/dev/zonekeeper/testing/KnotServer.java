package dev.zonekeeper.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A real Knot DNS ({@code knotd}) serving zones from text, for tests: {@link #start} writes the zone files and a
 * config to a temp directory, runs knotd in the foreground and returns once it answers the SOA of every zone;
 * {@link #stop()} ends it. Knot comes from Debian's package {@code knot}; without it tests fail with a message naming
 * the package.
 */
public final class KnotServer implements AutoCloseable {
    private final InetSocketAddress address;
    private final Path dir;
    private final ChildProcess process;

    private KnotServer(InetSocketAddress address, Path dir, ChildProcess process) {
        this.address = address;
        this.dir = dir;
        this.process = process;
    }

    /** Knot serving one zone ({@code origin}, zone-file text) on {@code listen}; port 0 picks a free port. */
    public static KnotServer start(String origin, String zoneText, InetSocketAddress listen) {
        Map<String, String> zones = new LinkedHashMap<>();
        zones.put(origin, zoneText);
        return start(zones, listen);
    }

    /** Knot serving several zones (origin to zone-file text) on {@code listen}; port 0 picks a free port. */
    public static KnotServer start(Map<String, String> zones, InetSocketAddress listen) {
        Path knotd = knotd();
        InetSocketAddress address = listen.getPort() != 0 ? listen : freePort(listen.getAddress());
        try {
            Path dir = Files.createTempDirectory("knot-test");
            Files.createDirectories(dir.resolve("run"));
            Files.createDirectories(dir.resolve("db"));
            StringBuilder conf = new StringBuilder()
                    .append("server:\n")
                    .append("    listen: ")
                    .append(address.getAddress().getHostAddress())
                    .append('@')
                    .append(address.getPort())
                    .append('\n')
                    .append("    rundir: ")
                    .append(dir.resolve("run"))
                    .append('\n')
                    .append("    background-workers: 1\n    udp-workers: 1\n    tcp-workers: 1\n")
                    .append("database:\n    storage: ")
                    .append(dir.resolve("db"))
                    .append('\n')
                    .append("log:\n  - target: stderr\n    any: info\n")
                    .append("zone:\n");
            int i = 0;
            for (Map.Entry<String, String> zone : zones.entrySet()) {
                Path file = dir.resolve("zone" + i++ + ".zone");
                Files.writeString(file, zone.getValue(), StandardCharsets.UTF_8);
                conf.append("  - domain: ")
                        .append(zone.getKey())
                        .append('\n')
                        .append("    file: ")
                        .append(file)
                        .append('\n')
                        .append("    journal-content: none\n    zonefile-sync: -1\n");
            }
            Path confFile = dir.resolve("knot.conf");
            Files.writeString(confFile, conf.toString(), StandardCharsets.UTF_8);
            ChildProcess process = ChildProcess.start(
                    "knotd", List.of(knotd.toString(), "-c", confFile.toString()), dir.resolve("knotd.log"));
            KnotServer server = new KnotServer(address, dir, process);
            try {
                server.awaitAnswering(zones.keySet());
            } catch (RuntimeException | AssertionError e) {
                String log = server.log();
                server.stop();
                throw new AssertionError("knotd did not start answering on " + address + "; its log:\n" + log, e);
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start knotd", e);
        }
    }

    /** The address Knot listens on (UDP and TCP). */
    public InetSocketAddress address() {
        return address;
    }

    public boolean isRunning() {
        return process.alive();
    }

    /** What knotd printed so far. */
    public String log() {
        try {
            return Files.readString(dir.resolve("knotd.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Ends knotd (SIGTERM, then SIGKILL after 15 s), waits for it and deletes its directory. */
    public void stop() {
        process.close();
        deleteRecursively(dir);
    }

    /** Deletes a temp directory and what it holds, best effort (BindServer uses it too). */
    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp directory
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** The knotd binary, or a failed test that names Debian's package {@code knot}. */
    public static Path knotd() {
        return DnsClients.find("knotd")
                .orElseThrow(() -> new AssertionError("knotd (Knot DNS) not found in /usr/sbin "
                        + "or on PATH: these tests run a real Knot server; install Debian's package 'knot' (apt-get install -y "
                        + "knot)"));
    }

    private void awaitAnswering(Iterable<String> origins) {
        await("knotd answering on " + address)
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .ignoreExceptions()
                .until(() -> {
                    process.assertAlive();
                    for (String origin : origins) {
                        if (!answersSoa(address, origin)) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    /** True when the server at {@code address} answers the SOA of {@code origin} authoritatively (BindServer too). */
    static boolean answersSoa(InetSocketAddress address, String origin) throws IOException {
        SimpleResolver resolver = new SimpleResolver(address);
        resolver.setTimeout(Duration.ofMillis(500));
        Message query = Message.newQuery(
                org.xbill.DNS.Record.newRecord(Name.fromString(origin, Name.root), Type.SOA, org.xbill.DNS.DClass.IN));
        Message response = resolver.send(query);
        return response.getRcode() == Rcode.NOERROR && response.getHeader().getFlag(Flags.AA);
    }

    /** A port free for both UDP and TCP on {@code host} (BindServer uses it too). */
    static InetSocketAddress freePort(InetAddress host) {
        for (int tries = 0; tries < 100; tries++) {
            int port = ThreadLocalRandom.current().nextInt(20000, 60000);
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(host, port));
                    ServerSocket tcp = new ServerSocket()) {
                tcp.bind(new InetSocketAddress(host, port));
                return new InetSocketAddress(host, port);
            } catch (IOException busy) {
                // try another
            }
        }
        throw new IllegalStateException("no free UDP+TCP port on " + host);
    }
}
