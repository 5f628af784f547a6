package dev.zonekeeper.dns.transfer;

import dev.zonekeeper.dns.zone.Zone;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.Type;

/**
 * The primary's zone-transfer endpoint. Over TCP it answers SOA queries, AXFR (RFC 5936: SOA, every record, SOA,
 * split over as many messages as needed, each TSIG-signed as RFC 8945 section 5.3.1 says) and IXFR (RFC 1995: the
 * journaled changes since the client's serial; a single SOA when the client is current; the whole zone in AXFR form
 * when its serial is no longer journaled). Over UDP on the same port it answers SOA queries and IXFR with the single
 * current SOA (RFC 1995 section 2), so a secondary's refresh check works over either transport.
 *
 * <p>With a key, every request must carry a valid TSIG of that key: unsigned requests get REFUSED, wrongly signed
 * ones NOTAUTH with the TSIG error (BADKEY, BADSIG, BADTIME); both are counted in {@link #stats()}. Without a key
 * (null) transfers are open, which is only meant for local development.
 *
 * <p>With an {@link UpdateHandler} ({@link #updates}), UPDATE requests (opcode 5) over TCP and UDP are handed to it
 * before anything else is done with them (it checks their signatures itself, against the update policies' keys);
 * over UDP on a small bounded pool, so a slow update never holds up the UDP loop, and when that pool's queue is full
 * the request is dropped (the client retries) and counted. The handler's keys may also transfer the zones they
 * update. Without a handler UPDATE is answered NOTIMP.
 *
 * <p>Blocking java.net sockets, one thread per connection, no Netty: the operator embeds this class.
 */
