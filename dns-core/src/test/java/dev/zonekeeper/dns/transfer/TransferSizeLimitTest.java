package dev.zonekeeper.dns.transfer;

import static dev.zonekeeper.dns.transfer.TransferTesting.ORIGIN;
import static dev.zonekeeper.dns.transfer.TransferTesting.rr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;
import org.xbill.DNS.ZoneTransferException;

/**
 * A primary that never ends its AXFR (the SOA, then records for ever, never the closing SOA) must not fill the
 * secondary's heap: the transfer fails once its messages pass the bound ({@code --zone-max-bytes}), well before the
 * transfer's timeout, and the connection is dropped.
 */
class TransferSizeLimitTest {

    @Test
    void anEndlessTransferFailsAtTheBoundNotAtTheTimeout() throws Exception {
        long bound = 256 << 10;
        AtomicLong sent = new AtomicLong();
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread primary = Thread.ofPlatform().daemon().start(() -> endlessAxfr(listener, sent));
            TransferClient client = new TransferClient(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()), null, bound);
            try (client) {
                assertThatThrownBy(() -> client.axfr(ORIGIN, Duration.ofSeconds(20)))
                        .isInstanceOf(ZoneTransferException.class)
                        .hasMessageContaining("larger than " + bound + " bytes (--zone-max-bytes)");
            }
            primary.join(Duration.ofSeconds(30).toMillis());
            assertThat(primary.isAlive())
                    .as("the secondary closed the connection: the primary's writes fail")
                    .isFalse();
            // what the primary got out before its writes failed: the bound, the socket buffers, nothing like a heap
            assertThat(sent.get()).isLessThan(bound + (16L << 20));
        }
    }

    /** Answers one AXFR with the zone's SOA, then A records in 16 KiB messages until the peer goes away. */
    private static void endlessAxfr(ServerSocket listener, AtomicLong sent) {
        try (Socket s = listener.accept();
                DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()))) {
            Message query = new Message(Wire.readFrame(in));
            Message first = Wire.reply(query, 0);
            first.addRecord(
                    rr("@ 3600 IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 30"), Section.ANSWER);
            Wire.writeFrame(out, first.toWire());
            for (int n = 0; ; ) {
                Message m = Wire.reply(query, 0);
                for (int i = 0; i < 500; i++, n++) {
                    m.addRecord(rr("h" + n + " 300 IN A 192.0.2." + (n % 250 + 1)), Section.ANSWER);
                }
                byte[] wire = m.toWire();
                Wire.writeFrame(out, wire);
                out.flush();
                sent.addAndGet(wire.length + 2);
            }
        } catch (IOException e) {
            // the secondary went away: what this test waits for
        }
    }
}
