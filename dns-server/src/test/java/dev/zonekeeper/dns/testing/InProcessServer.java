package dev.zonekeeper.dns.testing;

import dev.zonekeeper.dns.DnsServer;
import dev.zonekeeper.dns.config.ServerConfig;
import dev.zonekeeper.dns.config.ServerConfig.ConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Starts the real server in-process on loopback with free ports, and reads its meters. */
public final class InProcessServer {
    private InProcessServer() {}

    /** The repository's {@code examples/} directory (tests run in {@code dns-server/}). */
    /**
     * The example zone's records, {@code examples/records}: what the server serves by default. The rest of
     * {@code examples/} holds DnsUpdatePolicy examples whose published keys must not open updates in these tests.
     */
    public static Path exampleRecords() {
        return examples().resolve("records");
    }

    public static Path examples() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            Path candidate = p.resolve("examples").resolve("records");
            if (Files.isDirectory(candidate)) {
                return candidate.getParent();
            }
            p = p.getParent();
        }
        throw new AssertionError(
                "examples/records not found above " + Path.of("").toAbsolutePath());
    }

    /** Starts the server with {@code --listen 127.0.0.1:0 --metrics 127.0.0.1:0} and the given options. */
    public static DnsServer start(String... options) {
        List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0"));
        args.addAll(Arrays.asList(options));
        try {
            return DnsServer.start(ServerConfig.parse(args.toArray(new String[0]), List.of()));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static InetSocketAddress dns(DnsServer server) {
        return server.transport().address();
    }

    /** Sum of every counter of that name (all tags). */
    public static double sum(DnsServer server, String name) {
        double total = 0;
        for (double c : server.metrics().counts(name).values()) {
            total += c;
        }
        return total;
    }
}
