package dev.zonekeeper.dns;

import static dev.zonekeeper.dns.testing.Loopback.hostPort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.config.ServerConfig;
import dev.zonekeeper.dns.testing.Closer;
import dev.zonekeeper.dns.testing.UpdateClients;
import dev.zonekeeper.dns.testing.UpdateClients.Tool;
import dev.zonekeeper.testing.KnotSecondary;
import dev.zonekeeper.testing.RawDns;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

/**
 * A sidecar forwards dynamic updates to its primary (RFC 2136 section 6) and relays the answer, and relays an AXFR
 * signed with an update key: proven with a real Knot DNS as the primary, which checks the TSIG of what arrives, and
 * real clients ({@code nsupdate}, {@code knsupdate}, {@code kdig}) talking to the sidecar only.
 */
@org.junit.jupiter.api.Tag("real")
class UpdateForwardingTest {
    private static final String SECRET =
            Base64.getEncoder().encodeToString("update-secret-update-secret-32by".getBytes());
    private static final String KEY = "hmac-sha256:update-key:" + SECRET;
    private static final String WRONG_KEY = "hmac-sha256:update-key:"
            + Base64.getEncoder().encodeToString("not-the-secret-not-the-secret-32".getBytes());
    private static final Name ORIGIN = Name.fromConstantString("example.test.");

    @TempDir
    Path tmp;

    private final Closer closer = new Closer();

    @AfterEach
    void close() throws Exception {
        closer.close();
    }

    private KnotSecondary knotPrimary() throws IOException {
        Files.writeString(
                tmp.resolve("example.test.zone"),
                String.join(
                        "\n",
                        "$ORIGIN example.test.",
                        "$TTL 300",
                        "@ IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 30",
                        "@ IN NS ns",
                        "ns IN A 192.0.2.53",
                        "old IN TXT \"kept\"",
                        ""));
        Files.createDirectories(tmp.resolve("db"));
        String conf = String.join(
                "\n",
                "server:",
                "    listen: 127.0.0.1@${PORT}",
                "    rundir: ${DIR}",
                "key:",
                "  - id: update-key",
                "    algorithm: hmac-sha256",
                "    secret: " + SECRET,
                "acl:",
                "  - id: updater",
                "    key: update-key",
                "    action: [update, transfer]",
                "  - id: sidecar",
                "    address: 127.0.0.0/8",
                "    action: transfer",
                "database:",
                "    storage: ${DIR}/db",
                "log:",
                "  - target: ${DIR}/knot.log",
                "    any: info",
                "zone:",
                "  - domain: example.test",
                "    file: ${DIR}/example.test.zone",
                "    acl: [updater, sidecar]",
                "    zonefile-sync: -1",
                "");
        return closer.add(KnotSecondary.start(tmp, conf));
    }

