package dev.zonekeeper.dns.transfer;

import dev.zonekeeper.dns.zone.Zone;
import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/**
 * Sends NOTIFY (RFC 1996) for a changed zone to the configured secondaries over UDP, TSIG-signed with the key when one
 * is given, and retries each secondary a few times with a doubling timeout until it acknowledges. A newer change of
 * the same zone supersedes the retries of an older one. Register it with {@link PrimaryZones#addListener}.
 */
public final class NotifySender implements Closeable, java.util.function.Consumer<JournaledZone> {
    private static final Logger LOG = LoggerFactory.getLogger(NotifySender.class);

    /**
     * @param firstTimeout how long to wait for the first acknowledgement; doubled on every retry
     * @param attempts     how many times a NOTIFY is sent to one secondary at most
     */
    public record Options(Duration firstTimeout, int attempts) {
        public static final Options DEFAULT = new Options(Duration.ofSeconds(1), 5);

        public Options {
            Objects.requireNonNull(firstTimeout, "firstTimeout");
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be positive: " + attempts);
            }
        }
    }

    private final List<InetSocketAddress> secondaries;
    private final TSIG key;
    private final Options options;
    private final ExecutorService executor;
    private final Map<String, Long> latest = new ConcurrentHashMap<>();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    public NotifySender(List<InetSocketAddress> secondaries, TSIG key, Options options) {
        this.secondaries = List.copyOf(secondaries);
        this.key = key;
        this.options = Objects.requireNonNull(options, "options");
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "notify-sender");
            t.setDaemon(true);
            return t;
        });
    }

    /** Notifies every secondary of the new version (asynchronously). */
    @Override
    public void accept(JournaledZone zone) {
        zoneChanged(zone.zone());
    }

    /**
     * Notifies every secondary that {@code zone} has changed. The first NOTIFY leaves on the caller's thread (one UDP
     * send, no hand-over to another thread before the secondary hears of the change); waiting for the
     * acknowledgement and the retries happen in the background.
     */
    public void zoneChanged(Zone zone) {
        for (InetSocketAddress target : secondaries) {
            String k = zone.origin() + "@" + target;
            long serial = zone.serial();
            latest.put(k, serial);
            Sent first = sendOnce(zone, target, serial, options.firstTimeout(), 1);
            try {
                executor.execute(() -> send(zone, target, k, serial, first));
            } catch (RuntimeException e) { // rejected after close
                first.close();
            }
        }
    }

    /** NOTIFYs acknowledged by a secondary. */
    public long acknowledged() {
        return acknowledged.get();
    }

    /** NOTIFYs given up after all attempts. */
    public long failed() {
        return failed.get();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    /** One NOTIFY sent (or not, when the socket failed) and the socket its acknowledgement arrives on. */
    private record Sent(DatagramSocket socket, Message message) implements Closeable {
        @Override
        public void close() {
            if (socket != null) {
                socket.close();
            }
        }
    }

    private Sent sendOnce(Zone zone, InetSocketAddress target, long serial, Duration timeout, int attempt) {
        DatagramSocket socket = null;
        try {
            socket = new DatagramSocket();
            socket.setSoTimeout((int) timeout.toMillis());
            Message notify = new Message();
            notify.getHeader().setOpcode(Opcode.NOTIFY);
            notify.getHeader().setFlag(Flags.AA);
            notify.addRecord(org.xbill.DNS.Record.newRecord(zone.origin(), Type.SOA, zone.dclass()), Section.QUESTION);
            notify.addRecord(zone.soa(), Section.ANSWER);
            if (key != null) {
                key.apply(notify, null);
            }
            byte[] out = notify.toWire();
            socket.send(new DatagramPacket(out, out.length, target));
            return new Sent(socket, notify);
        } catch (IOException e) {
            LOG.debug("NOTIFY {} serial {} to {} failed (attempt {})", zone.origin(), serial, target, attempt, e);
            if (socket != null) {
                socket.close();
            }
            return new Sent(null, null);
        }
    }

    private void send(Zone zone, InetSocketAddress target, String k, long serial, Sent first) {
        Name origin = zone.origin();
        Duration timeout = options.firstTimeout();
        Sent sent = first;
        for (int attempt = 1; attempt <= options.attempts(); attempt++) {
            if (attempt > 1) {
                if (!Objects.equals(latest.get(k), serial)
                        || Thread.currentThread().isInterrupted()) {
                    return; // superseded by a newer change
                }
                sent = sendOnce(zone, target, serial, timeout, attempt);
            }
            try (Sent s = sent) {
                if (s.socket() != null && awaitAck(s.socket(), s.message(), timeout)) {
                    acknowledged.incrementAndGet();
                    LOG.debug("NOTIFY {} serial {} acknowledged by {}", origin, serial, target);
                    return;
                }
            } catch (IOException e) {
                LOG.debug("NOTIFY {} serial {} to {} failed (attempt {})", origin, serial, target, attempt, e);
            }
            if (!Objects.equals(latest.get(k), serial)) {
                return; // superseded by a newer change: that one is being announced
            }
            timeout = timeout.multipliedBy(2);
        }
        failed.incrementAndGet();
        LOG.warn(
                "NOTIFY {} serial {} to {} not acknowledged after {} attempts",
                origin,
                serial,
                target,
                options.attempts());
    }

    private boolean awaitAck(DatagramSocket socket, Message notify, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buf = new byte[4096];
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                return false;
            }
            byte[] wire = java.util.Arrays.copyOf(p.getData(), p.getLength());
            Message reply;
            try {
                reply = new Message(wire);
            } catch (IOException e) {
                continue; // not a DNS message: keep waiting
            }
            if (reply.getHeader().getID() != notify.getHeader().getID()
                    || !reply.getHeader().getFlag(Flags.QR)
                    || reply.getHeader().getOpcode() != Opcode.NOTIFY) {
                continue;
            }
            if (key != null && reply.getTSIG() != null && key.verify(reply, wire, notify.getTSIG()) != Rcode.NOERROR) {
                LOG.warn("NOTIFY reply from {} has a bad TSIG", p.getSocketAddress());
                return false;
            }
            if (reply.getRcode() != Rcode.NOERROR) {
                LOG.warn(
                        "NOTIFY for {} answered {} by {}",
                        notify.getQuestion().getName(),
                        Rcode.string(reply.getRcode()),
                        p.getSocketAddress());
                return false;
            }
            return true;
        }
    }
}
