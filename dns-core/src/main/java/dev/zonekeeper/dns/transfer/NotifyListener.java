package dev.zonekeeper.dns.transfer;

import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/**
 * Receives NOTIFY messages (RFC 1996) over UDP for a secondary. With a key, a NOTIFY must carry a valid TSIG of it:
 * unsigned ones get REFUSED, wrongly signed ones NOTAUTH with the TSIG error; a NOTIFY for a zone the secondary does
 * not keep gets NOTAUTH. An accepted NOTIFY is answered (signed) and handed to the {@link Handler}, which should start
 * a refresh. Anything else on the port (queries, garbage) gets NOTIMP or FORMERR, or is dropped.
 */
public final class NotifyListener implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(NotifyListener.class);

    /** Takes an accepted NOTIFY. */
    @FunctionalInterface
    public interface Handler {
        /**
         * @param serial the serial announced in the NOTIFY's answer section, or -1 when there is none
         * @return false when the zone is not kept here (the NOTIFY is then answered NOTAUTH)
         */
        boolean onNotify(Name zone, long serial);
    }

    private final DatagramSocket socket;
    private final TSIG key;
    private final Handler handler;
    private final Clock clock = Clock.systemUTC();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;

    private NotifyListener(DatagramSocket socket, TSIG key, Handler handler) {
        this.socket = socket;
        this.key = key;
        this.handler = handler;
        this.thread = new Thread(this::loop, "notify-listener");
        this.thread.setDaemon(true);
    }

    /** Listens on {@code listen} (UDP; port 0 picks a free port). */
    public static NotifyListener start(InetSocketAddress listen, TSIG key, Handler handler) throws IOException {
        Objects.requireNonNull(handler, "handler");
        if (key == null) {
            LOG.warn("NOTIFY on {} is accepted without TSIG", listen);
        }
        NotifyListener l = new NotifyListener(new DatagramSocket(listen), key, handler);
        l.thread.start();
        LOG.info("listening for NOTIFY on {}", l.address());
        return l;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** NOTIFYs accepted and handed on. */
    public long accepted() {
        return accepted.get();
    }

    /** Messages answered with an error (unsigned, bad TSIG, unknown zone, not a NOTIFY). */
    public long rejected() {
        return rejected.get();
    }

    @Override
    public void close() {
        closed = true;
        socket.close();
    }

    private void loop() {
        byte[] buf = new byte[65_535];
        while (!closed) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
                byte[] wire = Arrays.copyOfRange(p.getData(), p.getOffset(), p.getOffset() + p.getLength());
                Message reply = handle(wire, p.getSocketAddress());
                if (reply != null) {
                    byte[] out = reply.toWire();
                    socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                }
            } catch (IOException e) {
                if (!closed) {
                    LOG.debug("NOTIFY socket error", e);
                }
            } catch (RuntimeException e) {
                LOG.warn("handling a NOTIFY failed", e);
            }
        }
    }

    private Message handle(byte[] wire, SocketAddress from) throws IOException {
        Message m;
        try {
            m = new Message(wire);
        } catch (IOException e) {
            rejected.incrementAndGet();
            byte[] formErr = Wire.formErr(wire);
            return formErr == null ? null : new Message(formErr);
        }
        if (m.getHeader().getFlag(Flags.QR)) {
            return null;
        }
        if (key != null) {
            int verified = Wire.verify(key, m, wire);
            if (verified == -1) {
                rejected.incrementAndGet();
                LOG.info("refused unsigned NOTIFY from {}", from);
                return Wire.reply(m, Rcode.REFUSED);
            }
            if (verified != Rcode.NOERROR) {
                rejected.incrementAndGet();
                LOG.info("refused NOTIFY from {}: TSIG {}", from, Rcode.TSIGstring(verified));
                return Wire.tsigError(m, verified, key, clock);
            }
        }
        int rcode;
        org.xbill.DNS.Record q = m.getQuestion();
        if (m.getHeader().getOpcode() != Opcode.NOTIFY) {
            rcode = Rcode.NOTIMP;
        } else if (q == null || q.getType() != Type.SOA) {
            rcode = Rcode.FORMERR;
        } else {
            long serial = -1;
            for (org.xbill.DNS.Record r : m.getSection(Section.ANSWER)) {
                if (r.getType() == Type.SOA && r.getName().equals(q.getName())) {
                    serial = ((SOARecord) r).getSerial();
                }
            }
            rcode = handler.onNotify(q.getName(), serial) ? Rcode.NOERROR : Rcode.NOTAUTH;
            if (rcode == Rcode.NOERROR) {
                accepted.incrementAndGet();
                LOG.debug("NOTIFY for {} serial {} from {}", q.getName(), serial, from);
            }
        }
        if (rcode != Rcode.NOERROR) {
            rejected.incrementAndGet();
        }
        Message reply = Wire.reply(m, rcode);
        reply.getHeader().setFlag(Flags.AA);
        if (key != null) {
            key.apply(reply, m.getTSIG());
        }
        return reply;
    }
}
