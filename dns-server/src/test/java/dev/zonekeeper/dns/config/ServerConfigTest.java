package dev.zonekeeper.dns.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zonekeeper.dns.config.ServerConfig.ConfigException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.Name;

/** The command line: defaults, every option, and every kind of mistake named in the message. */
class ServerConfigTest {
    private static final List<InetSocketAddress> RESOLV_CONF = List.of(new InetSocketAddress("127.0.0.53", 53));

    private static ServerConfig parse(String... args) throws ConfigException {
        return ServerConfig.parse(args, RESOLV_CONF);
    }

    @Test
    void defaults() throws ConfigException {
        ServerConfig c = parse();
        assertThat(c.listen()).isEqualTo(new InetSocketAddress(InetAddress.getLoopbackAddress(), 5353));
        assertThat(c.records()).isEqualTo(Path.of("examples", "records"));
        assertThat(c.zones()).isEmpty();
        assertThat(c.fallthrough()).isEmpty();
        assertThat(c.upstreams()).isEqualTo(RESOLV_CONF);
        assertThat(c.forwarding()).isTrue();
        assertThat(c.metrics()).isNull();
        assertThat(c.primary()).isNull();
        assertThat(c.sidecar()).isFalse();
        assertThat(c.tsigKeyFile()).isNull();
        assertThat(c.notifyListen()).isNull();
        assertThat(c.udpSockets()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(c.cacheSize()).isEqualTo(10_000);
        assertThat(c.cacheBytes()).isEqualTo(32L << 20);
        assertThat(c.maxConcurrent()).isEqualTo(1000);
        assertThat(c.zoneTtl()).isEqualTo(30);
    }

    @Test
    void everyOption() throws ConfigException {
        ServerConfig c = parse(
                "--listen",
                "127.0.0.2:5354",
                "--records",
                "/srv/records",
                "--zone",
                "Example.Test",
                "--zone",
                "2.0.192.in-addr.arpa.",
                "--upstream",
                "127.0.0.1:5300",
                "--upstream",
                "[::1]:53",
                "--upstream",
                "127.0.0.9",
                "--metrics",
                "127.0.0.1:9154",
                "--primary",
                "127.0.0.1:5300",
                "--tsig-key-file",
                "/etc/zk/tsig",
                "--notify-listen",
                "127.0.0.1:5301",
                "--udp-sockets",
                "3",
                "--cache-size",
                "0",
                "--zone-ttl",
                "5");
        assertThat(c.listen()).isEqualTo(new InetSocketAddress("127.0.0.2", 5354));
        assertThat(c.records()).isEqualTo(Path.of("/srv/records"));
        assertThat(c.zones())
                .containsExactly(
                        Name.fromConstantString("example.test."), Name.fromConstantString("2.0.192.in-addr.arpa."));
        assertThat(c.upstreams())
                .containsExactly(
                        new InetSocketAddress("127.0.0.1", 5300),
                        new InetSocketAddress("::1", 53),
                        new InetSocketAddress("127.0.0.9", 53));
        assertThat(c.metrics()).isEqualTo(new InetSocketAddress("127.0.0.1", 9154));
        assertThat(c.primary()).isEqualTo(new InetSocketAddress("127.0.0.1", 5300));
        assertThat(c.sidecar()).isTrue();
        assertThat(c.tsigKeyFile()).isEqualTo(Path.of("/etc/zk/tsig"));
        assertThat(c.notifyListen()).isEqualTo(new InetSocketAddress("127.0.0.1", 5301));
        assertThat(c.udpSockets()).isEqualTo(3);
        assertThat(c.cacheSize()).isZero();
        assertThat(c.zoneTtl()).isEqualTo(5);
    }

    @Test
    void forwarderLimits() throws ConfigException {
        ServerConfig c = parse("--cache-bytes", "48m", "--max-concurrent", "200");
        assertThat(c.cacheBytes()).isEqualTo(48L << 20);
        assertThat(c.maxConcurrent()).isEqualTo(200);
        assertThat(parse("--cache-bytes", "65536").cacheBytes()).isEqualTo(65536);
        assertThat(parse("--cache-bytes", "1G").cacheBytes()).isEqualTo(1L << 30);
        assertThat(ServerConfig.USAGE).contains("--cache-bytes").contains("--max-concurrent");
    }

    @Test
    void optionEqualsValueForm() throws ConfigException {
        ServerConfig c = parse("--listen=127.0.0.1:0", "--zone=example.test", "--udp-sockets=2");
        assertThat(c.listen()).isEqualTo(new InetSocketAddress("127.0.0.1", 0));
        assertThat(c.zones()).containsExactly(Name.fromConstantString("example.test."));
        assertThat(c.udpSockets()).isEqualTo(2);
    }

    @Test
    void fallthroughZonesAreServedZonesOrBelowOne() throws ConfigException {
        // the sidecar's command line in a cluster with reverse zones, as CoreDNS's default Corefile
        ServerConfig c = parse(
                "--primary",
                "127.0.0.1:5300",
                "--zone",
                "cluster.local",
                "--zone",
                "in-addr.arpa",
                "--zone",
                "ip6.arpa",
                "--fallthrough",
                "in-addr.arpa",
                "--fallthrough=IP6.ARPA.",
                "--fallthrough",
                "in-addr.arpa.");
        assertThat(c.fallthrough())
                .as("names normalised, duplicates once")
                .containsExactly(Name.fromConstantString("in-addr.arpa."), Name.fromConstantString("ip6.arpa."));
        assertThat(parse("--zone", "in-addr.arpa", "--fallthrough", "10.in-addr.arpa")
                        .fallthrough())
                .containsExactly(Name.fromConstantString("10.in-addr.arpa."));
    }

    @Test
    void upstreamNoneTurnsForwardingOff() throws ConfigException {
        ServerConfig c = parse("--upstream", "none");
        assertThat(c.upstreams()).isEmpty();
        assertThat(c.forwarding()).isFalse();
    }

    @Test
    void helpIsTheUsage() {
        assertThatThrownBy(() -> parse("--help"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("Usage: zonekeeper-dns-server")
                .hasMessageContaining("--records DIR");
    }

    @Test
    void lameduckAndSnapshotOptions() throws ConfigException {
        ServerConfig defaults = parse("--primary", "127.0.0.1:5300", "--zone", "example.test");
        assertThat(defaults.lameduck()).isEqualTo(5);
        assertThat(defaults.snapshotDir()).isNull();
        assertThat(defaults.snapshotMaxAge()).isEqualTo(86_400);
        ServerConfig c = parse(
                "--primary",
                "127.0.0.1:5300",
                "--zone",
                "example.test",
                "--lameduck",
                "0",
                "--snapshot-dir",
                "/var/lib/zonekeeper/snapshots",
                "--snapshot-max-age",
                "600");
        assertThat(c.lameduck()).isZero();
        assertThat(c.snapshotDir()).isEqualTo(Path.of("/var/lib/zonekeeper/snapshots"));
        assertThat(c.snapshotMaxAge()).isEqualTo(600);
        assertThat(parse("--lameduck", "30").lameduck()).as("standalone too").isEqualTo(30);
        assertThatThrownBy(() -> parse("--help"))
                .hasMessageContaining("--lameduck SECONDS")
                .hasMessageContaining("--snapshot-dir DIR")
                .hasMessageContaining("--snapshot-max-age SECONDS");
    }

    @Test
    void zoneMaxBytesBoundsTransfersAndSnapshots() throws ConfigException {
        ServerConfig defaults = parse("--primary", "127.0.0.1:5300", "--zone", "example.test");
        assertThat(defaults.zoneMaxBytes()).isEqualTo(32L << 20);
        ServerConfig c =
                parse("--primary", "127.0.0.1:5300", "--zone", "example.test", "--zone-max-bytes", "104857600");
        assertThat(c.zoneMaxBytes()).isEqualTo(100L << 20);
        assertThatThrownBy(() -> parse("--zone-max-bytes", "0")).hasMessageContaining("option --zone-max-bytes: 0");
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                bad("unknown option '--bogus'", "--bogus"),
                bad("unknown option '-x'", "-x"),
                bad("unknown option 'stray'", "stray"),
                bad("unknown option '--bogus=1'", "--bogus=1"),
                bad("option --listen needs a value", "--listen"),
                bad("option --zone needs a value", "--upstream", "none", "--zone"),
                bad("option --listen: port 99999 is outside 0-65535", "--listen", "127.0.0.1:99999"),
                bad("option --listen: port -1 is outside 0-65535", "--listen", "127.0.0.1:-1"),
                bad("option --listen: port 'dns' is not a number", "--listen", "127.0.0.1:dns"),
                bad("option --listen: '127.0.0.1' has no port", "--listen", "127.0.0.1"),
                bad("option --metrics: ':9154' has no host", "--metrics", ":9154"),
                bad("option --metrics: '[::1' is not HOST:PORT", "--metrics", "[::1"),
                bad("option --upstream: port 70000 is outside 0-65535", "--upstream", "127.0.0.1:70000"),
                bad("option --primary: port 'x' is not a number", "--primary", "127.0.0.1:x"),
                bad(
                        "option --notify-listen: '127.0.0.1' has no port",
                        "--primary",
                        "127.0.0.1:5300",
                        "--notify-listen",
                        "127.0.0.1"),
                bad("option --zone: empty zone name", "--zone", ""),
                bad("option --zone: serving the root zone is not supported", "--zone", "."),
                bad("option --zone: 'a..b' is not a valid zone name", "--zone", "a..b"),
                bad(
                        "option --zone: '" + "x".repeat(64) + ".test' is not a valid zone name",
                        "--zone",
                        "x".repeat(64) + ".test"),
                bad("option --zone: example.test. is given twice", "--zone", "example.test", "--zone", "EXAMPLE.test."),
                bad("option --udp-sockets: 0 is outside 1-64", "--udp-sockets", "0"),
                bad("option --udp-sockets: 'many' is not a whole number", "--udp-sockets", "many"),
                bad("option --cache-size: -1 is outside 0-10000000", "--cache-size", "-1"),
                bad("option --cache-bytes: 'lots' is not a byte count", "--cache-bytes", "lots"),
                bad("option --cache-bytes: 65g is outside 0-64g", "--cache-bytes", "65g"),
                bad("option --max-concurrent: 0 is outside 1-1000000", "--max-concurrent", "0"),
                bad("option --zone-ttl: 86401 is outside 0-86400", "--zone-ttl", "86401"),
                bad("option --zone-ttl: '1.5' is not a whole number", "--zone-ttl", "1.5"),
                bad("option --tsig-key-file needs --primary", "--tsig-key-file", "/etc/zk/tsig"),
                bad("option --notify-listen needs --primary", "--notify-listen", "127.0.0.1:5301"),
                bad("option --fallthrough needs a value", "--zone", "in-addr.arpa", "--fallthrough"),
                bad("option --lameduck: -1 is outside 0-3600", "--lameduck", "-1"),
                bad("option --lameduck: 'soon' is not a whole number", "--lameduck", "soon"),
                bad("option --snapshot-dir needs --primary", "--snapshot-dir", "/tmp/snapshots"),
                bad(
                        "option --snapshot-dir: empty directory name",
                        "--primary",
                        "127.0.0.1:5300",
                        "--zone",
                        "example.test",
                        "--snapshot-dir",
                        ""),
                bad(
                        "option --snapshot-max-age needs --snapshot-dir",
                        "--primary",
                        "127.0.0.1:5300",
                        "--zone",
                        "example.test",
                        "--snapshot-max-age",
                        "60"),
                bad(
                        "option --snapshot-max-age: 0 is outside",
                        "--primary",
                        "127.0.0.1:5300",
                        "--zone",
                        "example.test",
                        "--snapshot-dir",
                        "/tmp/s",
                        "--snapshot-max-age",
                        "0"),
                bad(
                        "option --fallthrough: in-addr.arpa. is neither a --zone nor below one (no --zone given)",
                        "--fallthrough",
                        "in-addr.arpa"),
                bad(
                        "option --fallthrough: example.com. is neither a --zone nor below one (zones: in-addr.arpa., "
                                + "ip6.arpa.)",
                        "--zone",
                        "in-addr.arpa",
                        "--zone",
                        "ip6.arpa",
                        "--fallthrough",
                        "example.com"),
                bad(
                        "option --fallthrough: in-addr.arpa. is neither a --zone nor below one (zones: 10.in-addr.arpa.)",
                        "--zone",
                        "10.in-addr.arpa",
                        "--fallthrough",
                        "in-addr.arpa"),
                bad(
                        "option --fallthrough: the root is not a served zone",
                        "--zone",
                        "in-addr.arpa",
                        "--fallthrough",
                        "."),
                bad(
                        "option --fallthrough: 'a..arpa' is not a valid zone name",
                        "--zone",
                        "in-addr.arpa",
                        "--fallthrough",
                        "a..arpa"));
    }

    private static Arguments bad(String message, String... args) {
        return Arguments.of(String.join(" ", args), args, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidCommandLineIsAConfigExceptionNamingTheOption(String line, String[] args, String message) {
        assertThatThrownBy(() -> parse(args))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The real Main, as a process

    private record Run(int exit, String stdout, String stderr) {}

    private static Run runMain(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.zonekeeper.dns.Main");
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("Main " + String.join(" ", args) + " did not exit");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void mainWithAnUnknownOptionExitsWithTwoAndSaysWhy() throws Exception {
        Run run = runMain("--bogus");
        assertThat(run.exit()).as("exit code; stderr: %s", run.stderr()).isEqualTo(2);
        assertThat(run.stderr())
                .startsWith("zonekeeper-dns-server: unknown option '--bogus'")
                .contains("Usage: zonekeeper-dns-server");
        assertThat(run.stdout()).isEmpty();
    }

    @Test
    void mainWithABadValueExitsWithTwoNamingTheOption() throws Exception {
        Run run = runMain("--listen", "127.0.0.1:99999");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.stderr()).contains("option --listen: port 99999 is outside 0-65535");
    }

    @Test
    void mainWithAMissingRecordsDirectoryExitsWithTwo() throws Exception {
        Run run = runMain("--records", "/nonexistent/zonekeeper-records", "--upstream", "none");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.stderr()).contains("option --records: /nonexistent/zonekeeper-records is not a directory");
    }

    @Test
    void mainHelpExitsWithZero() throws Exception {
        Run run = runMain("--help");
        assertThat(run.exit()).isZero();
        assertThat(run.stdout()).startsWith("Usage: zonekeeper-dns-server");
        assertThat(run.stderr()).isEmpty();
    }
}
