package dev.zonekeeper.dns.transfer;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Serial;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.ZoneTransferException;

/**
 * A secondary's zone-transfer client that keeps its TCP connection to the primary open between transfers: every
 * AXFR or IXFR is one more request on the same connection (RFC 7766 section 6.2.1, RFC 5936 section 4.1: a
 * connection may carry several transfers), so a NOTIFY-driven refresh costs one request/response round trip instead
 * of a TCP handshake, a new server thread and a teardown. Every request is TSIG-signed and every response verified as
 * a stream (RFC 8945 section 5.3.1: each message over the previous MAC, the last one signed).
 *
 * <p>When a kept connection turns out to be dead (the primary restarted or closed it after its idle timeout), the
 * request is sent once more on a new connection; a transfer is a read-only request, so repeating it is safe. A
 * connection whose transfer failed half-way is closed, never reused. One transfer at a time: not thread-safe, meant
 * for the single transfer thread of a {@link SecondaryZone}.
 */
final class TransferClient implements Closeable {
    private static final SecureRandom IDS = new SecureRandom();

    /** A response: the whole zone (SOA first, without the closing SOA), or deltas, or "current". */
    record Response(List<org.xbill.DNS.Record> axfr, List<Delta> deltas, long serial) {
        boolean isAxfr() {
            return axfr != null;
        }

        boolean isIxfr() {
            return deltas != null;
        }
    }

    /** The primary answered a transfer with an error rcode (and, for NOTAUTH, maybe a TSIG error). */
    static final class RefusedByPrimary extends ZoneTransferException {
        final int rcode;
        final int tsigError;

        RefusedByPrimary(String message, int rcode, int tsigError) {
            super(message);
            this.rcode = rcode;
            this.tsigError = tsigError;
        }

        /**
         * NOTAUTH without a TSIG error: the primary is up but does not have the zone (yet). Our operator answers so
         * from its start until its first sync has published the zones.
         */
        boolean zoneNotPublishedYet() {
            return rcode == Rcode.NOTAUTH && tsigError == Rcode.NOERROR;
        }
    }

    /** One IXFR difference sequence: from serial {@code start} to {@code end}, SOAs not included. */
    record Delta(long start, long end, List<org.xbill.DNS.Record> deletes, List<org.xbill.DNS.Record> adds) {}

    private final InetSocketAddress primary;
    private final TSIG key;
    private volatile Socket socket;
    private DataInputStream in;
    private DataOutputStream out;
    private long connections;
    private final long maxBytes;

    /**
     * @param maxBytes the most bytes one transfer's messages may add up to: a primary that sends more (a zone larger
     *                 than this server is meant to hold, or a hostile stream without end) fails the transfer instead
     *                 of filling the heap
     */
    TransferClient(InetSocketAddress primary, TSIG key, long maxBytes) {
        this.primary = Objects.requireNonNull(primary, "primary");
        this.key = key;
        this.maxBytes = maxBytes;
    }

    /** TCP connections opened so far (1 while the primary keeps the first one open). */
    long connections() {
        return connections;
    }

    /** Asks for the whole zone. */
    Response axfr(Name origin, Duration timeout) throws IOException, ZoneTransferException {
        return exchange(origin, Type.AXFR, -1, timeout);
    }

    /** Asks for the changes since {@code serial} (the primary may answer with the whole zone or "current"). */
    Response ixfr(Name origin, long serial, Duration timeout) throws IOException, ZoneTransferException {
        return exchange(origin, Type.IXFR, serial, timeout);
    }

    /** Closes the kept connection (from any thread: a transfer in progress then fails). */
    @Override
    public void close() {
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }

    /** Forgets the connection (on the transfer thread), so that the next request opens a new one. */
    private void drop() {
        close();
        socket = null;
        in = null;
        out = null;
    }

    private Response exchange(Name origin, int type, long serial, Duration timeout)
            throws IOException, ZoneTransferException {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean reused = socket != null;
        try {
            return once(origin, type, serial, deadline);
        } catch (StaleConnection e) {
            drop();
            if (!reused) {
                throw e.getCause();
            }
        } catch (IOException | ZoneTransferException | RuntimeException e) {
            drop();
            throw e;
        }
        try {
            return once(origin, type, serial, deadline);
        } catch (StaleConnection e) {
            drop();
            throw e.getCause();
        } catch (IOException | ZoneTransferException | RuntimeException e) {
            drop();
            throw e;
        }
    }

