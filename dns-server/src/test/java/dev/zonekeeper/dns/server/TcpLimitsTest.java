package dev.zonekeeper.dns.server;

import static dev.zonekeeper.dns.testing.TestServer.dnsRecord;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zonekeeper.dns.config.ServerConfig;
import dev.zonekeeper.dns.testing.Packets;
import dev.zonekeeper.dns.testing.TestServer;
import dev.zonekeeper.testing.DnsClients;
import dev.zonekeeper.testing.DnsClients.Reply;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * DNS over TCP against hostile clients, on real loopback sockets: a client trickling bytes (slowloris) on every
 * connection it may open must not keep a well-behaved client out; a message that does not arrive whole within
 * {@code --tcp-io-timeout} closes its connection; one address gets at most {@code --tcp-max-per-client}
 * connections; a full pool makes room by closing the connection idle longest; messages of every length up to
 * 65,535 bytes are read; a client that never reads its answers cannot make the server queue them without bound.
 * The hostile clients connect from 127.0.0.2, the well-behaved ones from 127.0.0.1 (one loopback interface, two
 * client addresses).
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class TcpLimitsTest {
    private static final InetAddress ATTACKER = address("127.0.0.2");
    private static final String ZONE = dnsRecord("www.example.test.", "A", 300, "192.0.2.10")
            + dnsRecord("huge.example.test.", "A", 60, addresses(100));

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String[] addresses(int n) {
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            out[i] = "198.51." + (i / 250) + "." + (i % 250 + 1);
        }
        return out;
    }

    /** Point 11 of issue 13: a 65,534- or 65,535-byte message was taken for an oversized frame and reset. */
    @Test
    void messages_of_65534_and_65535_bytes_are_answered_and_the_connection_stays_usable() throws Exception {
        try (TestServer server = TestServer.withManifests(ZONE, "--zone", "example.test");
                Socket s = connect(server.address(), InetAddress.getLoopbackAddress())) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            for (int size : new int[] {65_533, 65_534, 65_535}) {
                byte[] big = padded(size, 0x4100 + size % 16);
                assertThat(big).hasSize(size);
                write(s.getOutputStream(), big);
                Message answer = read(in, "the answer to the " + size + "-byte query");
                assertThat(answer.getHeader().getID()).isEqualTo(0x4100 + size % 16);
                assertThat(answer.getRcode()).as("%d bytes", size).isIn(Rcode.NOERROR, Rcode.FORMERR);
                // and the same connection still answers an ordinary query
                write(s.getOutputStream(), Packets.query(77, "www.example.test", Type.A, false));
                Message next = read(in, "the answer after the " + size + "-byte query");
                assertThat(next.getHeader().getID()).isEqualTo(77);
                assertThat(next.getSection(Section.ANSWER)).hasSize(1);
            }
        }
    }

    /**
     * A query for www.example.test A whose OPT record carries an EDNS padding option (RFC 7830) making the message
     * exactly {@code size} bytes.
     */
    private static byte[] padded(int size, int id) {
        byte[] q = Packets.query(id, "www.example.test", Type.A, false);
        q[11] = 1; // ARCOUNT
        int padding = size - q.length - 11 - 4;
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        out.writeBytes(q);
        out.writeBytes(new byte[] {0, 0, 41, 0x04, (byte) 0xD0, 0, 0, 0, 0}); // root, OPT, 1232, TTL 0
        int rdlength = 4 + padding;
        out.writeBytes(
                new byte[] {(byte) (rdlength >>> 8), (byte) rdlength, 0, 12, (byte) (padding >>> 8), (byte) padding});
        out.writeBytes(new byte[padding]);
        return out.toByteArray();
    }

    /**
     * Point 5 of issue 13: a client sending a byte now and then kept its connection open for ever (the idle timer
     * restarted on any byte); now the message must arrive whole within --tcp-io-timeout.
     */
    @Test
    void a_message_trickled_byte_by_byte_is_cut_off_at_the_io_timeout() throws Exception {
        try (TestServer server = TestServer.withManifests(
                        ZONE, "--zone", "example.test", "--tcp-io-timeout", "300", "--tcp-idle-timeout", "3600");
                Socket s = connect(server.address(), ATTACKER)) {
            double before = closed(server, "io_timeout");
            byte[] q = Packets.query(5, "www.example.test", Type.A, false);
            byte[] framed = new byte[q.length + 2];
            framed[1] = (byte) q.length;
            System.arraycopy(q, 0, framed, 2, q.length);
            Thread trickle = Thread.ofVirtual().start(() -> {
                try {
                    for (byte b : framed) {
                        s.getOutputStream().write(b);
                        s.getOutputStream().flush();
                        Thread.sleep(100); // the whole message would take over 3 s
                    }
                } catch (IOException | InterruptedException e) {
                    // closed by the server: expected
                }
            });
            s.setSoTimeout(30_000); // a guard against hanging only
            try {
                assertThat(s.getInputStream().read())
                        .as("the server closes without an answer")
                        .isEqualTo(-1);
            } catch (SocketException reset) {
                // closed while we were still writing: a reset is a close too
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the server kept a connection open that trickles a byte every 100 ms", e);
            } finally {
                trickle.interrupt();
                trickle.join();
            }
            assertThat(closed(server, "io_timeout")).isEqualTo(before + 1);
        }
    }

    /**
     * Point 5 of issue 13: one client trickling bytes on as many connections as the server allows denied TCP to
     * everyone else. Here it holds the whole pool (--tcp-max-connections 20) and keeps reopening what is closed,
     * while a well-behaved client asks 20 questions with dig +tcp and kdig +tcp: each is answered, since a new
     * connection closes the one idle longest.
     */
    @Test
    void a_slowloris_holding_every_connection_does_not_keep_a_well_behaved_client_out() throws Exception {
        try (TestServer server = TestServer.withManifests(
                        ZONE, "--zone", "example.test", "--tcp-max-connections", "20", "--tcp-max-per-client", "64");
                Slowloris attack = new Slowloris(server.address(), 20)) {
            attack.awaitFull();
            for (int i = 0; i < 10; i++) {
                Reply dig = DnsClients.dig(server.address(), "www.example.test.", "A", "+tcp");
                assertThat(dig.rcode()).as("dig +tcp, query %d", i).isEqualTo("NOERROR");
                assertThat(dig.answer()).as("dig +tcp, query %d", i).hasSize(1);
                Reply kdig = DnsClients.kdig(server.address(), "www.example.test.", "A", "+tcp");
                assertThat(kdig.rcode()).as("kdig +tcp, query %d", i).isEqualTo("NOERROR");
                assertThat(kdig.answer()).as("kdig +tcp, query %d", i).hasSize(1);
            }
            assertThat(closed(server, "evicted_idlest"))
                    .as("room made by closing idle connections")
                    .isPositive();
        }
    }

    /** One address cannot take more than --tcp-max-per-client connections; another address still gets answers. */
    @Test
    void one_client_address_gets_at_most_max_per_client_connections() throws Exception {
        try (TestServer server =
                TestServer.withManifests(ZONE, "--zone", "example.test", "--tcp-max-per-client", "4")) {
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    sockets.add(connect(server.address(), ATTACKER));
                }
                int answered = 0;
                int closed = 0;
                for (Socket s : sockets) {
                    try {
                        write(s.getOutputStream(), Packets.query(9, "www.example.test", Type.A, false));
                        DataInputStream in = new DataInputStream(s.getInputStream());
                        int length = in.readUnsignedShort();
                        in.readFully(new byte[length]);
                        answered++;
                    } catch (EOFException | SocketException e) {
                        closed++;
                    }
                }
                assertThat(answered).as("connections answered").isEqualTo(4);
                assertThat(closed).as("connections refused").isEqualTo(6);
                assertThat(closed(server, "refused_per_client")).isEqualTo(6);
                Reply other = DnsClients.dig(server.address(), "www.example.test.", "A", "+tcp");
                assertThat(other.answer()).as("another address is not limited").hasSize(1);
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    /**
     * A client pipelining thousands of queries for a 1.6 KB answer without reading any answer: the server stops
     * reading its queries while the answers wait, so what it queues stays small (before, every answer was queued:
     * tens of MiB), and then closes it as idle; another client is answered meanwhile.
     */
    @Test
    void a_client_that_never_reads_its_answers_cannot_grow_the_write_queue() throws Exception {
        try (TestServer server = TestServer.withManifests(ZONE, "--zone", "example.test", "--tcp-idle-timeout", "2");
                Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.bind(new InetSocketAddress(ATTACKER, 0));
            s.connect(server.address(), 5000);
            byte[] q = Packets.query(11, "huge.example.test", Type.A, false);
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (int i = 0; i < 1000; i++) {
                batch.write(0);
                batch.write(q.length);
                batch.write(q);
            }
            byte[] bytes = batch.toByteArray();
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 40 && !stop.get(); i++) { // 40,000 answers, 66 MB
                        s.getOutputStream().write(bytes);
                    }
                } catch (IOException e) {
                    // closed by the server
                }
            });
            double idleBefore = closed(server, "idle_timeout");
            long baseline = DnsTransport.BUFFERS.metric().usedDirectMemory(); // chunks the pool holds already
            long peak = baseline;
            long deadline = System.nanoTime() + 30_000_000_000L; // a guard against hanging only
            // until the server closes the connection as idle (it stops reading, so nothing happens on it)
            while (closed(server, "idle_timeout") == idleBefore && System.nanoTime() < deadline) {
                peak = Math.max(peak, DnsTransport.BUFFERS.metric().usedDirectMemory());
                Thread.sleep(5);
            }
            stop.set(true);
            s.close();
            writer.join();
            assertThat(peak - baseline)
                    .as("direct memory the server's buffers took")
                    .isLessThan(16L << 20);
            Reply other = DnsClients.dig(server.address(), "www.example.test.", "A", "+tcp");
            assertThat(other.answer()).hasSize(1);
        }
    }

    @Test
    void the_limits_are_options_with_documented_defaults() throws Exception {
        ServerConfig defaults = ServerConfig.parse(new String[0], List.of());
        assertThat(List.of(
                        defaults.tcpIdleTimeout(),
                        defaults.tcpIoTimeout(),
                        defaults.tcpMaxConnections(),
                        defaults.tcpMaxPerClient(),
                        defaults.answerCacheMib()))
                .containsExactly(10, 2000, 1000, 64, 16);
        ServerConfig set = ServerConfig.parse(
                new String[] {
                    "--tcp-io-timeout",
                    "500",
                    "--tcp-max-connections",
                    "50",
                    "--tcp-max-per-client=5",
                    "--answer-cache-mib",
                    "4"
                },
                List.of());
        assertThat(List.of(set.tcpIoTimeout(), set.tcpMaxConnections(), set.tcpMaxPerClient(), set.answerCacheMib()))
                .containsExactly(500, 50, 5, 4);
        for (String option :
                new String[] {"--tcp-io-timeout", "--tcp-max-connections", "--tcp-max-per-client", "--answer-cache-mib"
                }) {
            assertThat(ServerConfig.USAGE).contains(option);
            for (String bad : new String[] {"0", "-1", "many"}) {
                assertThatThrownBy(() -> ServerConfig.parse(new String[] {option, bad}, List.of()))
                        .isInstanceOf(ServerConfig.ConfigException.class)
                        .hasMessageContaining(option);
            }
        }
    }

    private static double closed(TestServer server, String reason) {
        return server.server().metrics().count("zonekeeper.dns.tcp.closed", "reason", reason);
    }

    private static Socket connect(InetSocketAddress server, InetAddress from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(server, 5000);
        s.setSoTimeout(20_000);
        return s;
    }

    private static void write(OutputStream out, byte[] message) throws IOException {
        byte[] framed = new byte[message.length + 2];
        framed[0] = (byte) (message.length >>> 8);
        framed[1] = (byte) message.length;
        System.arraycopy(message, 0, framed, 2, message.length);
        out.write(framed);
        out.flush();
    }

    private static Message read(DataInputStream in, String what) throws IOException {
        int length;
        try {
            length = in.readUnsignedShort();
        } catch (EOFException | SocketException e) {
            throw new AssertionError("connection closed before " + what, e);
        }
        byte[] wire = new byte[length];
        in.readFully(wire);
        return new Message(wire);
    }

    /**
     * Keeps {@code count} connections from 127.0.0.2 open, each sending the start of a query and then one byte
     * every 100 ms, and reopens every connection the server closes.
     */
    private static final class Slowloris implements AutoCloseable {
        private final InetSocketAddress server;
        private final List<Socket> sockets = new ArrayList<>();
        private final Thread thread;
        private volatile boolean stop;
        private volatile boolean full;

        Slowloris(InetSocketAddress server, int count) {
            this.server = server;
            this.thread = Thread.ofVirtual().start(() -> run(count));
        }

        private void run(int count) {
            byte[] q = Packets.query(3, "www.example.test", Type.A, false);
            while (!stop) {
                synchronized (sockets) {
                    sockets.removeIf(Socket::isClosed);
                    while (sockets.size() < count && !stop) {
                        try {
                            Socket s = connect(server, ATTACKER);
                            s.getOutputStream().write(new byte[] {0, (byte) q.length, q[0]});
                            sockets.add(s);
                        } catch (IOException e) {
                            break;
                        }
                    }
                    full = sockets.size() >= count;
                    for (Socket s : sockets) {
                        try {
                            s.getOutputStream().write(q[1]); // never the whole query
                            if (s.getInputStream().available() < 0) {
                                s.close();
                            }
                        } catch (IOException e) {
                            closeQuietly(s);
                        }
                    }
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void awaitFull() throws InterruptedException {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!full && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(full).as("the slowloris opened its connections").isTrue();
            Thread.sleep(300); // let them all trickle a few bytes
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join();
            synchronized (sockets) {
                sockets.forEach(Slowloris::closeQuietly);
            }
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException e) {
                // closing
            }
        }
    }
}
