package dev.zonekeeper.dns.testing;

import dev.zonekeeper.dns.DnsServer;
import dev.zonekeeper.dns.config.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The real DNS server started in-process the way {@code main} starts it ({@link DnsServer#start}), on a free
 * loopback port ({@code --listen 127.0.0.1:0}), without forwarding, from a directory of DnsRecord manifests.
 */
public final class TestServer implements AutoCloseable {
    private final DnsServer server;
    private final Path ownedDir;

    private TestServer(DnsServer server, Path ownedDir) {
        this.server = server;
        this.ownedDir = ownedDir;
    }

    /** Writes {@code manifests} (YAML text) as one file into a new temp directory and serves it. */
    public static TestServer withManifests(String manifests, String... args) {
        try {
            Path dir = Files.createTempDirectory("zk-records");
            Files.writeString(dir.resolve("records.yaml"), manifests, StandardCharsets.UTF_8);
            return new TestServer(start(dir, args), dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Serves the manifests of an existing directory (not deleted on close). */
    public static TestServer withDirectory(Path records, String... args) {
        return new TestServer(start(records, args), null);
    }

    private static DnsServer start(Path records, String... args) {
        List<String> all = new ArrayList<>(List.of(
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                "none",
                "--udp-sockets",
                "1",
                "--records",
                records.toString()));
        all.addAll(List.of(args));
        try {
            return DnsServer.start(ServerConfig.parse(all.toArray(new String[0]), List.of()));
        } catch (ServerConfig.ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public InetSocketAddress address() {
        return server.transport().address();
    }

    public DnsServer server() {
        return server;
    }

    /** Answers served from pre-encoded bytes so far. */
    public double fastPathHits() {
        return server.metrics().count("zonekeeper.dns.answer.cache", "result", "hit");
    }

    @Override
    public void close() {
        server.close();
        if (ownedDir != null) {
            try (Stream<Path> files = Files.walk(ownedDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a temp directory
            }
        }
    }

    /** One DnsRecord manifest (a YAML document ending with {@code ---}); ttl null leaves the default. */
    public static String dnsRecord(String name, String type, Integer ttl, String... values) {
        StringBuilder sb = new StringBuilder()
                .append("apiVersion: zonekeeper.dev/v1alpha1\nkind: DnsRecord\nmetadata:\n  name: r")
                .append(Integer.toHexString((name + type).hashCode()))
                .append("\nspec:\n")
                .append("  name: ")
                .append(quote(name))
                .append('\n')
                .append("  type: ")
                .append(type)
                .append('\n');
        if (ttl != null) {
            sb.append("  ttl: ").append(ttl).append('\n');
        }
        sb.append("  values:\n");
        for (String v : values) {
            sb.append("    - ").append(quote(v)).append('\n');
        }
        return sb.append("---\n").toString();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }
}