    /** The connection failed before any byte of the response arrived: it may just have been closed by the peer. */
    private static final class StaleConnection extends Exception {
        StaleConnection(IOException cause) {
            super(cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }

    private void connect(long deadline) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(primary, remainingMillis(deadline));
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
        in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 65_538));
        out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1_024));
        connections++;
    }

    private Response once(Name origin, int type, long serial, long deadline)
            throws IOException, ZoneTransferException, StaleConnection {
        Message query = new Message(IDS.nextInt(0x10000));
        query.getHeader().setOpcode(Opcode.QUERY);
        query.addRecord(org.xbill.DNS.Record.newRecord(origin, type, DClass.IN), Section.QUESTION);
        if (type == Type.IXFR) {
            query.addRecord(
                    new SOARecord(origin, DClass.IN, 0, Name.root, Name.root, serial, 0, 0, 0, 0), Section.AUTHORITY);
        }
        if (key != null) {
            key.apply(query, null);
        }
        byte[] first;
        try {
            if (socket == null) {
                connect(deadline);
            }
            socket.setSoTimeout(remainingMillis(deadline));
            Wire.writeFrame(out, query.toWire());
            out.flush();
            first = Wire.readFrame(in);
            if (first == null) {
                throw new EOFException("the primary closed the connection");
            }
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            throw new StaleConnection(e);
        }
        Parser parser = new Parser(origin, type, serial, query);
        byte[] wire = first;
        long received = 0;
        while (true) {
            received += wire.length;
            if (received > maxBytes) {
                throw new ZoneTransferException("the transfer of " + origin + " from " + primary + " is larger than "
                        + maxBytes + " bytes (--zone-max-bytes)");
            }
            if (parser.accept(wire)) {
                return parser.result();
            }
            socket.setSoTimeout(remainingMillis(deadline));
            wire = Wire.readFrame(in);
            if (wire == null) {
                throw new EOFException("the primary closed the connection in the middle of a transfer of " + origin);
            }
        }
    }

    private static int remainingMillis(long deadline) throws SocketTimeoutException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new SocketTimeoutException("zone transfer timed out");
        }
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    /** Reads the messages of one response (RFC 1995 section 4, RFC 5936 section 2.2) and verifies their TSIG. */
    private final class Parser {
        private static final int FIRST = 0;
        private static final int FIRST_DATA = 1;
        private static final int AXFR = 2;
        private static final int IXFR_DELSOA = 3;
        private static final int IXFR_DEL = 4;
        private static final int IXFR_ADD = 5;
        private static final int END = 6;

        private final Name origin;
        private final int type;
        private final long clientSerial;
        private final Message query;
        private final TSIG.StreamVerifier verifier;
        private int state = FIRST;
        private long endSerial;
        private SOARecord endSoa;
        private final List<org.xbill.DNS.Record> axfr = new ArrayList<>();
        private final List<Delta> deltas = new ArrayList<>();
        private long deltaStart;
        private long deltaEnd;
        private List<org.xbill.DNS.Record> deletes;
        private List<org.xbill.DNS.Record> adds;
        private boolean first = true;

        Parser(Name origin, int type, long clientSerial, Message query) {
            this.origin = origin;
            this.type = type;
            this.clientSerial = clientSerial;
            this.query = query;
            this.verifier = key == null ? null : new TSIG.StreamVerifier(key, query.getTSIG());
        }

        /** Takes the next message; true when the response is complete. */
        boolean accept(byte[] wire) throws IOException, ZoneTransferException {
            Message m;
            try {
                m = new Message(wire);
            } catch (IOException e) {
                throw new ZoneTransferException("transfer of " + origin + ": unparsable message: " + e.getMessage());
            }
            if (m.getHeader().getID() != query.getHeader().getID()
                    || !m.getHeader().getFlag(Flags.QR)) {
                throw new ZoneTransferException("transfer of " + origin + ": response id or flags do not match");
            }
            int rcode = m.getRcode();
            if (rcode != Rcode.NOERROR) {
                String tsig = m.getTSIG() == null || m.getTSIG().getError() == Rcode.NOERROR
                        ? ""
                        : " (TSIG " + Rcode.TSIGstring(m.getTSIG().getError()) + ")";
                throw new RefusedByPrimary(
                        Type.string(type) + " of " + origin + " refused by the primary: " + Rcode.string(rcode) + tsig,
                        rcode,
                        m.getTSIG() == null ? Rcode.NOERROR : m.getTSIG().getError());
            }
            if (first
                    && m.getQuestion() != null
                    && (!m.getQuestion().getName().equals(origin)
                            || m.getQuestion().getType() != type)) {
                throw new ZoneTransferException(
                        "transfer of " + origin + ": response for another question " + m.getQuestion());
            }
            first = false;
            for (org.xbill.DNS.Record r : m.getSection(Section.ANSWER)) {
                record(r);
            }
            boolean done = state == END;
            if (verifier != null) {
                int result = verifier.verify(m, wire, done);
                if (result != Rcode.NOERROR) {
                    throw new ZoneTransferException("transfer of " + origin + ": TSIG "
                            + Rcode.TSIGstring(result)
                            + (verifier.getErrorMessage() == null ? "" : " (" + verifier.getErrorMessage() + ")"));
                }
            }
            return done;
        }

        Response result() {
            if (!deltas.isEmpty()) {
                return new Response(null, List.copyOf(deltas), endSerial);
            }
            if (!axfr.isEmpty()) {
                return new Response(List.copyOf(axfr), null, endSerial);
            }
            return new Response(null, null, endSerial);
        }

        private void record(org.xbill.DNS.Record r) throws ZoneTransferException {
            if (r.getType() == Type.SOA && !(r instanceof SOARecord)) {
                // an SOA without its data (class ANY/NONE, RDLENGTH 0: an EmptyRecord), as a hostile primary may send
                throw new ZoneTransferException("transfer of " + origin + ": an SOA record without data");
            }
            switch (state) {
                case FIRST -> {
                    if (r.getType() != Type.SOA || !r.getName().equals(origin)) {
                        throw new ZoneTransferException("transfer of " + origin + " does not start with its SOA");
                    }
                    endSoa = (SOARecord) r;
                    endSerial = endSoa.getSerial();
                    // IXFR and the primary is not ahead: one SOA only, the client is current (RFC 1995 section 4)
                    state = type == Type.IXFR && Serial.compare(endSerial, clientSerial) <= 0 ? END : FIRST_DATA;
                }
                case FIRST_DATA -> {
                    if (type == Type.IXFR && r.getType() == Type.SOA && ((SOARecord) r).getSerial() == clientSerial) {
                        state = IXFR_DELSOA;
                        record(r);
                    } else {
                        state = AXFR;
                        axfr.add(endSoa);
                        record(r);
                    }
                }
                case AXFR -> {
                    if (r.getType() == Type.SOA && r.getName().equals(origin)) {
                        state = END;
                    } else {
                        axfr.add(r);
                    }
                }
                case IXFR_DELSOA -> {
                    if (r.getType() != Type.SOA) {
                        throw new ZoneTransferException("IXFR of " + origin + ": expected an SOA, got " + r);
                    }
                    deltaStart = ((SOARecord) r).getSerial();
                    deletes = new ArrayList<>();
                    state = IXFR_DEL;
                }
                case IXFR_DEL -> {
                    if (r.getType() == Type.SOA) {
                        deltaEnd = ((SOARecord) r).getSerial();
                        adds = new ArrayList<>();
                        adds.add(r);
                        state = IXFR_ADD;
                    } else {
                        deletes.add(r);
                    }
                }
                case IXFR_ADD -> {
                    if (r.getType() == Type.SOA) {
                        deltas.add(new Delta(deltaStart, deltaEnd, deletes, adds));
                        long s = ((SOARecord) r).getSerial();
                        if (s == endSerial) {
                            state = END;
                        } else {
                            deltaStart = s;
                            deletes = new ArrayList<>();
                            state = IXFR_DEL;
                        }
                    } else {
                        adds.add(r);
                    }
                }
                case END -> throw new ZoneTransferException("transfer of " + origin + ": records after the end");
                default -> throw new IllegalStateException();
            }
        }
    }
}
