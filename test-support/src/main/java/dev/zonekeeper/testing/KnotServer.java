package dev.zonekeeper.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real Knot DNS ({@code knotd}) serving zones from text, for tests: {@link #start} writes the zone files and a
 * config to a temp directory, runs knotd in the foreground and returns once it answers the SOA of every zone;
 * {@link #stop()} ends it. Knot comes from Debian's package {@code knot}; without it tests fail with a message naming
 * the package.
 */
public final class KnotServer extends LocalDnsDaemon {

    private KnotServer(InetSocketAddress address, Path dir, ChildProcess process) {
        super("knotd", address, dir, process);
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
        InetSocketAddress address = orFreePort(listen);
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
                    "knotd", List.of(knotd.toString(), "-c", confFile.toString()), logFile(dir, "knotd"));
            KnotServer server = new KnotServer(address, dir, process);
            server.awaitAnswering(zones.keySet(), Duration.ofSeconds(20));
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start knotd", e);
        }
    }

    /** The knotd binary, or a failed test that names Debian's package {@code knot}. */
    public static Path knotd() {
        return DnsClients.find("knotd")
                .orElseThrow(() -> new AssertionError("knotd (Knot DNS) not found in /usr/sbin "
                        + "or on PATH: these tests run a real Knot server; install Debian's package 'knot' (apt-get install -y "
                        + "knot)"));
    }
}