public final class TransferServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(TransferServer.class);

    /**
     * @param maxMessageBytes  target size of one transfer message (records are packed until the next would pass it)
     * @param idleTimeout      how long a TCP connection may stay silent before it is closed
     * @param maxConnections   TCP connections served at once; more are closed at once
     */
    public record Options(int maxMessageBytes, Duration idleTimeout, int maxConnections) {
        public static final Options DEFAULT = new Options(16_384, Duration.ofSeconds(30), 64);

        public Options {
            if (maxMessageBytes < 512 || maxMessageBytes > 65_535) {
                throw new IllegalArgumentException("maxMessageBytes must be within 512..65535: " + maxMessageBytes);
            }
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            if (maxConnections < 1) {
                throw new IllegalArgumentException("maxConnections must be positive: " + maxConnections);
            }
        }

        public Options withMaxMessageBytes(int bytes) {
            return new Options(bytes, idleTimeout, maxConnections);
        }
    }

    /** Counters of what the server did, for metrics. */
    public static final class Stats {
        final AtomicLong soa = new AtomicLong();
        final AtomicLong axfr = new AtomicLong();
        final AtomicLong ixfr = new AtomicLong();
        final AtomicLong ixfrAsAxfr = new AtomicLong();
        final AtomicLong ixfrCurrent = new AtomicLong();
        final AtomicLong unsignedRefused = new AtomicLong();
        final AtomicLong tsigFailures = new AtomicLong();
        final AtomicLong malformed = new AtomicLong();
        final AtomicLong otherRefused = new AtomicLong();
        final AtomicLong connections = new AtomicLong();
        final AtomicLong updates = new AtomicLong();
        final AtomicLong updatesDropped = new AtomicLong();
        final AtomicLong updateKeyTransfers = new AtomicLong();

        /** SOA queries answered. */
        public long soaQueries() {
            return soa.get();
        }

        /** AXFR requests answered with the zone. */
        public long axfr() {
            return axfr.get();
        }

        /** IXFR requests answered incrementally (with at least one change). */
        public long ixfr() {
            return ixfr.get();
        }

        /** IXFR requests answered with the whole zone because the client's serial was not journaled. */
        public long ixfrAsAxfr() {
            return ixfrAsAxfr.get();
        }

        /** IXFR requests whose client was current (answered with a single SOA). */
        public long ixfrCurrent() {
            return ixfrCurrent.get();
        }

        /** Requests refused because they were not signed. */
        public long unsignedRefused() {
            return unsignedRefused.get();
        }

        /** Requests whose TSIG did not verify (wrong key, bad signature, bad time). */
        public long tsigFailures() {
            return tsigFailures.get();
        }

        /** Messages that could not be parsed. */
        public long malformed() {
            return malformed.get();
        }

        /** Other requests refused or not implemented (unknown zone, other types or opcodes). */
        public long otherRefused() {
            return otherRefused.get();
        }

        /** UPDATE requests handed to the {@link UpdateHandler} (TCP and UDP). */
        public long updates() {
            return updates.get();
        }

        /** UPDATE requests over UDP dropped because the update workers' queue was full. */
        public long updatesDropped() {
            return updatesDropped.get();
        }

        /** Transfers (AXFR, IXFR, SOA) requested with an update policy's key rather than the transfer key. */
        public long updateKeyTransfers() {
            return updateKeyTransfers.get();
        }

        /** TCP connections accepted (a secondary that keeps its connection open counts once). */
        public long connections() {
            return connections.get();
        }
    }

    private final PrimaryZones zones;
    private final TSIG key;
    private final Options options;
    private final Clock clock = Clock.systemUTC();
    private final Stats stats = new Stats();
    private final ServerSocket tcp;
    private final DatagramSocket udp;
    private final ExecutorService workers;
    private final Semaphore connectionSlots;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final List<ServedListener> servedListeners = new CopyOnWriteArrayList<>();
    private volatile UpdateHandler updates;
    private volatile ThreadPoolExecutor updateWorkers;
    private volatile boolean closed;

    /** Threads answering UPDATEs received over UDP (each blocks until its change is served). */
    static final int UDP_UPDATE_WORKERS = 4;
    /** UDP UPDATEs waiting for a worker; more are dropped (the client retries after its timeout). */
    static final int UDP_UPDATE_QUEUE = 256;

    /**
     * Told after a transfer (AXFR, or IXFR with changes or with the whole zone) of {@code zone} up to {@code serial}
     * has been written to a client's TCP connection and flushed: the point where the secondary has the data (it still
     * has to parse it). Called on the connection's thread; must not block.
     */
    @FunctionalInterface
    public interface ServedListener {
        void served(Name zone, long serial);
    }

    /** The zone and serial one request transferred, set by {@link #handle} for TCP transfers. */
    private static final class Transferred {
        Name zone;
        long serial;
    }

    private TransferServer(PrimaryZones zones, TSIG key, Options options, ServerSocket tcp, DatagramSocket udp) {
        this.zones = zones;
        this.key = key;
        this.options = options;
        this.tcp = tcp;
        this.udp = udp;
        this.connectionSlots = new Semaphore(options.maxConnections());
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "zone-transfer");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts serving {@code zones} on {@code listen} (TCP and UDP; port 0 picks a free port for both). */
    public static TransferServer start(InetSocketAddress listen, PrimaryZones zones, TSIG key, Options options)
            throws IOException {
        Objects.requireNonNull(zones, "zones");
        Objects.requireNonNull(options, "options");
        if (key == null) {
            LOG.warn("zone transfers on {} are not protected by TSIG", listen);
        }
        ServerSocket tcp = null;
        DatagramSocket udp = null;
        // With port 0, the kernel's free TCP port may be taken for UDP: try a few times.
        for (int attempt = 0; ; attempt++) {
            tcp = new ServerSocket();
            tcp.setReuseAddress(true);
            tcp.bind(listen, 128);
            try {
                udp = new DatagramSocket(new InetSocketAddress(listen.getAddress(), tcp.getLocalPort()));
                break;
            } catch (SocketException e) {
                tcp.close();
                if (listen.getPort() != 0 || attempt >= 10) {
                    throw e;
                }
            }
        }
        TransferServer server = new TransferServer(zones, key, options, tcp, udp);
        server.workers.execute(server::acceptLoop);
        server.workers.execute(server::udpLoop);
        LOG.info("zone transfer server listening on {} (TCP and UDP)", server.address());
        return server;
    }

    public static TransferServer start(InetSocketAddress listen, PrimaryZones zones, TSIG key) throws IOException {
        return start(listen, zones, key, Options.DEFAULT);
    }

    /** The address the server listens on (the real port when started with port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) tcp.getLocalSocketAddress();
    }

    public Stats stats() {
        return stats;
    }

    /**
     * Hands UPDATE requests to {@code handler} from now on, and lets its keys transfer the zones they may update; null
     * turns updates off again (NOTIMP).
     */
    public synchronized void updates(UpdateHandler handler) {
        if (handler != null && updateWorkers == null) {
            ThreadPoolExecutor pool = new ThreadPoolExecutor(
                    UDP_UPDATE_WORKERS,
                    UDP_UPDATE_WORKERS,
                    30,
                    TimeUnit.SECONDS,
                    new ArrayBlockingQueue<>(UDP_UPDATE_QUEUE),
                    r -> {
                        Thread t = new Thread(r, "zone-update-udp");
                        t.setDaemon(true);
                        return t;
                    },
                    new ThreadPoolExecutor.AbortPolicy());
            pool.allowCoreThreadTimeOut(true);
            updateWorkers = pool;
        }
        this.updates = handler;
    }

    /** Calls {@code listener} after every completed transfer (see {@link ServedListener}). */
    public void addServedListener(ServedListener listener) {
        servedListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public void close() {
        closed = true;
        try {
            tcp.close();
        } catch (IOException e) {
            LOG.debug("closing transfer listener", e);
        }
        udp.close();
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debug("closing transfer connection", e);
            }
        }
        workers.shutdownNow();
        ThreadPoolExecutor pool = updateWorkers;
        if (pool != null) {
            pool.shutdownNow();
        }
    }

    /** Whether {@code wire} is an UPDATE request (header QR clear, opcode 5), read from the header alone. */
    static boolean isUpdateRequest(byte[] wire) {
        return wire.length >= 12 && (wire[2] & 0x80) == 0 && ((wire[2] >> 3) & 0x0F) == Opcode.UPDATE;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = tcp.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("accepting a zone-transfer connection failed", e);
                }
                continue;
            }
            if (!connectionSlots.tryAcquire()) {
                LOG.warn("too many zone-transfer connections; closing the one from {}", s.getRemoteSocketAddress());
                closeQuietly(s);
                continue;
            }
            open.add(s);
            stats.connections.incrementAndGet();
            try {
                workers.execute(() -> {
                    try {
                        serve(s);
                    } finally {
                        open.remove(s);
                        connectionSlots.release();
                        closeQuietly(s);
                    }
                });
            } catch (RuntimeException e) { // rejected after close
                open.remove(s);
                connectionSlots.release();
                closeQuietly(s);
            }
        }
    }

    private void serve(Socket s) {
        try {
            s.setSoTimeout(
                    (int) Math.min(Integer.MAX_VALUE, options.idleTimeout().toMillis()));
            s.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 65_538));
            byte[] request;
            while ((request = Wire.readFrame(in)) != null) {
                UpdateHandler handler = updates;
                if (handler != null && isUpdateRequest(request)) {
                    stats.updates.incrementAndGet();
                    byte[] answer = handler.update(request, s.getInetAddress(), true);
                    if (answer != null) {
                        Wire.writeFrame(out, answer);
                        out.flush();
                    }
                    continue;
                }
                Transferred transferred = new Transferred();
                boolean keepOpen = handle(request, true, m -> Wire.writeFrame(out, m.toWire()), transferred);
                out.flush();
                if (transferred.zone != null) {
                    fireServed(transferred.zone, transferred.serial);
                }
                if (!keepOpen) {
                    break;
                }
            }
        } catch (SocketTimeoutException e) {
            LOG.debug("idle zone-transfer connection from {} closed", s.getRemoteSocketAddress());
        } catch (IOException e) {
            if (!closed) {
                LOG.debug("zone-transfer connection from {} failed", s.getRemoteSocketAddress(), e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
        } catch (RuntimeException e) {
            LOG.warn("zone-transfer connection from {} failed", s.getRemoteSocketAddress(), e);
        }
    }

    /** Runs one UDP UPDATE on the update workers, or drops it when they are all busy and the queue is full. */
    private void updateOverUdp(UpdateHandler handler, byte[] request, java.net.SocketAddress from) {
        stats.updates.incrementAndGet();
        try {
            updateWorkers.execute(() -> {
                try {
                    byte[] answer = handler.update(request, ((InetSocketAddress) from).getAddress(), false);
                    if (answer != null) {
                        udp.send(new DatagramPacket(answer, answer.length, from));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException e) {
                    if (!closed) {
                        LOG.debug("answering a UDP UPDATE failed", e);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("UDP UPDATE failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            long dropped = stats.updatesDropped.incrementAndGet();
            if (Long.bitCount(dropped) == 1) { // 1, 2, 4, 8...: a flood is logged, not each request
                LOG.warn("UDP UPDATE from {} dropped: the update workers are busy ({} dropped so far)", from, dropped);
            }
        }
    }

    private void udpLoop() {
        byte[] buf = new byte[65_535];
        while (!closed) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                udp.receive(p);
                byte[] request =
                        java.util.Arrays.copyOfRange(p.getData(), p.getOffset(), p.getOffset() + p.getLength());
                UpdateHandler handler = updates;
                if (handler != null && isUpdateRequest(request)) {
                    updateOverUdp(handler, request, p.getSocketAddress());
                    continue;
                }
                handle(
                        request,
                        false,
                        m -> {
                            byte[] b = m.toWire();
                            udp.send(new DatagramPacket(b, b.length, p.getSocketAddress()));
                        },
                        new Transferred());
            } catch (IOException e) {
                if (!closed) {
                    LOG.debug("zone-transfer UDP request failed", e);
                }
            } catch (RuntimeException e) {
                LOG.warn("zone-transfer UDP request failed", e);
            }
        }
    }

    private void fireServed(Name zone, long serial) {
        for (ServedListener listener : servedListeners) {
            try {
                listener.served(zone, serial);
            } catch (RuntimeException e) {
                LOG.warn("transfer listener {} failed for {} serial {}", listener, zone, serial, e);
            }
        }
    }

    private interface Sink {
        void send(Message m) throws IOException;
    }

    /** Signs the messages of one response: the first over the request MAC, the next ones over the previous MAC. */
    private static final class Signer {
        private final TSIG key;
        private TSIGRecord previous;
        private boolean first = true;

        Signer(TSIG key, TSIGRecord request) {
            this.key = key;
            this.previous = request;
        }

        void sign(Message m) {
            if (key == null) {
                return;
            }
            key.apply(m, previous, first);
            first = false;
            previous = m.getTSIG();
        }
    }

    /** Answers one request; false when the connection should be closed after it. */
    private boolean handle(byte[] wire, boolean overTcp, Sink sink, Transferred transferred) throws IOException {
        Message query;
        try {
            query = new Message(wire);
        } catch (IOException e) {
            stats.malformed.incrementAndGet();
            byte[] formErr = Wire.formErr(wire);
            if (formErr != null) {
                Message m = new Message(formErr);
                sink.send(m);
            }
            return false;
        }
        if (query.getHeader().getFlag(Flags.QR)) {
            stats.malformed.incrementAndGet();
            return false; // a response: never answer one
        }
        TSIG requestKey = requestKey(query, wire);
        if (requestKey != null) {
            int verified = Wire.verify(requestKey, query, wire);
            if (verified == -1) {
                stats.unsignedRefused.incrementAndGet();
                LOG.info("refused unsigned {} request from a client", typeOf(query));
                sink.send(Wire.reply(query, Rcode.REFUSED));
                return true;
            }
            if (verified != Rcode.NOERROR) {
                stats.tsigFailures.incrementAndGet();
                LOG.info("refused {} request: TSIG {}", typeOf(query), Rcode.TSIGstring(verified));
                sink.send(Wire.tsigError(query, verified, requestKey, clock));
                return true;
            }
            if (requestKey != key) {
                stats.updateKeyTransfers.incrementAndGet();
            }
        }
        Signer signer = new Signer(requestKey, query.getTSIG());
        if (query.getHeader().getOpcode() != Opcode.QUERY) {
            stats.otherRefused.incrementAndGet();
            send(sink, signer, Wire.reply(query, Rcode.NOTIMP));
            return true;
        }
        org.xbill.DNS.Record question = query.getQuestion();
        if (question == null || query.getHeader().getCount(Section.QUESTION) != 1) {
            stats.malformed.incrementAndGet();
            send(sink, signer, Wire.reply(query, Rcode.FORMERR));
            return true;
        }
        JournaledZone jz = zones.get(question.getName());
        if (jz == null && question.getType() == Type.SOA) {
            // nsupdate without a `zone` line asks `<first name> SOA` to find the zone: answer from the enclosing zone.
            jz = enclosing(question.getName());
        }
        if (jz == null || question.getDClass() != jz.zone().dclass()) {
            stats.otherRefused.incrementAndGet();
            send(sink, signer, Wire.reply(query, Rcode.NOTAUTH));
            return true;
        }
        Zone zone = jz.zone();
        switch (question.getType()) {
            case Type.SOA:
                stats.soa.incrementAndGet();
                send(sink, signer, soaAnswer(query, zone));
                return true;
            case Type.AXFR:
                if (!overTcp) {
                    stats.otherRefused.incrementAndGet();
                    Message tc = Wire.reply(query, Rcode.NOERROR);
                    tc.getHeader().setFlag(Flags.TC);
                    send(sink, signer, tc);
                    return true;
                }
                stats.axfr.incrementAndGet();
                stream(query, signer, sink, axfr(zone));
                transferred.zone = zone.origin();
                transferred.serial = zone.serial();
                return true;
            case Type.IXFR:
                return ixfr(query, jz, overTcp, signer, sink, transferred);
            default:
                stats.otherRefused.incrementAndGet();
                send(sink, signer, Wire.reply(query, Rcode.REFUSED));
                return true;
        }
    }

    /** The served zone most closely enclosing {@code name} below its apex; null when none does. */
    private JournaledZone enclosing(Name name) {
        for (int strip = 1; strip < name.labels(); strip++) {
            JournaledZone jz = zones.get(new Name(name, strip));
            if (jz != null) {
                return jz;
            }
        }
        return null;
    }

    /**
     * An authoritative answer to a SOA query for a name in {@code zone}: the SOA as answer at the apex; below it, the
     * SOA in the authority section with NXDOMAIN when the name does not exist, else NOERROR (no data).
     */
    public static Message soaAnswer(Message query, Zone zone) {
        Name qname = query.getQuestion().getName();
        boolean apex = qname.equals(zone.origin());
        Message m = Wire.reply(query, apex || zone.exists(qname) ? Rcode.NOERROR : Rcode.NXDOMAIN);
        m.getHeader().setFlag(Flags.AA);
        m.addRecord(zone.soa(), apex ? Section.ANSWER : Section.AUTHORITY);
        return m;
    }

    /**
     * The key a request must be signed with: the transfer key, unless the request names another key that the update
     * handler lets transfer the zone of the question (and only that zone: the question decides which zone is served).
     * A policy key that shares the transfer key's name never shadows it: the transfer key is tried first then.
     */
    private TSIG requestKey(Message query, byte[] wire) {
        UpdateHandler handler = updates;
        TSIGRecord tsig = query.getTSIG();
        org.xbill.DNS.Record question = query.getQuestion();
        if (handler == null || tsig == null || question == null) {
            return key;
        }
        Optional<TSIG> updateKey = handler.transferKey(query, wire);
        if (updateKey.isEmpty() || key != null && Wire.verify(key, query, wire) == Rcode.NOERROR) {
            return key;
        }
        return updateKey.get();
    }

    private boolean ixfr(
            Message query, JournaledZone jz, boolean overTcp, Signer signer, Sink sink, Transferred transferred)
            throws IOException {
        Zone zone = jz.zone();
        SOARecord clientSoa = null;
        for (org.xbill.DNS.Record r : query.getSection(Section.AUTHORITY)) {
            if (r.getType() == Type.SOA) {
                clientSoa = (SOARecord) r;
            }
        }
        if (clientSoa == null) {
            stats.malformed.incrementAndGet();
            send(sink, signer, Wire.reply(query, Rcode.FORMERR));
            return true;
        }
        Optional<List<JournaledZone.Diff>> diffs = jz.diffsSince(clientSoa.getSerial());
        if (diffs.isPresent() && diffs.get().isEmpty() || !overTcp) {
            // Current, or over UDP: the single current SOA (the client then transfers over TCP if it is behind).
            stats.ixfrCurrent.incrementAndGet();
            Message m = Wire.reply(query, Rcode.NOERROR);
            m.getHeader().setFlag(Flags.AA);
            m.addRecord(zone.soa(), Section.ANSWER);
            send(sink, signer, m);
            return true;
        }
        if (diffs.isEmpty()) {
            stats.ixfrAsAxfr.incrementAndGet();
            LOG.debug(
                    "IXFR of {} from serial {}: not journaled, sending the whole zone",
                    zone.origin(),
                    clientSoa.getSerial());
            stream(query, signer, sink, axfr(zone));
            transferred.zone = zone.origin();
            transferred.serial = zone.serial();
            return true;
        }
        stats.ixfr.incrementAndGet();
        List<org.xbill.DNS.Record> records = new ArrayList<>();
        records.add(zone.soa());
        for (JournaledZone.Diff d : diffs.get()) {
            records.add(d.from());
            records.addAll(d.removed());
            records.add(d.to());
            records.addAll(d.added());
        }
        records.add(zone.soa());
        stream(query, signer, sink, records);
        transferred.zone = zone.origin();
        transferred.serial = zone.serial();
        return true;
    }

    private static List<org.xbill.DNS.Record> axfr(Zone zone) {
        List<org.xbill.DNS.Record> all = zone.records();
        List<org.xbill.DNS.Record> records = new ArrayList<>(all.size() + 1);
        records.addAll(all); // SOA first
        records.add(zone.soa());
        return records;
    }

    /** Sends {@code records} as the answer sections of as many messages as needed. */
    private void stream(Message query, Signer signer, Sink sink, List<org.xbill.DNS.Record> records)
            throws IOException {
        int budget = options.maxMessageBytes()
                - (signer.key == null ? 0 : signer.key.recordLength())
                - 12
                - query.getQuestion().toWireCanonical().length;
        Message m = newTransferMessage(query, true);
        int size = 0;
        int count = 0;
        for (org.xbill.DNS.Record r : records) {
            int len = r.toWire(Section.ANSWER).length;
            if (count > 0 && size + len > budget) {
                send(sink, signer, m);
                m = newTransferMessage(query, false);
                size = 0;
                count = 0;
            }
            m.addRecord(r, Section.ANSWER);
            size += len;
            count++;
        }
        send(sink, signer, m);
    }

    private static Message newTransferMessage(Message query, boolean first) {
        Message m = first
                ? Wire.reply(query, Rcode.NOERROR)
                : new Message(query.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.AA);
        return m;
    }

    private static void send(Sink sink, Signer signer, Message m) throws IOException {
        signer.sign(m);
        sink.send(m);
    }

    private static String typeOf(Message query) {
        org.xbill.DNS.Record q = query.getQuestion();
        return q == null ? "empty" : Type.string(q.getType());
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
