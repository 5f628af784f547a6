package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.TransportKind;
import dev.zonekeeper.dns.wire.WireBytes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.xbill.DNS.CookieOption;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Writes every response, whichever path made it, and applies in one place what every response gets: the header
 * flags (RD/CD copied, RA when forwarding), the transport's size limit (the fast paths give up on what does not fit,
 * the full path truncates), our OPT with the DO bit copied and the DNS cookie answered ({@link Cookies}), the counts
 * and latency, and, for UDP, response rate limiting ({@link RateLimiter}). The fast paths write bytes with
 * {@link #begin} and {@link #finish}, allocating nothing; the full path sends dnsjava messages with {@link #send}.
 */
final class ResponseWriter {
    /** Our EDNS0 UDP payload size (DNS flag day 2020): advertised, and the most we send over UDP. */
    static final int EDNS_UDP_SIZE = QueryProcessor.EDNS_UDP_SIZE;

    static final int TCP_MAX = QueryProcessor.TCP_MAX;
    /** Returned by a fast path that leaves the query to the full path (never sent, never released). */
    static final ByteBuf FULL_PATH = Unpooled.unreleasableBuffer(Unpooled.buffer(0, 0));

    private final DnsMetrics metrics;
    private final boolean recursionAvailable;
    /** DNS cookies (RFC 7873/9018): always answered when a query carries one. */
    private final Cookies cookies = new Cookies();
    /** Response rate limiting of UDP answers; null: off. */
    private volatile RateLimiter rateLimiter;

    ResponseWriter(DnsMetrics metrics, boolean recursionAvailable) {
        this.metrics = metrics;
        this.recursionAvailable = recursionAvailable;
    }

    void rateLimiter(RateLimiter limiter) {
        rateLimiter = limiter;
    }

    // ---- the fast paths: bytes ----

    /** Reads the cookie of a query the fast path parsed and makes our server cookie for its response. */
    void readCookie(QueryScratch s) {
        s.cookieStatus = Cookies.NONE;
        if (s.cookieOffset >= 0) {
            long now = cookies.now();
            s.cookieStatus = cookies.check(s.packet, s.cookieOffset, s.cookieLength, s.ip, s.ipLength, now, s.work);
            cookies.serverCookie(s.packet, s.cookieOffset, s.ip, s.ipLength, now, s.work, s.serverCookie, 0);
        }
    }

    /**
     * A response buffer to {@code s} with its header and question written, for {@code tailLength} bytes of records
     * and our OPT; null when it would not fit the transport (the full path then truncates). {@code flags} carries AA
     * and the rcode; the counts are the records' (our OPT is added to the additional count here).
     */
    ByteBuf begin(QueryScratch s, int tailLength, int flags, int answers, int authority, int additional) {
        int length = 12 + s.nameLength + 4 + tailLength + optLength(s);
        int limit = s.transport == TransportKind.UDP ? (s.edns ? Math.min(s.udpSize, EDNS_UDP_SIZE) : 512) : TCP_MAX;
        if (length > limit) {
            return null;
        }
        ByteBuf out = s.alloc.ioBuffer(length);
        out.writeShort(s.id);
        out.writeShort(0x8000 | (s.flags & 0x0110 /* RD, CD */) | (recursionAvailable ? 0x0080 : 0) | flags);
        out.writeShort(1);
        out.writeShort(answers);
        out.writeShort(authority);
        out.writeShort(additional + (s.edns ? 1 : 0));
        out.writeBytes(s.packet, s.nameOffset, s.nameLength + 4);
        return out;
    }

    /** Ends a response from {@link #begin} (records written): our OPT, counted, rate-limited (null: dropped). */
    ByteBuf finish(ByteBuf out, QueryScratch s, int rcode) {
        if (s.edns) {
            writeOpt(out, s);
        }
        metrics.response(rcode, s.startNanos);
        if (s.cookieStatus != Cookies.NONE) {
            metrics.cookie(s.cookieStatus); // counted here: a query the fast path gives up on is counted by the full
        }
        RateLimiter l = rateLimiter;
        if (l == null || s.transport != TransportKind.UDP || s.ipLength == 0 || s.cookieStatus == Cookies.VALID) {
            return out;
        }
        return verdict(l, l.network(s.ip, s.ipLength), out, s.startNanos);
    }

    /** The bytes of our OPT in a fast-path response to {@code s}: none without EDNS; a cookie option when asked. */
    private static int optLength(QueryScratch s) {
        return s.edns ? 11 + (s.cookieOffset >= 0 ? 4 + 8 + Cookies.SERVER_COOKIE_LENGTH : 0) : 0;
    }

    /** Our OPT for the fast path's response to {@code s}: DO copied, and the client's cookie with our server cookie. */
    private static void writeOpt(ByteBuf out, QueryScratch s) {
        out.writeByte(0); // root
        out.writeShort(Type.OPT);
        out.writeShort(EDNS_UDP_SIZE); // class = our UDP payload size
        out.writeShort(0); // extended rcode 0, version 0
        out.writeShort(s.dnssecOk ? ExtendedFlags.DO : 0); // flags: DO copied from the query (RFC 3225)
        if (s.cookieOffset < 0) {
            out.writeShort(0); // no options
            return;
        }
        out.writeShort(4 + 8 + Cookies.SERVER_COOKIE_LENGTH);
        out.writeShort(QueryScratch.OPTION_COOKIE);
        out.writeShort(8 + Cookies.SERVER_COOKIE_LENGTH);
        out.writeBytes(s.packet, s.cookieOffset, 8); // the client cookie, as sent (RFC 7873 5.2.3)
        out.writeBytes(s.serverCookie);
    }

    private ByteBuf verdict(RateLimiter l, long network, ByteBuf out, long startNanos) {
        switch (l.check(network, out, startNanos / 1_000_000_000L)) {
            case RateLimiter.PASS:
                return out;
            case RateLimiter.SLIP:
                RateLimiter.truncate(out);
                metrics.rateLimited(true);
                return out;
            default:
                out.release();
                metrics.rateLimited(false);
                return null;
        }
    }

    // ---- the full path: dnsjava messages ----

    /** The full path's {@link Exchange} for the query in {@code s}, with its client's rate-limiting account. */
    Exchange exchange(QueryScratch s) {
        RateLimiter l = rateLimiter;
        if (l == null || s.transport != TransportKind.UDP || s.ipLength == 0) {
            return new Exchange(s, null, 0);
        }
        return new Exchange(s, l, l.network(s.ip, s.ipLength));
    }

    /**
     * Reads the parsed query's cookie (RFC 7873): a valid server cookie exempts the client from rate limiting, and
     * every cookie is answered with the client cookie and a fresh server cookie of ours. Malformed cookie lengths
     * never get here: dnsjava refuses to parse them and the query gets FORMERR (RFC 7873 5.2.2).
     */
    void readCookie(Exchange x, QueryScratch s) {
        OPTRecord opt = x.query.getOPT();
        List<EDNSOption> options = opt == null ? List.of() : opt.getOptions(EDNSOption.Code.COOKIE);
        if (options.isEmpty() || !(options.get(0) instanceof CookieOption cookie)) {
            return;
        }
        byte[] client = cookie.getClientCookie();
        byte[] server = cookie.getServerCookie().orElse(null);
        byte[] data = new byte[8 + (server == null ? 0 : server.length)];
        System.arraycopy(client, 0, data, 0, 8);
        if (server != null) {
            System.arraycopy(server, 0, data, 8, server.length);
        }
        long now = cookies.now();
        int status = cookies.check(data, 0, data.length, s.ip, s.ipLength, now, s.work);
        metrics.cookie(status);
        byte[] fresh = new byte[Cookies.SERVER_COOKIE_LENGTH];
        cookies.serverCookie(data, 0, s.ip, s.ipLength, now, s.work, fresh, 0);
        if (status == Cookies.VALID) {
            x.limiter = null;
            x.network = 0;
        }
        x.cookie = new CookieOption(client, fresh);
    }

    /** A response with the query's ID, opcode, RD/CD, the question as sent and our flags; no sections yet. */
    Message base(Message query) {
        Header qh = query.getHeader();
        Message r = new Message(qh.getID());
        Header rh = r.getHeader();
        rh.setFlag(Flags.QR);
        rh.setOpcode(qh.getOpcode());
        if (qh.getFlag(Flags.RD)) {
            rh.setFlag(Flags.RD);
        }
        if (qh.getFlag(Flags.CD)) {
            rh.setFlag(Flags.CD);
        }
        if (recursionAvailable) {
            rh.setFlag(Flags.RA);
        }
        org.xbill.DNS.Record q = query.getQuestion();
        if (q != null && qh.getCount(Section.QUESTION) == 1) {
            r.addRecord(q, Section.QUESTION);
        }
        return r;
    }

    Message errorResponse(Message query, int rcode) {
        Message r = base(query);
        if (rcode > 0xF) {
            r.getHeader().setRcode(rcode & 0xF);
            r.addRecord(new OPTRecord(EDNS_UDP_SIZE, rcode >>> 4, 0, dnssecOk(query)), Section.ADDITIONAL);
        } else {
            r.getHeader().setRcode(rcode);
        }
        return r;
    }

    /** Sends the error {@code rcode} in answer to {@code x}. */
    ByteBuf sendError(Exchange x, int rcode) {
        return send(errorResponse(x.query, rcode), x);
    }

    /**
     * Adds our OPT (with the cookie option when the query had a cookie) when the query had one, encodes within the
     * transport's limit (TC when cut), counts, and rate-limits: null when the response is dropped.
     */
    ByteBuf send(Message r, Exchange x) {
        Message query = x.query;
        OPTRecord qopt = query.getOPT();
        int limit = TCP_MAX;
        if (qopt != null && r.getOPT() == null) {
            r.addRecord(
                    x.cookie == null
                            ? new OPTRecord(EDNS_UDP_SIZE, 0, 0, dnssecOk(query))
                            : new OPTRecord(EDNS_UDP_SIZE, 0, 0, dnssecOk(query), List.of(x.cookie)),
                    Section.ADDITIONAL);
        }
        if (x.transport == TransportKind.UDP) {
            limit = qopt != null && qopt.getVersion() == 0
                    ? Math.max(512, Math.min(qopt.getPayloadSize(), EDNS_UDP_SIZE))
                    : 512;
        }
        byte[] wire = r.toWire(limit);
        if ((wire[2] & 0x02) != 0) {
            metrics.truncated();
        }
        ByteBuf out = x.alloc.ioBuffer(wire.length);
        out.writeBytes(wire);
        int rcode = (wire[3] & 0xF) | (r.getOPT() != null ? r.getOPT().getExtendedRcode() << 4 : 0);
        metrics.response(rcode, x.startNanos);
        return limit(out, x);
    }

    /** FORMERR for a packet that dnsjava cannot parse: header only, ID, opcode and RD copied; rate-limited. */
    ByteBuf headerOnly(Exchange x, byte[] q, int rcode) {
        ByteBuf out = x.alloc.ioBuffer(12);
        out.writeByte(q[0]);
        out.writeByte(q[1]);
        out.writeShort(0x8000 | (WireBytes.u16(q, 2) & 0x7900) | (recursionAvailable ? 0x0080 : 0) | rcode);
        out.writeZero(8);
        metrics.response(rcode, x.startNanos);
        return limit(out, x);
    }

    private ByteBuf limit(ByteBuf out, Exchange x) {
        return x.limiter == null ? out : verdict(x.limiter, x.network, out, x.startNanos);
    }

    /** The query's DO bit, to be copied into the response's OPT (RFC 3225 section 3). */
    static int dnssecOk(Message query) {
        OPTRecord opt = query.getOPT();
        return opt == null ? 0 : opt.getFlags() & ExtendedFlags.DO;
    }
}
