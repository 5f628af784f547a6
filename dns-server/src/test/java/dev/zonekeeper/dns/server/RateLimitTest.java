package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.testing.ExamplesServer;
import dev.zonekeeper.dns.testing.InProcessServer;
import dev.zonekeeper.dns.testing.Packets;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.CookieOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Issue 13: response rate limiting with slip. A flood of one question from one client (127.0.0.1) beyond
 * {@code --rrl-rate} is dropped, except every {@code --rrl-slip}-th response, sent truncated (TC, no records); a
 * client of another /24 (127.0.1.1) is answered in full meanwhile; TCP is never limited; a client of the flooded
 * network that presents our server cookie (learned over TCP) is exempt.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RateLimitTest {
    private static final int RATE = 20;
    private static final int SLIP = 3;
    private static final int FLOOD = 600;

    @RegisterExtension
    static final ExamplesServer EXAMPLES = new ExamplesServer(
            "--udp-sockets",
            "1",
            "--rrl-rate",
            String.valueOf(RATE),
            "--rrl-slip",
            String.valueOf(SLIP),
            "--rrl-window",
            "60");

    private double rrl(String action) {
        return EXAMPLES.server().metrics().count("zonekeeper.dns.rrl", "action", action);
    }

    private double responses() {
        return InProcessServer.sum(EXAMPLES.server(), "zonekeeper.dns.responses");
    }

    @Test
    void aFloodFromOneNetworkIsDroppedAndSlippedWhileAnotherNetworkIsAnsweredInFull() throws Exception {
        double dropped0 = rrl("dropped");
        double slipped0 = rrl("slipped");
        AtomicInteger full = new AtomicInteger();
        AtomicInteger truncated = new AtomicInteger();
        AtomicReference<String> bad = new AtomicReference<>();
        try (DatagramSocket flood = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                DatagramSocket other = new DatagramSocket(new InetSocketAddress("127.0.1.1", 0))) {
            flood.setReceiveBufferSize(4 << 20);
            flood.connect(EXAMPLES.dns());
            other.connect(EXAMPLES.dns());
            other.setSoTimeout(5000);
            Thread reader = new Thread(
                    () -> {
                        byte[] buf = new byte[4096];
                        while (!flood.isClosed()) {
                            DatagramPacket p = new DatagramPacket(buf, buf.length);
                            try {
                                flood.receive(p);
                                Message m = new Message(Arrays.copyOf(buf, p.getLength()));
                                if (m.getHeader().getFlag(Flags.TC)) {
                                    if (m.getHeader().getCount(Section.ANSWER) != 0
                                            || m.getHeader().getCount(Section.ADDITIONAL) != 0) {
                                        bad.compareAndSet(null, "a slipped response with records: " + m);
                                    }
                                    truncated.incrementAndGet();
                                } else if (m.getSection(Section.ANSWER).size() == 2) {
                                    full.incrementAndGet();
                                } else {
                                    bad.compareAndSet(null, "unexpected response " + m);
                                }
                            } catch (IOException e) {
                                if (!flood.isClosed()) {
                                    bad.compareAndSet(null, e.toString());
                                }
                            }
                        }
                    },
                    "rrl-flood-reader");
            reader.setDaemon(true);
            reader.start();
            double before = responses();
            int otherAnswered = 0;
            for (int sent = 0; sent < FLOOD; ) {
                for (int i = 0; i < 50; i++, sent++) {
                    byte[] q = Packets.query(sent, "www.example.test", Type.A, false);
                    flood.send(new DatagramPacket(q, q.length));
                }
                int total = sent + otherAnswered;
                await("server handled " + total)
                        .atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(5))
                        .until(() -> responses() - before, v -> v >= total);
                // meanwhile, a client of another /24 asks the same question: always answered in full
                byte[] q = Packets.query(0x7000 + sent / 50, "www.example.test", Type.A, false);
                other.send(new DatagramPacket(q, q.length));
                byte[] buf = new byte[4096];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                other.receive(p);
                Message m = new Message(Arrays.copyOf(buf, p.getLength()));
                assertThat(m.getHeader().getFlag(Flags.TC))
                        .as("other network: TC")
                        .isFalse();
                assertThat(m.getSection(Section.ANSWER))
                        .as("other network: answer")
                        .hasSize(2);
                otherAnswered++;
            }
            double dropped = rrl("dropped") - dropped0;
            double slipped = rrl("slipped") - slipped0;
            await("responses received")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> full.get() + truncated.get() >= FLOOD - (int) dropped);
            assertThat(bad.get()).isNull();
            System.out.printf(
                    "RateLimitTest: %d sent, %d answered, %d slipped (TC), %d dropped%n",
                    FLOOD, full.get(), truncated.get(), (int) dropped);
            assertThat(dropped).as("dropped").isPositive();
            assertThat(slipped).as("slipped").isPositive();
            assertThat(truncated.get()).as("TC responses received = slipped").isEqualTo((int) slipped);
            assertThat(full.get() + truncated.get() + (int) dropped)
                    .as("every query answered, slipped or dropped")
                    .isEqualTo(FLOOD);
            assertThat((int) slipped)
                    .as("every %d-th limited response slips", SLIP)
                    .isEqualTo((int) (dropped + slipped) / SLIP);
            assertThat(full.get())
                    .as("answered in full: the rate, not the flood")
                    .isLessThan(FLOOD / 2);
            assertThat(otherAnswered).isEqualTo(FLOOD / 50);
        }
        // still limited (the window is 60 s): TCP is never limited, and a valid server cookie exempts
        Message overTcp = new Message(EXAMPLES.tcp(Packets.query(0x6001, "www.example.test", Type.A, false)));
        assertThat(overTcp.getSection(Section.ANSWER)).as("TCP").hasSize(2);
        byte[] clientCookie = {1, 2, 3, 4, 5, 6, 7, 8};
        Message learned = new Message(EXAMPLES.tcp(EdnsOptionAgreementTest.query(
                0x6002, "www.example.test", Type.A, DClass.IN, EdnsOptionAgreementTest.option(10, clientCookie))));
        CookieOption cookie = (CookieOption)
                learned.getOPT().getOptions(EDNSOption.Code.COOKIE).get(0);
        byte[] presented = EdnsOptionAgreementTest.concat(
                clientCookie, cookie.getServerCookie().orElseThrow());
        double dropped = rrl("dropped");
        double slipped = rrl("slipped");
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            socket.connect(EXAMPLES.dns());
            socket.setSoTimeout(5000);
            for (int i = 0; i < 3 * RATE; i++) {
                byte[] q = EdnsOptionAgreementTest.query(
                        0x6100 + i,
                        "www.example.test",
                        Type.A,
                        DClass.IN,
                        EdnsOptionAgreementTest.option(10, presented));
                socket.send(new DatagramPacket(q, q.length));
                byte[] buf = new byte[4096];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                Message m = new Message(Arrays.copyOf(buf, p.getLength()));
                assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
                assertThat(m.getHeader().getFlag(Flags.TC))
                        .as("cookie client %d: TC", i)
                        .isFalse();
                assertThat(m.getSection(Section.ANSWER)).hasSize(2);
            }
        }
        assertThat(rrl("dropped")).isEqualTo(dropped);
        assertThat(rrl("slipped")).isEqualTo(slipped);
    }

    /**
     * NXDOMAIN is counted per zone: a random-subdomain flood (every name new) is one account and gets limited, while
     * the same client's positive answers, another account, are still given in full.
     */
    @Test
    void aRandomSubdomainFloodIsOneNxdomainAccountAndPositiveAnswersStayAnswered() throws Exception {
        double limited0 = rrl("dropped") + rrl("slipped");
        int nxdomain = 0;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.2.1", 0))) {
            socket.setReceiveBufferSize(1 << 20);
            socket.connect(EXAMPLES.dns());
            double before = responses();
            int flood = 5 * RATE;
            for (int i = 0; i < flood; i++) {
                byte[] q = Packets.query(
                        i, "r" + i + "-" + Long.toHexString(System.nanoTime()) + ".example.test", Type.A, false);
                socket.send(new DatagramPacket(q, q.length));
            }
            await("server handled the flood")
                    .atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> responses() - before, v -> v >= flood);
            socket.setSoTimeout(500);
            try {
                while (true) {
                    byte[] buf = new byte[4096];
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    Message m = new Message(Arrays.copyOf(buf, p.getLength()));
                    if (!m.getHeader().getFlag(Flags.TC)) {
                        assertThat(m.getRcode()).isEqualTo(Rcode.NXDOMAIN);
                        nxdomain++;
                    }
                }
            } catch (java.net.SocketTimeoutException e) {
                // every response read
            }
            assertThat(rrl("dropped") + rrl("slipped") - limited0)
                    .as("limited NXDOMAINs")
                    .isPositive();
            assertThat(nxdomain).as("NXDOMAINs answered in full").isLessThan(5 * RATE);
            socket.setSoTimeout(5000);
            for (int i = 0; i < RATE / 2; i++) {
                byte[] q = Packets.query(0x5000 + i, "www.example.test", Type.A, false);
                socket.send(new DatagramPacket(q, q.length));
                byte[] buf = new byte[4096];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                Message m = new Message(Arrays.copyOf(buf, p.getLength()));
                assertThat(m.getHeader().getFlag(Flags.TC))
                        .as("positive answer %d: TC", i)
                        .isFalse();
                assertThat(m.getSection(Section.ANSWER)).hasSize(2);
            }
        }
    }
}
