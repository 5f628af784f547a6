package dev.zonekeeper.dns.update;

import static dev.zonekeeper.dns.update.UpdateTesting.name;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.transfer.TsigKeyFile;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * {@link UpdateService} answering the real clients, nsupdate (BIND 9) and knsupdate (Knot), over UDP and TCP on
 * loopback, with every TSIG algorithm: the clients verify the signed answers themselves (they report a TSIG failure
 * otherwise) and print the rcode. The transports here are minimal (one request at a time); the DNS server's own are
 * tested with these clients in dns-server.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class UpdateClientsTest {
    static final String SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXM=";
    static final List<String> ALGORITHMS =
            List.of("hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512");

    static UpdateTesting.MemoryStore store;
    static UpdateService service;
    static DatagramSocket udp;
    static ServerSocket tcp;

    @BeforeAll
    static void start() throws IOException {
        store = new UpdateTesting.MemoryStore(UpdateTesting.zone());
        service = new UpdateService(store, UpdateService.Options.DEFAULT, Clock.systemUTC(), o -> {});
        List<UpdatePolicy> policies = new ArrayList<>();
        for (String algorithm : ALGORITHMS) {
            TsigKeyFile.Key key = TsigKeyFile.parseUpdateKey("key-" + algorithm + ":" + algorithm + ":" + SECRET);
            policies.add(new UpdatePolicy(
                    "certs",
                    algorithm,
                    UpdateTesting.ZONE,
                    key.name(),
                    key.tsig(),
                    List.of(new Grant(Grant.Match.SUBDOMAIN, name("example.test."), Set.of()))));
        }
        service.policies(policies);
        udp = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        tcp = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("update-udp").start(UpdateClientsTest::serveUdp);
        Thread.ofPlatform().daemon().name("update-tcp").start(UpdateClientsTest::serveTcp);
    }

    @AfterAll
    static void stop() throws IOException {
        udp.close();
        tcp.close();
    }

    /** Answers UPDATE; anything else (nsupdate's SOA query when it looks for the zone) gets NOTIMP. */
    static byte[] answer(byte[] request, boolean overTcp) throws InterruptedException {
        try {
            Message m = new Message(request);
            if (m.getHeader().getOpcode() != Opcode.UPDATE) {
                Message r = new Message(m.getHeader().getID());
                r.getHeader().setFlag(Flags.QR);
                r.getHeader().setRcode(Rcode.NOTIMP);
                return r.toWire();
            }
        } catch (IOException e) {
            // handled below as an UPDATE would be: FORMERR
        }
        return service.handle(request, InetAddress.getLoopbackAddress(), overTcp);
    }

    static void serveUdp() {
        byte[] buf = new byte[65_535];
        while (!udp.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udp.receive(p);
                byte[] a = answer(Arrays.copyOf(p.getData(), p.getLength()), false);
                if (a != null) {
                    udp.send(new DatagramPacket(a, a.length, p.getSocketAddress()));
                }
            } catch (IOException | InterruptedException e) {
                return;
            }
        }
    }

    static void serveTcp() {
        while (!tcp.isClosed()) {
            try (Socket s = tcp.accept()) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                while (true) {
                    byte[] request = new byte[in.readUnsignedShort()];
                    in.readFully(request);
                    byte[] a = answer(request, true);
                    if (a != null) {
                        out.writeShort(a.length);
                        out.write(a);
                        out.flush();
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the client closed the connection, or the test ends
            }
        }
    }

    record Run(int exit, String output) {}

    /** Runs {@code client} (nsupdate or knsupdate) on {@code script}, over TCP when asked. */
    static Run run(String client, boolean overTcp, String script) throws Exception {
        List<String> command = new ArrayList<>(List.of(client));
        if (overTcp) {
            command.add("-v");
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as(client + " ended").isTrue();
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static String script(String algorithm, boolean overTcp, String... commands) {
        int port = overTcp ? tcp.getLocalPort() : udp.getLocalPort();
        return "server 127.0.0.1 " + port + "\nzone example.test.\nkey " + algorithm + ":key-" + algorithm + " "
                + SECRET + "\n" + String.join("\n", commands) + "\nsend\n";
    }

    static List<String> txt(String owner) {
        return store.zone.rrset(name(owner), Type.TXT).stream()
                .map(RecordValues::value)
                .sorted()
                .toList();
    }

    static Stream<Arguments> clients() {
        return ALGORITHMS.stream()
                .flatMap(a -> Stream.of("nsupdate", "knsupdate")
                        .flatMap(c -> Stream.of(Arguments.of(c, a, false), Arguments.of(c, a, true))));
    }

    @ParameterizedTest(name = "{0} {1} tcp={2}")
    @MethodSource("clients")
    void addsAndDeletesWithEveryAlgorithm(String client, String algorithm, boolean overTcp) throws Exception {
        String owner = client + "-" + algorithm + (overTcp ? "-tcp" : "-udp") + ".example.test.";
        Run add = run(client, overTcp, script(algorithm, overTcp, "update add " + owner + " 60 TXT \"a b\" \"c\""));
        assertThat(add.exit()).as(add.output()).isZero();
        assertThat(txt(owner)).containsExactly("\"a b\" \"c\"");

        Run failing = run(
                client,
                overTcp,
                script(algorithm, overTcp, "prereq nxdomain " + owner, "update delete " + owner + " TXT"));
        assertThat(failing.exit()).isNotZero();
        assertThat(failing.output()).contains("YXDOMAIN");
        assertThat(txt(owner)).containsExactly("\"a b\" \"c\"");

        Run delete = run(
                client,
                overTcp,
                script(algorithm, overTcp, "prereq yxdomain " + owner, "update delete " + owner + " TXT"));
        assertThat(delete.exit()).as(delete.output()).isZero();
        assertThat(txt(owner)).isEmpty();
    }

    @Test
    void twoAcmeValuesAndTheCleanupOfOne() throws Exception {
        String owner = "_acme-challenge.example.test.";
        for (String value : List.of("for-apex", "for-wildcard")) {
            Run add = run("nsupdate", false, script("hmac-md5", false, "update add " + owner + " 60 TXT " + value));
            assertThat(add.exit()).as(add.output()).isZero();
        }
        assertThat(txt(owner)).containsExactly("\"for-apex\"", "\"for-wildcard\"");
        Run clean = run("nsupdate", false, script("hmac-md5", false, "update delete " + owner + " TXT for-apex"));
        assertThat(clean.exit()).as(clean.output()).isZero();
        assertThat(txt(owner)).containsExactly("\"for-wildcard\"");
    }

    @Test
    void aWrongSecretIsBadsigToTheClient() throws Exception {
        int port = udp.getLocalPort();
        Run run = run(
                "nsupdate",
                false,
                "server 127.0.0.1 " + port + "\nzone example.test.\nkey hmac-sha256:key-hmac-sha256 "
                        + "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZy0zMg==\nupdate add x.example.test. 60 A 192.0.2.1"
                        + "\nsend\n");
        assertThat(run.exit()).isNotZero();
        assertThat(run.output()).contains("BADSIG");
        assertThat(store.zone.hasData(name("x.example.test."))).isFalse();
    }
}
