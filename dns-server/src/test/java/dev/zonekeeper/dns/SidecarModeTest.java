package dev.zonekeeper.dns;

import static dev.zonekeeper.dns.testing.Loopback.hostPort;
import static dev.zonekeeper.dns.testing.Loopback.loopback;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.config.ServerConfig;
import dev.zonekeeper.dns.config.ServerConfig.ConfigException;
import dev.zonekeeper.dns.testing.Closer;
import dev.zonekeeper.dns.transfer.NotifySender;
import dev.zonekeeper.dns.transfer.PrimaryZones;
import dev.zonekeeper.dns.transfer.TransferServer;
import dev.zonekeeper.dns.transfer.TsigKeyFile;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.testing.Http;
import dev.zonekeeper.testing.KnotServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/**
 * The dns-server in sidecar mode, started in-process as {@code Main} would, against the very primary the operator
 * runs ({@link PrimaryZones} + {@link TransferServer} + {@link NotifySender}) and a real Knot DNS as the upstream of
 * the forwarder. Every check goes over real sockets: DNS over UDP with dnsjava, {@code /ready} and {@code /metrics}
 * over HTTP.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class SidecarModeTest {
    private static final String KEY_TEXT =
            "zonekeeper-transfer:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXM=";
    private static final String WRONG_KEY_TEXT =
            "zonekeeper-transfer:hmac-sha256:YW5vdGhlci1zZWNyZXQtYW5vdGhlci1zZWNyZXQtMzI=";
    private static final TSIG KEY = TsigKeyFile.parse(KEY_TEXT);
    private static final Name ORIGIN = Name.fromConstantString("example.test.");

    /**
     * The upstream: it serves elsewhere.test, and also a decoy example.test whose data differ from the primary's, so
     * that a name of the sidecar's zone that was wrongly forwarded shows up as the decoy's answer.
     */
    private static KnotServer upstream;

    @TempDir
    Path tmp;

    private final Closer closer = new Closer();
    private PrimaryZones primaryZones;
    private TransferServer transferServer;
    private DnsServer sidecar;

    @BeforeAll
    static void startUpstream() throws IOException {
        Map<String, String> zones = new LinkedHashMap<>();
        zones.put(
                "elsewhere.test.",
                String.join(
                        "\n",
                        "$ORIGIN elsewhere.test.",
                        "$TTL 300",
                        "@ IN SOA ns.elsewhere.test. hostmaster.elsewhere.test. 1 3600 600 86400 30",
                        "@ IN NS ns",
                        "ns IN A 203.0.113.1",
                        "www IN A 203.0.113.7",
                        ""));
        zones.put(
                "example.test.",
                String.join(
                        "\n",
                        "$ORIGIN example.test.",
                        "$TTL 300",
                        "@ IN SOA ns.decoy.invalid. hostmaster.decoy.invalid. 1 3600 600 86400 30",
                        "@ IN NS ns.decoy.invalid.",
                        "www IN A 198.51.100.99",
                        "missing IN A 198.51.100.98",
                        ""));
        // reverse zones of addresses outside the cluster, and a decoy of a cluster address the sidecar serves
        zones.put(
                "113.0.203.in-addr.arpa.",
                String.join(
                        "\n",
                        "$ORIGIN 113.0.203.in-addr.arpa.",
                        "$TTL 300",
                        "@ IN SOA ns.elsewhere.test. hostmaster.elsewhere.test. 1 3600 600 86400 30",
                        "@ IN NS ns.elsewhere.test.",
                        "7 IN PTR www.elsewhere.test.",
                        ""));
        zones.put(
                "8.b.d.0.1.0.0.2.ip6.arpa.",
                String.join(
                        "\n",
                        "$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.",
                        "$TTL 300",
                        "@ IN SOA ns.elsewhere.test. hostmaster.elsewhere.test. 1 3600 600 86400 30",
                        "@ IN NS ns.elsewhere.test.",
                        ReverseMap.fromAddress("2001:db8::7") + " IN PTR www6.elsewhere.test.",
                        ""));
        zones.put(
                "96.10.in-addr.arpa.",
                String.join(
                        "\n",
                        "$ORIGIN 96.10.in-addr.arpa.",
                        "$TTL 300",
                        "@ IN SOA ns.decoy.invalid. hostmaster.decoy.invalid. 1 3600 600 86400 30",
                        "@ IN NS ns.decoy.invalid.",
                        "1.0 IN PTR decoy.invalid.",
                        "1.0 IN TXT \"decoy\"",
                        ""));
        upstream = KnotServer.start(zones, loopback(0));
    }

    @AfterAll
    static void stopUpstream() {
        if (upstream != null) {
            upstream.close();
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        closer.close();
    }

    private static Zone zone(String... body) {
        List<String> lines = new ArrayList<>(List.of(
                "$TTL 300",
                "@ 3600 IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 30",
                "@ IN NS ns1",
                "ns1 IN A 192.0.2.1"));
        lines.addAll(List.of(body));
        lines.add("");
        return Zone.parse(ORIGIN, String.join("\n", lines));
    }

    /** A zone of the primary with the operator's SOA and NS, and {@code body} (absolute names). */
    private static Zone reverseZone(String origin, String... body) {
        List<String> lines = new ArrayList<>(List.of(
                "$TTL 30",
                origin + " 30 IN SOA ns.dns.example.test. hostmaster.example.test. 1 3600 600 86400 5",
                origin + " 30 IN NS ns.dns.example.test."));
        lines.addAll(List.of(body));
        lines.add("");
        return Zone.parse(Name.fromConstantString(origin), String.join("\n", lines));
    }

    private void startPrimary(TSIG key) throws IOException {
        primaryZones = new PrimaryZones();
        transferServer = closer.add(TransferServer.start(loopback(0), primaryZones, key));
    }

    /** The operator's NOTIFY sender, aimed at the sidecar's NOTIFY address, on every change of the primary. */
    private NotifySender notifySidecar(TSIG key) {
        NotifySender sender = closer.add(new NotifySender(
                List.of(sidecar.notifyAddress()), key, new NotifySender.Options(Duration.ofMillis(200), 5)));
        primaryZones.addListener(sender);
        return sender;
    }

    private Path keyFile(String text) throws IOException {
        Path file = Files.createTempFile(tmp, "tsig", ".key");
        Files.writeString(file, text + "\n", StandardCharsets.UTF_8);
        return file;
    }

    /** The sidecar as the Helm chart runs it, on free loopback ports, with {@code extra} options. */
    private DnsServer startSidecar(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--listen", "127.0.0.1:0",
                "--metrics", "127.0.0.1:0",
                "--notify-listen", "127.0.0.1:0",
                "--primary", hostPort(transferServer.address()),
                "--zone", "example.test",
                "--upstream", hostPort(upstream.address()),
                "--udp-sockets", "1"));
        args.addAll(List.of(extra));
        sidecar = closer.add(DnsServer.start(ServerConfig.parse(args.toArray(new String[0]), List.of())));
        return sidecar;
    }

    // --- DNS and HTTP clients -------------------------------------------------------------------------------------

    private Message query(String name, int type) throws IOException {
        SimpleResolver resolver = new SimpleResolver(sidecar.transport().address());
        resolver.setTimeout(Duration.ofSeconds(3));
        Message q = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(name), type, DClass.IN));
        return resolver.send(q);
    }

    private static List<String> addresses(Message m) {
        List<String> out = new ArrayList<>();
        for (org.xbill.DNS.Record r : m.getSection(Section.ANSWER)) {
            if (r instanceof ARecord) {
                out.add(((ARecord) r).getAddress().getHostAddress());
            }
        }
        return out;
    }

    private HttpResponse<String> http(String path) throws IOException, InterruptedException {
        return Http.get(sidecar.http().address(), path);
    }

    /** The value of one sample of {@code /metrics}, or -1 when the series is absent. */
    private double metric(String name, String labels) throws IOException, InterruptedException {
        return Http.sample(http("/metrics").body(), name, labels);
    }

    private double transfers(String kind) throws IOException, InterruptedException {
        return metric("zonekeeper_dns_transfers_total", "kind=\"" + kind + "\",zone=\"example.test.\"");
    }

    private double failures() throws IOException, InterruptedException {
        return metric("zonekeeper_dns_transfer_failures_total", "zone=\"example.test.\"");
    }

    private double serial() throws IOException, InterruptedException {
        return metric("zonekeeper_dns_zone_serial", "zone=\"example.test.\"");
    }

    // --- scenarios ------------------------------------------------------------------------------------------------

    @Test
    void servesTheZoneOnlyAfterItsFirstTransferAndKeepsItWhenThePrimaryIsGone() throws Exception {
        startPrimary(KEY);
        startSidecar("--tsig-key-file", keyFile(KEY_TEXT).toString());
        NotifySender notify = notifySidecar(KEY);

        // The primary does not have the zone yet: the sidecar has tried and failed, and stays unready.
        await().until(() -> failures() >= 1);
        Message pending = query("www.example.test.", Type.A);
        assertThat(Rcode.string(pending.getRcode())).isEqualTo("SERVFAIL");
        assertThat(addresses(pending))
                .as("a name of a pending zone must not be forwarded")
                .isEmpty();
        assertThat(Rcode.string(query("missing.example.test.", Type.A).getRcode()))
                .as("never NXDOMAIN (nor the upstream's answer) before the zone is loaded")
                .isEqualTo("SERVFAIL");
        HttpResponse<String> notReady = http("/ready");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).contains("pending").contains("example.test.");
        assertThat(sidecar.ready()).isFalse();

        // Names outside the zones are forwarded all along.
        Message elsewhere = query("www.elsewhere.test.", Type.A);
        assertThat(Rcode.string(elsewhere.getRcode())).isEqualTo("NOERROR");
        assertThat(addresses(elsewhere)).containsExactly("203.0.113.7");

        // The operator publishes the zone: NOTIFY, AXFR, answers, ready.
        long first = primaryZones.put(zone("www IN A 192.0.2.10", "www IN A 192.0.2.11"));
        await().untilAsserted(() -> {
            Message m = query("www.example.test.", Type.A);
            assertThat(Rcode.string(m.getRcode())).isEqualTo("NOERROR");
            assertThat(addresses(m)).containsExactlyInAnyOrder("192.0.2.10", "192.0.2.11");
        });
        Message www = query("www.example.test.", Type.A);
        assertThat(www.getHeader().getFlag(Flags.AA)).isTrue();
        Message nx = query("missing.example.test.", Type.A);
        assertThat(Rcode.string(nx.getRcode())).isEqualTo("NXDOMAIN");
        assertThat(nx.getHeader().getFlag(Flags.AA)).isTrue();
        HttpResponse<String> ready = http("/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body())
                .contains("example.test.")
                .contains("serial " + first)
                .doesNotContain("pending");
        assertThat(transfers("AXFR")).isEqualTo(1.0);
        assertThat(transfers("IXFR")).isEqualTo(0.0);
        assertThat((long) serial()).isEqualTo(first);
        assertThat(metric("zonekeeper_dns_zone_records", "zone=\"example.test.\""))
                .isEqualTo(5.0);

        // A change on the primary arrives by IXFR; answers given (and cached) before it are not served after it.
        assertThat(Rcode.string(query("new.example.test.", Type.A).getRcode())).isEqualTo("NXDOMAIN");
        long second = primaryZones.put(zone("www IN A 192.0.2.20", "new IN A 192.0.2.30"));
        assertThat(second).isNotEqualTo(first);
        await().untilAsserted(() -> {
            assertThat(addresses(query("www.example.test.", Type.A))).containsExactly("192.0.2.20");
            assertThat(addresses(query("new.example.test.", Type.A))).containsExactly("192.0.2.30");
        });
        await().untilAsserted(() -> assertThat((long) serial()).isEqualTo(second));
        assertThat(transfers("IXFR")).isEqualTo(1.0);
        assertThat(transfers("AXFR")).isEqualTo(1.0);

        // The primary goes away; a NOTIFY (or the refresh timer) makes the sidecar try, fail, and keep its zone.
        transferServer.close();
        double failuresBefore = failures();
        notify.zoneChanged(primaryZones.get(ORIGIN).zone());
        await().until(() -> failures() > failuresBefore);
        Message after = query("www.example.test.", Type.A);
        assertThat(Rcode.string(after.getRcode())).isEqualTo("NOERROR");
        assertThat(addresses(after)).containsExactly("192.0.2.20");
        assertThat(Rcode.string(query("gone.example.test.", Type.A).getRcode())).isEqualTo("NXDOMAIN");
        assertThat(http("/ready").statusCode()).isEqualTo(200);
        assertThat((long) serial()).isEqualTo(second);
    }

    /**
     * The chart's reverse zones with CoreDNS's {@code fallthrough in-addr.arpa ip6.arpa}: the cluster's PTRs come
     * from the primary, every other reverse name from the upstream; a reverse zone not transferred yet answers
     * SERVFAIL and forwards nothing.
     */
    @Test
    void reverseZonesFallThroughToTheUpstream() throws Exception {
        startPrimary(null);
        primaryZones.put(zone("www IN A 10.96.0.1"));
        primaryZones.put(
                reverseZone("in-addr.arpa.", ReverseMap.fromAddress("10.96.0.1") + " IN PTR www.example.test."));
        startSidecar(
                "--zone",
                "in-addr.arpa",
                "--zone",
                "ip6.arpa",
                "--fallthrough",
                "in-addr.arpa",
                "--fallthrough",
                "ip6.arpa");
        notifySidecar(null);
        String ours = ReverseMap.fromAddress("10.96.0.1").toString();
        await().untilAsserted(() -> assertThat(ptrs(query(ours, Type.PTR))).containsExactly("www.example.test."));

        Message own = query(ours, Type.PTR);
        assertThat(own.getHeader().getFlag(Flags.AA))
                .as("our PTR is authoritative")
                .isTrue();
        Message external = query("7.113.0.203.in-addr.arpa.", Type.PTR);
        assertThat(Rcode.string(external.getRcode())).isEqualTo("NOERROR");
        assertThat(ptrs(external)).as("the upstream's PTR").containsExactly("www.elsewhere.test.");
        assertThat(external.getHeader().getFlag(Flags.AA)).isFalse();
        Message nodata = query(ours, Type.TXT);
        assertThat(Rcode.string(nodata.getRcode())).isEqualTo("NOERROR");
        assertThat(nodata.getHeader().getFlag(Flags.AA))
                .as("NODATA is ours, not the decoy's TXT")
                .isTrue();
        assertThat(nodata.getSection(Section.ANSWER)).isEmpty();

        String external6 = ReverseMap.fromAddress("2001:db8::7").toString();
        assertThat(Rcode.string(query(external6, Type.PTR).getRcode()))
                .as("ip6.arpa is still pending: SERVFAIL, not forwarded")
                .isEqualTo("SERVFAIL");
        primaryZones.put(
                reverseZone("ip6.arpa.", ReverseMap.fromAddress("fd00:10:96::1") + " IN PTR www.example.test."));
        String ours6 = ReverseMap.fromAddress("fd00:10:96::1").toString();
        await().untilAsserted(() -> assertThat(ptrs(query(ours6, Type.PTR))).containsExactly("www.example.test."));
        Message external6Answer = query(external6, Type.PTR);
        assertThat(ptrs(external6Answer)).as("the upstream's PTR").containsExactly("www6.elsewhere.test.");
        assertThat(external6Answer.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(Rcode.string(query("missing.example.test.", Type.A).getRcode()))
                .as("example.test is no fallthrough zone: our NXDOMAIN, not the decoy's address")
                .isEqualTo("NXDOMAIN");
    }

    private static List<String> ptrs(Message m) {
        List<String> out = new ArrayList<>();
        for (org.xbill.DNS.Record r : m.getSection(Section.ANSWER)) {
            if (r instanceof PTRRecord) {
                out.add(((PTRRecord) r).getTarget().toString());
            }
        }
        return out;
    }

    @Test
    void aWrongTsigKeyLoadsNothing() throws Exception {
        startPrimary(KEY);
        primaryZones.put(zone("www IN A 192.0.2.10"));
        startSidecar("--tsig-key-file", keyFile(WRONG_KEY_TEXT).toString());

        await().until(() -> failures() >= 1 && transferServer.stats().tsigFailures() >= 1);
        assertThat(Rcode.string(query("www.example.test.", Type.A).getRcode())).isEqualTo("SERVFAIL");
        assertThat(Rcode.string(query("missing.example.test.", Type.A).getRcode()))
                .isEqualTo("SERVFAIL");
        assertThat(http("/ready").statusCode()).isEqualTo(503);
        assertThat(transfers("AXFR")).isEqualTo(0.0);
        assertThat(serial()).as("no serial before the first transfer").isEqualTo(-1.0);
        assertThat(sidecar.pendingZones()).containsExactly(ORIGIN);
        // Forwarding of other names is unaffected.
        assertThat(addresses(query("www.elsewhere.test.", Type.A))).containsExactly("203.0.113.7");
    }

    @Test
    void withoutAKeyFileTransfersAreUnsigned() throws Exception {
        startPrimary(null);
        primaryZones.put(zone("www IN A 192.0.2.10"));
        startSidecar();

        await().untilAsserted(() ->
                assertThat(addresses(query("www.example.test.", Type.A))).containsExactly("192.0.2.10"));
        assertThat(http("/ready").statusCode()).isEqualTo(200);
        assertThat(transfers("AXFR")).isEqualTo(1.0);
    }

    @Test
    void aSignedPrimaryRefusesASidecarWithoutKey() throws Exception {
        startPrimary(KEY);
        primaryZones.put(zone("www IN A 192.0.2.10"));
        startSidecar();

        await().until(() -> failures() >= 1 && transferServer.stats().unsignedRefused() >= 1);
        assertThat(Rcode.string(query("www.example.test.", Type.A).getRcode())).isEqualTo("SERVFAIL");
        assertThat(http("/ready").statusCode()).isEqualTo(503);
    }

    @Test
    void aMissingOrInvalidKeyFileIsAStartUpErrorNamingTheOption() throws Exception {
        startPrimary(KEY);
        Path missing = tmp.resolve("no-such.key");
        Path invalid = keyFile("zonekeeper-transfer:hmac-sha256");
        for (Path file : List.of(missing, invalid)) {
            ServerConfig config = ServerConfig.parse(
                    new String[] {
                        "--listen",
                        "127.0.0.1:0",
                        "--notify-listen",
                        "127.0.0.1:0",
                        "--primary",
                        hostPort(transferServer.address()),
                        "--zone",
                        "example.test",
                        "--upstream",
                        "none",
                        "--tsig-key-file",
                        file.toString()
                    },
                    List.of());
            assertThatThrownBy(() -> config.tsigKey())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("option --tsig-key-file: ");
            assertThatThrownBy(() -> DnsServer.start(config))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("option --tsig-key-file: ");
        }
        assertThatThrownBy(() -> ServerConfig.parse(
                                new String[] {
                                    "--primary",
                                    "127.0.0.1:5300",
                                    "--zone",
                                    "example.test",
                                    "--upstream",
                                    "none",
                                    "--tsig-key-file",
                                    missing.toString()
                                },
                                List.of())
                        .tsigKey())
                .hasMessageContaining("does not exist")
                .hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> ServerConfig.parse(
                                new String[] {
                                    "--primary",
                                    "127.0.0.1:5300",
                                    "--zone",
                                    "example.test",
                                    "--upstream",
                                    "none",
                                    "--tsig-key-file",
                                    invalid.toString()
                                },
                                List.of())
                        .tsigKey())
                .hasMessageContaining("name:algorithm:base64secret");
    }

    @Test
    void theCommandExitsWithCode2OnABadKeyFile() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path missing = tmp.resolve("no-such.key");
        Process p = new ProcessBuilder(
                        java.toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        Main.class.getName(),
                        "--listen",
                        "127.0.0.1:0",
                        "--notify-listen",
                        "127.0.0.1:0",
                        "--primary",
                        "127.0.0.1:5300",
                        "--zone",
                        "example.test",
                        "--upstream",
                        "none",
                        "--tsig-key-file",
                        missing.toString())
                .redirectErrorStream(true)
                .start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the command ends").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isEqualTo(2);
        assertThat(out)
                .contains("zonekeeper-dns-server: option --tsig-key-file: ")
                .contains("does not exist");
    }

    @Test
    void sidecarOptions() throws Exception {
        ServerConfig defaults = ServerConfig.parse(
                new String[] {"--listen", "127.0.0.5:53", "--primary", "127.0.0.1:5300", "--zone", "Example.Test"},
                List.of());
        assertThat(defaults.sidecar()).isTrue();
        assertThat(defaults.zones()).containsExactly(ORIGIN);
        assertThat(defaults.notifyListen())
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("127.0.0.5"), ServerConfig.DEFAULT_NOTIFY_PORT));
        assertThat(defaults.records())
                .as("--records is not read in sidecar mode")
                .isNull();
        assertThat(defaults.tsigKeyFile()).isNull();

        ServerConfig noNotify = ServerConfig.parse(
                new String[] {"--primary", "127.0.0.1:5300", "--zone", "example.test", "--notify-listen", "none"},
                List.of());
        assertThat(noNotify.notifyListen()).isNull();

        assertThat(ServerConfig.parse(new String[] {"--zone", "example.test"}, List.of())
                        .records())
                .isEqualTo(Path.of("examples", "records"));
        assertThatThrownBy(() -> ServerConfig.parse(new String[] {"--primary", "127.0.0.1:5300"}, List.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--zone");
        assertThatThrownBy(() -> ServerConfig.parse(
                        new String[] {
                            "--listen", "127.0.0.1:5354", "--primary", "127.0.0.1:5300", "--zone", "example.test"
                        },
                        List.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--notify-listen");
        assertThatThrownBy(() -> ServerConfig.parse(new String[] {"--notify-listen", "none"}, List.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("needs --primary");
    }
}