    private DnsServer sidecar(InetSocketAddress primary, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--listen", "127.0.0.1:0",
                "--notify-listen", "none",
                "--upstream", "none",
                "--warmup-rounds", "0",
                "--primary", hostPort(primary),
                "--zone", "example.test"));
        args.addAll(List.of(extra));
        return closer.add(DnsServer.start(ServerConfig.parse(args.toArray(new String[0]), List.of())));
    }

    private static Message ask(InetSocketAddress server, String name, int type) throws IOException {
        SimpleResolver r = new SimpleResolver(server);
        r.setTCP(true);
        return r.send(Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(name), type, DClass.IN)));
    }

    private static InetSocketAddress dns(DnsServer s) {
        return s.transport().address();
    }

    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource({"NSUPDATE, udp", "NSUPDATE, tcp", "KNSUPDATE, udp", "KNSUPDATE, tcp"})
    void anUpdateSentToTheSidecarIsAppliedByThePrimary(Tool tool, String transport) throws Exception {
        KnotSecondary knot = knotPrimary();
        DnsServer sidecar = sidecar(knot.address());
        boolean tcp = transport.equals("tcp");
        String name = tool.name().toLowerCase() + "-" + transport + ".example.test.";

        UpdateClients.Result added = UpdateClients.run(
                tool, dns(sidecar), KEY, tcp, List.of("zone example.test.", "update add " + name + " 300 A 192.0.2.7"));

        assertThat(added.rcode()).as(added.output()).isEqualTo("NOERROR");
        Message atPrimary = ask(knot.address(), name, Type.A);
        assertThat(atPrimary.getSection(1))
                .extracting(r -> ((ARecord) r).getAddress().getHostAddress())
                .containsExactly("192.0.2.7");

        // the primary's own answers come back: a failed prerequisite, a bad signature
        UpdateClients.Result prereq = UpdateClients.run(
                tool,
                dns(sidecar),
                KEY,
                tcp,
                List.of("zone example.test.", "prereq nxdomain " + name, "update add " + name + " 300 A 192.0.2.8"));
        assertThat(prereq.rcode()).as(prereq.output()).isEqualTo("YXDOMAIN");
        UpdateClients.Result badKey = UpdateClients.run(
                tool, dns(sidecar), WRONG_KEY, tcp, List.of("zone example.test.", "update delete " + name));
        assertThat(badKey.exitCode()).as(badKey.output()).isNotZero();
        assertThat(badKey.output()).containsAnyOf("NOTAUTH", "BADSIG", "bad signature", "tsig verify failure");
        assertThat(ask(knot.address(), name, Type.A).getSection(1)).hasSize(1);

        assertThat(sidecar.metrics().count("zonekeeper.updates.forwarded", "outcome", "relayed"))
                .isEqualTo(3);
    }

    @Test
    void theRelayedAnswerKeepsTheClientsIdAndTheSignatureVerifies() throws Exception {
        KnotSecondary knot = knotPrimary();
        DnsServer sidecar = sidecar(knot.address());
        TSIG key = new TSIG(TSIG.HMAC_SHA256, "update-key.", SECRET);
        for (boolean tcp : new boolean[] {false, true}) {
            Update update = new Update(ORIGIN);
            update.add(Name.fromString("id" + tcp + ".example.test."), Type.TXT, 60, "\"x\"");
            update.getHeader().setID(tcp ? 4242 : 1717);
            key.apply(update, null);
            byte[] response =
                    tcp ? RawDns.tcp(dns(sidecar), update.toWire()) : RawDns.udp(dns(sidecar), update.toWire());
            Message m = new Message(response);
            assertThat(m.getHeader().getID()).isEqualTo(tcp ? 4242 : 1717);
            assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(key.verify(m, response, update.getTSIG())).isEqualTo(Rcode.NOERROR);
        }
    }

    @Test
    void aSignedAxfrIsRelayedAndAnUnsignedOneRefused() throws Exception {
        KnotSecondary knot = knotPrimary();
        DnsServer sidecar = sidecar(knot.address());
        String server = "@" + dns(sidecar).getAddress().getHostAddress();
        String port = "-p" + dns(sidecar).getPort();

        KnotSecondary.Dig signed = KnotSecondary.kdig(server, port, "-y", KEY, "example.test.", "AXFR", "+tcp");

        assertThat(signed.output()).doesNotContain("failed").doesNotContain("REFUSED");
        assertThat(signed.records())
                .contains("ns.example.test.\t300\tIN\tA\t192.0.2.53")
                .anySatisfy(r -> assertThat(r).startsWith("old.example.test.").contains("TXT"));
        KnotSecondary.Dig unsigned = KnotSecondary.kdig(server, port, "example.test.", "AXFR", "+tcp");
        assertThat(unsigned.output()).contains("REFUSED");
        KnotSecondary.Dig wrongKey = KnotSecondary.kdig(server, port, "-y", WRONG_KEY, "example.test.", "AXFR", "+tcp");
        assertThat(wrongKey.output()).containsAnyOf("NOTAUTH", "BADSIG");
        assertThat(sidecar.metrics().count("zonekeeper.update.transfers", "outcome", "relayed"))
                .isEqualTo(2);
    }

    /**
     * A primary that accepts connections and never answers: the first update waits for it (the only slot with
     * {@code --update-max-inflight 1}), the next is REFUSED at once, and the first gets SERVFAIL at the timeout.
     */
    @Test
    void overloadIsRefusedAndASilentPrimaryIsServfail() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new ArrayList<>();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                while (!silent.isClosed()) {
                    try {
                        held.add(silent.accept());
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            DnsServer sidecar = sidecar(
                    (InetSocketAddress) silent.getLocalSocketAddress(),
                    "--update-max-inflight",
                    "1",
                    "--update-timeout",
                    "3000");
            Update first = new Update(ORIGIN);
            first.add(Name.fromString("a.example.test."), Type.A, 60, "192.0.2.1");
            CompletableFuture<byte[]> firstAnswer = CompletableFuture.supplyAsync(() -> {
                try {
                    return RawDns.tcp(dns(sidecar), first.toWire());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            org.awaitility.Awaitility.await().until(() -> !held.isEmpty());
            Update second = new Update(ORIGIN);
            second.add(Name.fromString("b.example.test."), Type.A, 60, "192.0.2.2");

            assertThat(new Message(RawDns.udp(dns(sidecar), second.toWire())).getRcode())
                    .isEqualTo(Rcode.REFUSED);
            assertThat(new Message(firstAnswer.get(30, TimeUnit.SECONDS)).getRcode())
                    .isEqualTo(Rcode.SERVFAIL);
            assertThat(sidecar.metrics().count("zonekeeper.updates.forwarded", "outcome", "refused_overload"))
                    .isEqualTo(1);
            assertThat(sidecar.metrics().count("zonekeeper.updates.forwarded", "outcome", "primary_failed"))
                    .isEqualTo(1);
            silent.close();
            acceptor.join();
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void anUnreachablePrimaryIsServfailAndGarbageFormerr() throws Exception {
        InetSocketAddress nothing;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nothing = (InetSocketAddress) s.getLocalSocketAddress();
        }
        DnsServer sidecar = sidecar(nothing);
        UpdateClients.Result r = UpdateClients.run(
                Tool.NSUPDATE,
                dns(sidecar),
                KEY,
                false,
                List.of("zone example.test.", "update delete x.example.test."));
        assertThat(r.output()).contains("SERVFAIL");

        byte[] garbage = {0x12, 0x34, 0x28, 0x00, 0, 1, 0, 0, 0, 5, 0, 0, 3, 'a', 'b'}; // opcode 5, cut short
        byte[] answer = RawDns.tcp(dns(sidecar), garbage);
        assertThat(answer[0]).isEqualTo((byte) 0x12);
        assertThat(answer[3] & 0xF).isEqualTo(Rcode.FORMERR);
        assertThat(sidecar.metrics().count("zonekeeper.updates.forwarded", "outcome", "malformed"))
                .isEqualTo(1);
    }
}
