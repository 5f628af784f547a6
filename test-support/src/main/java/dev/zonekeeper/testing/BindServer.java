package dev.zonekeeper.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real BIND 9 ({@code named}) as a primary that takes TSIG-signed dynamic updates, for tests and as the reference
 * the update clients and benchmarks compare Zonekeeper with: {@link Builder#start()} writes a {@code named.conf}, the
 * keys and the zone files to a temp directory, runs named in the foreground and returns once it answers the SOA of
 * every zone; {@link #stop()} ends it. named comes from Debian's package {@code bind9}; without it tests fail with a
 * message naming the package.
 *
 * <pre>{@code
 * try (BindServer bind = BindServer.builder()
 *         .key("acme", "hmac-sha256", secretBase64)
 *         .zone("example.test", zoneText, "grant acme subdomain _acme-challenge.example.test. TXT;")
 *         .start()) { ... }
 * }</pre>
 */
public final class BindServer extends LocalDnsDaemon {

    private BindServer(InetSocketAddress address, Path dir, ChildProcess process) {
        super("named", address, dir, process);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** What named serves: zones, TSIG keys, update policies, the listen address. */
    public static final class Builder {
        private record Zone(String text, String updatePolicy) {}

        private record Key(String name, String algorithm, String secret) {}

        private final Map<String, Zone> zones = new LinkedHashMap<>();
        private final List<Key> keys = new ArrayList<>();
        private final List<String> options = new ArrayList<>();
        private InetSocketAddress listen = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

        private Builder() {}

        /** A TSIG key, e.g. {@code ("acme", "hmac-sha256", base64)}; BIND's algorithm names. */
        public Builder key(String name, String algorithm, String secretBase64) {
            keys.add(new Key(name, algorithm, secretBase64));
            return this;
        }

        /** A zone from zone-file text that takes no update. */
        public Builder zone(String origin, String zoneText) {
            return zone(origin, zoneText, null);
        }

        /**
         * A primary zone from zone-file text with this {@code update-policy} body (BIND syntax, e.g. {@code "grant acme
         * subdomain _acme-challenge.example.test. TXT;"}); accepted updates go to the zone's journal in the temp dir.
         */
        public Builder zone(String origin, String zoneText, String updatePolicy) {
            zones.put(origin, new Zone(zoneText, updatePolicy));
            return this;
        }

        /** One more statement for the {@code options} block, e.g. {@code "allow-transfer { key acme; };"}. */
        public Builder option(String statement) {
            options.add(statement);
            return this;
        }

        /** Where to listen, UDP and TCP; port 0 (the default, on 127.0.0.1) picks a free port. */
        public Builder listen(InetSocketAddress listen) {
            this.listen = listen;
            return this;
        }

        public BindServer start() {
            Path named = named();
            InetSocketAddress address = orFreePort(listen);
            try {
                Path dir = Files.createTempDirectory("bind-test");
                Files.writeString(dir.resolve("named.conf"), conf(dir, address), StandardCharsets.UTF_8);
                int i = 0;
                for (Zone zone : zones.values()) {
                    Files.writeString(dir.resolve("zone" + i++ + ".zone"), zone.text(), StandardCharsets.UTF_8);
                }
                // -g: foreground, log to stderr; -n 1: one worker thread, the machine is shared
                ChildProcess process = ChildProcess.start(
                        "named",
                        List.of(
                                named.toString(),
                                "-g",
                                "-n",
                                "1",
                                "-c",
                                dir.resolve("named.conf").toString()),
                        Map.of(),
                        dir,
                        logFile(dir, "named"));
                BindServer server = new BindServer(address, dir, process);
                server.awaitAnswering(zones.keySet(), Duration.ofSeconds(30));
                return server;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start named", e);
            }
        }

        private String conf(Path dir, InetSocketAddress address) {
            String host = address.getAddress().getHostAddress();
            boolean v6 = address.getAddress() instanceof java.net.Inet6Address;
            StringBuilder conf = new StringBuilder()
                    .append("options {\n")
                    .append("    directory \"")
                    .append(dir)
                    .append("\";\n")
                    .append("    pid-file \"")
                    .append(dir.resolve("named.pid"))
                    .append("\";\n")
                    .append("    session-keyfile \"")
                    .append(dir.resolve("session.key"))
                    .append("\";\n")
                    .append(v6 ? "    listen-on { none; };\n" : "    listen-on port " + address.getPort())
                    .append(v6 ? "" : " { " + host + "; };\n")
                    .append(v6 ? "    listen-on-v6 port " + address.getPort() + " { " + host + "; };\n" : "")
                    .append(v6 ? "" : "    listen-on-v6 { none; };\n")
                    .append("    recursion no;\n    dnssec-validation no;\n    notify no;\n");
            // no transfers unless an option allows some (named rejects a second allow-transfer)
            if (options.stream().noneMatch(o -> o.startsWith("allow-transfer"))) {
                conf.append("    allow-transfer { none; };\n");
            }
            options.forEach(o -> conf.append("    ").append(o).append('\n'));
            conf.append("};\n");
            // no rndc channel: the test ends named with a signal
            conf.append("controls { };\n");
            for (Key key : keys) {
                conf.append("key \"")
                        .append(key.name())
                        .append("\" { algorithm ")
                        .append(key.algorithm())
                        .append("; secret \"")
                        .append(key.secret())
                        .append("\"; };\n");
            }
            int i = 0;
            for (Map.Entry<String, Zone> zone : zones.entrySet()) {
                conf.append("zone \"")
                        .append(zone.getKey())
                        .append("\" {\n    type primary;\n    file \"")
                        .append(dir.resolve("zone" + i++ + ".zone"))
                        .append("\";\n");
                if (zone.getValue().updatePolicy() != null) {
                    conf.append("    update-policy { ")
                            .append(zone.getValue().updatePolicy())
                            .append(" };\n");
                }
                conf.append("};\n");
            }
            return conf.toString();
        }
    }

    /** The named binary, or a failed test that names Debian's package {@code bind9}. */
    public static Path named() {
        return DnsClients.find("named")
                .orElseThrow(() -> new AssertionError("named (BIND 9) not found in /usr/sbin or on PATH: these tests "
                        + "run a real BIND server; install Debian's package 'bind9' (apt-get install -y bind9)"));
    }
}
