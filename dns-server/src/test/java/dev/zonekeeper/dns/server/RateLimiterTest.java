package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** {@link RateLimiter} on its own, with its clock in the test's hands: networks, accounts, slip and window. */
class RateLimiterTest {
    private static ByteBuf answer(String qname) throws Exception {
        Name n = Name.fromString(qname);
        Message m = new Message(1);
        m.getHeader().setFlag(Flags.QR);
        m.addRecord(Record.newRecord(n, Type.A, DClass.IN), Section.QUESTION);
        m.addRecord(new ARecord(n, DClass.IN, 60, InetAddress.getByName("192.0.2.1")), Section.ANSWER);
        return Unpooled.wrappedBuffer(m.toWire());
    }

    private static ByteBuf nxdomain(String qname, String zone) throws Exception {
        Message m = new Message(1);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setRcode(Rcode.NXDOMAIN);
        m.addRecord(Record.newRecord(Name.fromString(qname), Type.A, DClass.IN), Section.QUESTION);
        Name z = Name.fromString(zone);
        m.addRecord(
                new SOARecord(
                        z, DClass.IN, 30, Name.fromString("ns." + zone), Name.fromString("h." + zone), 1, 2, 3, 4, 30),
                Section.AUTHORITY);
        return Unpooled.wrappedBuffer(m.toWire());
    }

    private static byte[] ip(String address) throws Exception {
        return InetAddress.getByName(address).getAddress();
    }

    private static long net(RateLimiter l, String address) throws Exception {
        byte[] b = ip(address);
        return l.network(b, b.length);
    }

    /** The verdicts of {@code n} responses at second {@code now}: [pass, drop, slip]. */
    private static int[] send(RateLimiter l, long network, ByteBuf response, int n, long now) {
        int[] v = new int[3];
        for (int i = 0; i < n; i++) {
            v[l.check(network, response, now)]++;
        }
        return v;
    }

    @Test
    void networksAreTheConfiguredPrefixes() throws Exception {
        RateLimiter l = new RateLimiter(10, 2, 24, 56, 15);
        assertThat(net(l, "192.0.2.1")).isEqualTo(net(l, "192.0.2.254"));
        assertThat(net(l, "192.0.2.1")).isNotEqualTo(net(l, "192.0.3.1"));
        assertThat(net(l, "2001:db8:0:ff00::1")).as("same /56").isEqualTo(net(l, "2001:db8:0:ff01::2"));
        assertThat(net(l, "2001:db8:0:ff00::1")).as("another /56").isNotEqualTo(net(l, "2001:db8:0:fe00::1"));
        RateLimiter narrow = new RateLimiter(10, 2, 32, 64, 15);
        assertThat(net(narrow, "192.0.2.1")).isNotEqualTo(net(narrow, "192.0.2.2"));
        assertThat(net(narrow, "2001:db8:0:ff::1")).isEqualTo(net(narrow, "2001:db8:0:ff::2"));
        assertThat(net(narrow, "2001:db8:0:ff::1")).isNotEqualTo(net(narrow, "2001:db8:0:ff01::1"));
        assertThat(net(new RateLimiter(10, 2, 24, 56, 15), "192.0.2.1"))
                .as("seeded per process (per limiter)")
                .isNotEqualTo(net(l, "192.0.2.1"));
    }

    @Test
    void theRateIsPerSecondAndEverySlipThOverItIsTruncated() throws Exception {
        RateLimiter l = new RateLimiter(10, 3, 24, 56, 15);
        long a = net(l, "192.0.2.1");
        ByteBuf www = answer("www.example.test.");
        assertThat(send(l, a, www, 40, 1000)).containsExactly(10, 20, 10);
        assertThat(send(l, net(l, "198.51.100.7"), www, 10, 1000))
                .as("another network")
                .containsExactly(10, 0, 0);
        assertThat(send(l, a, answer("app.example.test."), 10, 1000))
                .as("another name")
                .containsExactly(10, 0, 0);
        assertThat(send(new RateLimiter(10, 0, 24, 56, 15), a, www, 20, 1000))
                .as("slip 0")
                .containsExactly(10, 10, 0);
        assertThat(send(new RateLimiter(10, 1, 24, 56, 15), a, www, 20, 1000))
                .as("slip 1")
                .containsExactly(10, 0, 10);
    }

    @Test
    void nxdomainIsCountedPerZone() throws Exception {
        RateLimiter l = new RateLimiter(5, 2, 24, 56, 15);
        long a = net(l, "192.0.2.1");
        int passed = 0;
        for (int i = 0; i < 50; i++) {
            passed += l.check(a, nxdomain("r" + i + ".example.test.", "example.test."), 7) == RateLimiter.PASS ? 1 : 0;
        }
        assertThat(passed).as("50 different names under one zone: one account").isEqualTo(5);
        assertThat(l.check(a, nxdomain("x.other.test.", "other.test."), 7))
                .as("another zone")
                .isEqualTo(RateLimiter.PASS);
    }

    @Test
    void aClientThatKeepsFloodingStaysLimitedAndIsForgivenAfterTheWindow() throws Exception {
        RateLimiter l = new RateLimiter(10, 2, 24, 56, 5);
        long a = net(l, "192.0.2.1");
        ByteBuf www = answer("www.example.test.");
        long t = 5000;
        assertThat(send(l, a, www, 100, t)[0]).isEqualTo(10);
        assertThat(send(l, a, www, 100, t + 1)[0])
                .as("still asking 10x the rate: in debt")
                .isZero();
        // it stops; the debt is at most rate x window, so after the window it is answered again
        assertThat(send(l, a, www, 1, t + 1 + 6)[0]).isEqualTo(1);
    }

    @Test
    void theSlipIsTheHeaderWithTcAndTheQuestionOnly() throws Exception {
        ByteBuf b = answer("www.example.test.");
        RateLimiter.truncate(b);
        byte[] wire = new byte[b.readableBytes()];
        b.getBytes(0, wire);
        Message m = new Message(wire);
        assertThat(m.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(m.getQuestion().getName()).isEqualTo(Name.fromString("www.example.test."));
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(wire).hasSize(12 + 18 + 4);
    }
}
