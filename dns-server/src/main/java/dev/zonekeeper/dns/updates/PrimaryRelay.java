package dev.zonekeeper.dns.updates;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Sidecar mode: a secondary does not apply updates, it forwards them to its primary (RFC 2136 section 6) and relays
 * the answer; likewise a TSIG-signed AXFR, so that an update key can list its zone through the sidecar's Service.
 * Each request goes, as received, over its own TCP connection to the primary's transfer endpoint, and its answer comes
 * back as the primary sent it: same message ID, the primary's TSIG signatures untouched, so the client verifies them
 * with its own key (the sidecar holds no update key). Over UDP as over TCP the primary is asked over TCP, which has no
 * size limit.
 *
 * <p>Bounded: at most {@code maxInFlight} requests at once (on virtual threads, off the event loops); beyond, REFUSED
 * at once. A primary that cannot be reached or does not answer within the timeout gets the client SERVFAIL. Each
 * outcome is counted ({@link DnsMetrics#updateForwarded}, {@link DnsMetrics#updateTransfer}).
 */
public final class PrimaryRelay extends BoundedHandler {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryRelay.class);
    private static final long WARN_EVERY_NANOS = 10_000_000_000L;

    /**
     * @param maxInFlight updates and transfers relayed at once ({@code --update-max-inflight})
     * @param timeout connecting to the primary, and each read of its answer ({@code --update-timeout})
     * @param maxTransferBytes a relayed transfer whose messages add up to more is cut off ({@code --zone-max-bytes})
     */
    public record Settings(int maxInFlight, Duration timeout, long maxTransferBytes) {
        public Settings {
            if (maxInFlight < 1 || timeout.isNegative() || timeout.isZero() || maxTransferBytes < 1) {
                throw new IllegalArgumentException("update relay settings out of range: " + this);
            }
        }
    }

    private final InetSocketAddress primary;
    private final Settings settings;
    private final AtomicLong lastWarn = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);

    public PrimaryRelay(InetSocketAddress primary, Settings settings, DnsMetrics metrics) {
        super("zk-update-relay-", settings.maxInFlight(), metrics);
        this.primary = primary;
        this.settings = settings;
    }

    @Override
    byte[] answer(byte[] request, InetAddress client, boolean overTcp, long start) {
        return relayUpdate(request, start);
    }

    @Override
    void stream(byte[] request, MessageSink out) throws IOException {
        relayTransfer(request, out);
    }

    @Override
    void overloaded(boolean transfer, long nanos) {
        if (transfer) {
            metrics.updateTransfer("refused_overload");
        } else {
            metrics.updateForwarded("refused_overload", nanos);
        }
    }

    private byte[] relayUpdate(byte[] request, long start) {
        Message parsed = parse(request);
        if (parsed == null || !isUpdateOrSignedSoa(parsed)) {
            // the primary would say the same; a sidecar does not pass garbage on
            metrics.updateForwarded("malformed", System.nanoTime() - start);
            return Replies.error(request, Rcode.FORMERR);
        }
        try (Socket s = connect()) {
            send(s, request);
            byte[] response = read(new DataInputStream(new BufferedInputStream(s.getInputStream())), request);
            metrics.updateForwarded("relayed", System.nanoTime() - start);
            return response;
        } catch (IOException e) {
            warn("forwarding an update to the primary {} failed, answered SERVFAIL: {}", e);
            metrics.updateForwarded("primary_failed", System.nanoTime() - start);
            return Replies.error(request, Rcode.SERVFAIL);
        }
    }

    /**
     * Copies the primary's answer to the AXFR {@code request} to {@code out}, message by message, until the closing
     * SOA (the second SOA of the stream) or an error rcode.
     */
    private void relayTransfer(byte[] request, MessageSink out) throws IOException {
        if (parse(request) == null) {
            metrics.updateTransfer("malformed");
            out.message(Replies.error(request, Rcode.FORMERR), true);
            return;
        }
        int sent = 0;
        try (Socket s = connect()) {
            send(s, request);
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            long bytes = 0;
            int soas = 0;
            while (true) {
                byte[] m = read(in, request);
                bytes += m.length;
                if (bytes > settings.maxTransferBytes()) {
                    throw new IOException("the transfer is over " + settings.maxTransferBytes() + " bytes");
                }
                Message parsed = parse(m);
                if (parsed == null) {
                    throw new IOException("the primary sent a malformed message");
                }
                for (org.xbill.DNS.Record r : parsed.getSection(Section.ANSWER)) {
                    if (r.getType() == Type.SOA) {
                        soas++;
                    }
                }
                boolean last = parsed.getRcode() != Rcode.NOERROR || soas >= 2;
                out.message(m, last);
                sent++;
                if (last) {
                    metrics.updateTransfer("relayed");
                    return;
                }
            }
        } catch (IOException e) {
            warn("relaying a signed AXFR from the primary {} failed: {}", e);
            metrics.updateTransfer(sent == 0 ? "primary_failed" : "aborted");
            if (sent > 0) {
                throw e; // midway: only closing the connection tells the client
            }
            out.message(Replies.error(request, Rcode.SERVFAIL), true);
        }
    }

    private Socket connect() throws IOException {
        int millis = (int) Math.min(Integer.MAX_VALUE, settings.timeout().toMillis());
        Socket s = new Socket();
        try {
            s.connect(primary, millis);
            s.setSoTimeout(millis);
            s.setTcpNoDelay(true);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private static void send(Socket s, byte[] request) throws IOException {
        byte[] frame = new byte[2 + request.length];
        frame[0] = (byte) (request.length >>> 8);
        frame[1] = (byte) request.length;
        System.arraycopy(request, 0, frame, 2, request.length);
        OutputStream out = s.getOutputStream();
        out.write(frame);
        out.flush();
    }

    /** One message of the primary's answer: a response (QR) to {@code request} (its ID), else an IOException. */
    private static byte[] read(DataInputStream in, byte[] request) throws IOException {
        int length;
        try {
            length = in.readUnsignedShort();
        } catch (EOFException e) {
            throw new IOException("the primary closed the connection without an answer", e);
        }
        if (length < 12) {
            throw new IOException("the primary sent a message of " + length + " bytes");
        }
        byte[] m = new byte[length];
        in.readFully(m);
        if (m[0] != request[0] || m[1] != request[1] || (m[2] & 0x80) == 0) {
            throw new IOException("the primary's answer is not a response to the request");
        }
        return m;
    }

    /** An UPDATE, or the signed SOA query nsupdate finds the zone with (only the primary has the key to answer it). */
    private static boolean isUpdateOrSignedSoa(Message m) {
        int opcode = m.getHeader().getOpcode();
        org.xbill.DNS.Record q = m.getQuestion();
        return opcode == Opcode.UPDATE
                || opcode == Opcode.QUERY && q != null && q.getType() == org.xbill.DNS.Type.SOA && m.getTSIG() != null;
    }

    private static Message parse(byte[] wire) {
        try {
            return new Message(wire);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A WARN line at most every 10 s (a primary that is away fails every update: one line says it). */
    private void warn(String format, IOException e) {
        long now = System.nanoTime();
        long last = lastWarn.get();
        if (now - last >= WARN_EVERY_NANOS && lastWarn.compareAndSet(last, now)) {
            LOG.warn(format, primary.getAddress().getHostAddress() + ":" + primary.getPort(), e.toString());
        } else {
            LOG.debug(format, primary, e.toString());
        }
    }
}
