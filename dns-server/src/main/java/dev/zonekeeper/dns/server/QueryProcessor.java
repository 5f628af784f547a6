package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.wire.WireBytes;
import dev.zonekeeper.dns.forward.Forwarder;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.DnsMetrics.BadInput;
import dev.zonekeeper.dns.query.Answer;
import dev.zonekeeper.dns.query.QueryEngine;
import dev.zonekeeper.dns.zone.ZoneSet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.CookieOption;
import org.xbill.DNS.DNSInput;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Turns one query's bytes into a response's bytes; the transports only move bytes. Two paths:
 * <ul>
 *   <li>fast: a plain query (one IN question, optional EDNS0 OPT) whose answer is in the {@link AnswerCache} is
 *       answered by copying header fields, the question as sent and the pre-encoded tail — no parsing into objects;
 *       a forwarded name (the snapshot's {@link AnswerCache} marks it so) whose response is fresh in the forwarder's
 *       cache is answered the same way from the cache's pre-encoded response, TTLs aged ({@link ForwardedHits});
 *   <li>full: everything else goes through dnsjava's parser: malformed packets (FORMERR), other opcodes (NOTIMP),
 *       EDNS versions (BADVERS), other classes (REFUSED), truncation, forwarding, and cache misses (whose answer is
 *       then encoded once and cached).
 * </ul>
 * Handlers are authoritative zones first, then the forwarder; a name under neither is REFUSED. Both paths answer a
 * DNS cookie ({@link Cookies}) and, for UDP, pass every response through response rate limiting ({@link RateLimiter},
 * when configured); on the fast path neither allocates. What takes which path never changes an answer: the fast path
 * accepts only what the full path would answer the same way (EDNS options, meta-types: {@link #metaType}).
 *
 * <p>A CNAME chain that leaves the served zones (a Kubernetes ExternalName service: {@code my-svc.ns.svc.cluster.local
 * CNAME db.example.com.}) is completed through the forwarder when forwarding is configured, as CoreDNS does: stub
 * resolvers such as glibc's do not chase CNAMEs themselves. The response is our chain (AA set) plus the upstream's
 * answer for (target, qtype), with the upstream's rcode when NXDOMAIN and its SOA in authority when negative; the
 * chain with SERVFAIL when the upstream gives no usable answer. Such answers take the full path every time and are
 * never pre-encoded: the forwarder's cache keeps the upstream part for its TTL. Questions of type CNAME or ANY get the
 * CNAME alone; without forwarding the chain is returned alone.
 *
 * <p>Fallthrough zones (CoreDNS's {@code fallthrough}, e.g. {@code in-addr.arpa} and {@code ip6.arpa}, whose served
 * data cover the cluster's addresses only): when our answer for a name under one of them is NXDOMAIN and forwarding is
 * configured, the query goes to the forwarder as it came and the client gets the forwarder's answer (AA clear).
 * Only NXDOMAIN falls through, as in CoreDNS's kubernetes and file plugins: NODATA (the name exists, not the type) and
 * every other answer stay ours. Such NXDOMAINs are never pre-encoded, so they take the full path every time.
 */
public final class QueryProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(QueryProcessor.class);
    /** Our EDNS0 UDP payload size (DNS flag day 2020): advertised, and the most we send over UDP. */
    public static final int EDNS_UDP_SIZE = 1232;
    public static final int TCP_MAX = 65535;
    private static final int CACHE_SLOTS = 1 << 18;

    /** Sends a response that was produced later (forwarded queries). */
    public interface Responder {
        void respond(Object context, ByteBuf response);
    }

    private final DnsMetrics metrics;
    private final Function<Message, CompletableFuture<Message>> forwarder;
    private final boolean recursionAvailable;
    /** Zones whose NXDOMAINs are forwarded; empty when there is no forwarder. */
    private final List<Name> fallthrough;
    private final FastThreadLocal<QueryScratch> scratch = new FastThreadLocal<>() {
        @Override
        protected QueryScratch initialValue() {
            return new QueryScratch();
        }
    };
    /** Forwarded questions answered from the forwarder's cache without parsing; null without a {@link Forwarder}. */
    private final ForwardedHits forwardedHits;
    private volatile AnswerCache cache;
    private volatile Set<Name> pendingZones = Set.of();
    /** DNS cookies (RFC 7873/9018): always answered when a query carries one. */
    private final Cookies cookies = new Cookies();
    /** Response rate limiting of UDP answers; null: off. */
    private volatile RateLimiter rateLimiter;
    /** Queries waiting for the forwarder per client network; null: not limited. */
    private volatile ForwardShares forwardShares;

    /**
     * @param forwarder forwards a query upstream and completes with the upstream's response; null: no forwarding
     */
    public QueryProcessor(ZoneSet zones, DnsMetrics metrics, Function<Message, CompletableFuture<Message>> forwarder) {
        this(zones, metrics, forwarder, List.of());
    }

    /**
     * @param forwarder forwards a query upstream and completes with the upstream's response; null: no forwarding
     * @param fallthrough zones whose names are forwarded when our answer is NXDOMAIN (ignored without a forwarder)
     */
    public QueryProcessor(ZoneSet zones, DnsMetrics metrics, Function<Message, CompletableFuture<Message>> forwarder,
                          List<Name> fallthrough) {
        this(zones, metrics, forwarder, fallthrough, null);
    }

    /**
     * @param forwarder forwards names under no served zone (and fallthrough NXDOMAINs); its fresh cache entries are
     *                  served on the fast path; null: no forwarding
     * @param fallthrough zones whose names are forwarded when our answer is NXDOMAIN (ignored without a forwarder)
     */
    public QueryProcessor(ZoneSet zones, DnsMetrics metrics, Forwarder forwarder, List<Name> fallthrough) {
        this(zones, metrics, forwarder == null ? null : forwarder::forward, fallthrough,
                forwarder == null ? null : new ForwardedHits(forwarder, metrics));
    }

    private QueryProcessor(ZoneSet zones, DnsMetrics metrics,
                           Function<Message, CompletableFuture<Message>> forwarder, List<Name> fallthrough,
                           ForwardedHits forwardedHits) {
        this.forwardedHits = forwardedHits;
        this.metrics = metrics;
        this.forwarder = forwarder;
        this.recursionAvailable = forwarder != null;
        this.fallthrough = forwarder == null ? List.of() : List.copyOf(fallthrough);
        this.cache = new AnswerCache(zones, CACHE_SLOTS);
        metrics.answerCache(() -> cache.bytes(), () -> cache.evictions());
    }

    /** Bounds the pre-encoded answers to {@code bytes} ({@code --answer-cache-mib}); starts with an empty cache. */
    public void answerCacheBudget(long bytes) {
        cache = new AnswerCache(cache.zones, CACHE_SLOTS, bytes);
    }

    /** Bytes the pre-encoded answers take, as counted against their budget. */
    public long answerCacheBytes() {
        return cache.bytes();
    }

    /** Swaps in a new zone snapshot; readers in flight finish with the old one. */
    public void zonesChanged(ZoneSet zones) {
        cache = cache.next(zones);
    }

    public ZoneSet zones() {
        return cache.zones;
    }

    /** Zones that are configured but not loaded yet: names under them get SERVFAIL, never NXDOMAIN or a forward. */
    public void pendingZones(Set<Name> zones) {
        pendingZones = Set.copyOf(zones);
        cache = cache.next(cache.zones); // drops "forwarded" marks of names under them
    }

    /**
     * At most {@code perNetwork} queries of one client network (IPv4 /{@code ipv4Prefix}, IPv6 /{@code ipv6Prefix})
     * wait for the forwarder at once; beyond, REFUSED at once ({@link ForwardShares}); 0 = no such limit.
     */
    public void forwardShare(int perNetwork, int ipv4Prefix, int ipv6Prefix) {
        forwardShares = perNetwork <= 0 ? null : new ForwardShares(perNetwork, ipv4Prefix, ipv6Prefix);
    }

    /**
     * The {@link ForwardShares} place of the client of the query processed on this thread: {@link ForwardShares#NONE}
     * when not limited, -2 when its network has its share of the forwarder already.
     */
    private int forwardPlace(ForwardShares shares) {
        if (shares == null) {
            return ForwardShares.NONE;
        }
        QueryScratch s = scratch.get();
        int slot = shares.slot(s.ip, s.ipLength);
        if (!shares.acquire(slot)) {
            metrics.forwardShareRefused();
            return -2;
        }
        return slot;
    }

    /**
     * Turns response rate limiting of UDP answers on ({@code rate} responses per second per account, see
     * {@link RateLimiter}) or off ({@code rate} 0).
     */
    public void rateLimit(int rate, int slip, int ipv4Prefix, int ipv6Prefix, int windowSeconds) {
        rateLimiter = rate <= 0 ? null : new RateLimiter(rate, slip, ipv4Prefix, ipv6Prefix, windowSeconds);
    }

    /**
     * Answers one query. Returns the response to send now, or null when the packet is dropped or the answer will be
     * sent later through {@code responder} with {@code context}.
     */
    public ByteBuf process(ByteBuf query, int transport, ByteBufAllocator alloc, Responder responder, Object context,
                           long startNanos) {
        QueryScratch s = scratch.get();
        int status = s.parse(query);
        if (status == QueryScratch.DROP_SHORT) {
            metrics.dropped(BadInput.TOO_SHORT);
            return null;
        }
        if (status == QueryScratch.DROP_RESPONSE) {
            metrics.dropped(BadInput.RESPONSE);
            return null;
        }
        s.client(context);
        if (status == QueryScratch.OK) {
            metrics.query(transport, s.qtype);
            s.cookieStatus = Cookies.NONE;
            if (s.cookieOffset >= 0) {
                long now = cookies.now();
                s.cookieStatus = cookies.check(s.packet, s.cookieOffset, s.cookieLength, s.ip, s.ipLength, now,
                        s.work);
                cookies.serverCookie(s.packet, s.cookieOffset, s.ip, s.ipLength, now, s.work, s.serverCookie, 0);
            }
            AnswerCache c = cache;
            AnswerCache.Entry e = c.get(s.packet, s.nameOffset, s.nameLength, s.hash, s.typeClass());
            if (e == null || !e.forwarded()) {
                metrics.fastPath(e != null);
            }
            if (e == null) {
                e = encode(c, s);
                if (e != null) {
                    c.put(e);
                }
            }
            if (e != null && e.forwarded()) {
                ByteBuf out = forwardedHits == null ? null : forwardedHits.answer(s, transport, alloc, startNanos);
                return out != null ? limit(out, transport, s, startNanos)
                        : full(query, transport, alloc, responder, context, startNanos, false);
            }
            if (e != null) {
                int length = 12 + s.nameLength + 4 + e.tail.length + optLength(s);
                int limit = transport == DnsMetrics.UDP ? (s.edns ? Math.min(s.udpSize, EDNS_UDP_SIZE) : 512) : TCP_MAX;
                if (length <= limit) {
                    ByteBuf out = alloc.ioBuffer(length);
                    out.writeShort(s.id);
                    out.writeShort(0x8000 | (s.flags & 0x0110 /* RD, CD */) | (e.flags & 0x0400)
                            | (recursionAvailable ? 0x0080 : 0) | e.rcode());
                    out.writeShort(1);
                    out.writeShort(e.anCount);
                    out.writeShort(e.nsCount);
                    out.writeShort(e.arCount + (s.edns ? 1 : 0));
                    out.writeBytes(s.packet, s.nameOffset, s.nameLength + 4);
                    out.writeBytes(e.tail);
                    if (s.edns) {
                        writeOpt(out, s);
                    }
                    metrics.response(e.rcode(), startNanos);
                    return limit(out, transport, s, startNanos);
                }
            }
            return full(query, transport, alloc, responder, context, startNanos, false);
        }
        return full(query, transport, alloc, responder, context, startNanos, true);
    }

    /**
     * The full path alone, for the query fuzz test, which checks that it answers as the fast path does. A forwarded
     * answer is released, not sent. Packets the fast path drops are dropped as {@link #process} drops them.
     */
    ByteBuf processFull(ByteBuf query, int transport, ByteBufAllocator alloc, long startNanos) {
        Responder release = (context, response) -> response.release();
        int status = scratch.get().parse(query);
        if (status == QueryScratch.DROP_SHORT || status == QueryScratch.DROP_RESPONSE) {
            return process(query, transport, alloc, release, null, startNanos);
        }
        return full(query, transport, alloc, release, null, startNanos, true);
    }

    /**
     * Types the fast path leaves to the full path, whose rules then hold for UDP and TCP alike: type 0, OPT (41) and
     * every type of the meta/question range 128-255 (RFC 6895 3.1). The full path answers them as {@link
     * #formatErrorType} (FORMERR), AXFR/IXFR (REFUSED), MAILA/MAILB (NOTIMP, from the query engine), ANY (every RRset
     * over TCP, one over UDP) and the unassigned ones as any other type.
     */
    static boolean metaType(int qtype) {
        return qtype == 0 || qtype == Type.OPT || (qtype >= 128 && qtype <= 255);
    }

    /**
     * Question types that make a query malformed: type 0 (reserved), and OPT, TSIG and TKEY, records that only ever
     * travel in the additional section (RFC 6891 6.1.1, RFC 8945 4.1, RFC 2930 2); a question asking for one is a
     * format error on either transport. (Knot answers TKEY and TSIG questions with NODATA and type 0 with NOTIMP: we
     * keep FORMERR, which the full path has always answered.)
     */
    static boolean formatErrorType(int qtype) {
        return qtype == 0 || qtype == Type.OPT || qtype == Type.TSIG || qtype == Type.TKEY;
    }

    /** The bytes of our OPT in a fast-path response to {@code s}: none without EDNS; a cookie option when asked. */
    static int optLength(QueryScratch s) {
        return s.edns ? 11 + (s.cookieOffset >= 0 ? 4 + 8 + Cookies.SERVER_COOKIE_LENGTH : 0) : 0;
    }

    /** Our OPT for the fast path's response to {@code s}: DO copied, and the client's cookie with our server cookie. */
    static void writeOpt(ByteBuf out, QueryScratch s) {
        out.writeByte(0);              // root
        out.writeShort(Type.OPT);
        out.writeShort(EDNS_UDP_SIZE); // class = our UDP payload size
        out.writeShort(0);             // extended rcode 0, version 0
        out.writeShort(s.dnssecOk ? ExtendedFlags.DO : 0); // flags: DO copied from the query (RFC 3225)
        if (s.cookieOffset < 0) {
            out.writeShort(0);         // no options
            return;
        }
        out.writeShort(4 + 8 + Cookies.SERVER_COOKIE_LENGTH);
        out.writeShort(QueryScratch.OPTION_COOKIE);
        out.writeShort(8 + Cookies.SERVER_COOKIE_LENGTH);
        out.writeBytes(s.packet, s.cookieOffset, 8);  // the client cookie, as sent (RFC 7873 5.2.3)
        out.writeBytes(s.serverCookie);
    }

    /**
     * Response rate limiting of a response made on the fast path: {@code out} as it is, truncated (the slip) or null
     * (dropped and released). UDP only; clients that proved their address with our server cookie are exempt.
     */
    private ByteBuf limit(ByteBuf out, int transport, QueryScratch s, long startNanos) {
        if (s.cookieStatus != Cookies.NONE) {
            metrics.cookie(s.cookieStatus); // counted here: a query the fast path gives up on is counted by the full
        }
        RateLimiter l = rateLimiter;
        if (l == null || transport != DnsMetrics.UDP || s.ipLength == 0 || s.cookieStatus == Cookies.VALID) {
            return out;
        }
        return verdict(l, l.network(s.ip, s.ipLength), out, startNanos);
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

    /**
     * What the full path's responses to one query need besides the query: the cookie option to answer with, and the
     * rate limiter's account of the client (responses may be made later, on the forwarder's thread).
     */
    private static final class Client {
        final RateLimiter limiter;
        final long network;
        CookieOption cookie;

        Client(RateLimiter limiter, long network) {
            this.limiter = limiter;
            this.network = network;
        }
    }

    /** The full path's {@link Client} for the query being processed on this thread ({@link QueryScratch#client}). */
    private Client fullClient(int transport) {
        QueryScratch s = scratch.get();
        RateLimiter l = rateLimiter;
        if (l == null || transport != DnsMetrics.UDP || s.ipLength == 0) {
            return new Client(null, 0);
        }
        return new Client(l, l.network(s.ip, s.ipLength));
    }

    /**
     * Reads the query's cookie (RFC 7873): a valid server cookie exempts the client from rate limiting, and every
     * cookie is answered with the client cookie and a fresh server cookie of ours. Malformed cookie lengths never get
     * here: dnsjava refuses to parse them and the query gets FORMERR (RFC 7873 5.2.2).
     */
    private Client withCookie(Client c, Message query) {
        OPTRecord opt = query.getOPT();
        List<EDNSOption> options = opt == null ? List.of() : opt.getOptions(EDNSOption.Code.COOKIE);
        if (options.isEmpty() || !(options.get(0) instanceof CookieOption cookie)) {
            return c;
        }
        QueryScratch s = scratch.get();
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
        Client out = status == Cookies.VALID ? new Client(null, 0) : c;
        out.cookie = new CookieOption(client, fresh);
        return out;
    }

    /** The query's DO bit, to be copied into the response's OPT (RFC 3225 section 3). */
    private static int dnssecOk(Message query) {
        OPTRecord opt = query.getOPT();
        return opt == null ? 0 : opt.getFlags() & ExtendedFlags.DO;
    }

    /**
     * Builds and encodes the answer of a fast-path query. A name that is forwarded as it came (under no served or
     * pending zone, or an NXDOMAIN under a fallthrough zone) gets a "forwarded" mark when there is a {@link Forwarder}
     * to serve cache hits from bytes. Null (the full path answers) without one, and when the answer is a CNAME chain
     * leaving the served zones that the forwarder completes.
     */
    private AnswerCache.Entry encode(AnswerCache c, QueryScratch s) {
        byte[] key = new byte[s.nameLength];
        System.arraycopy(s.packet, s.nameOffset, key, 0, key.length);
        for (int i = 0; i < key.length; i++) {
            key[i] = WireBytes.lower(key[i]);
        }
        Name qname;
        try {
            qname = new Name(new DNSInput(key));
        } catch (IOException e) {
            return null;
        }
        Answer a = QueryEngine.answer(c.zones, qname, s.qtype, s.qclass);
        if (forwardedHits != null && (a == null ? !underPendingZone(qname) : fallsThrough(a, qname))) {
            return AnswerCache.Entry.forwarded(key, s.hash, s.typeClass());
        }
        if (a == null || (forwarder != null && (externalTarget(c.zones, a, s.qtype) != null
                || fallsThrough(a, qname)))) {
            return null; // not ours, or answered with upstream data, whose TTLs run: never pre-encoded
        }
        Message m = new Message(0);
        Header h = m.getHeader();
        h.setFlag(Flags.QR);
        if (a.authoritative()) {
            h.setFlag(Flags.AA);
        }
        h.setRcode(a.rcode());
        m.addRecord(org.xbill.DNS.Record.newRecord(qname, s.qtype, s.qclass), Section.QUESTION);
        addAll(m, a.answer(), Section.ANSWER);
        addAll(m, a.authority(), Section.AUTHORITY);
        addAll(m, a.additional(), Section.ADDITIONAL);
        byte[] wire = m.toWire();
        int tailStart = 12 + s.nameLength + 4;
        int flags = (a.authoritative() ? 0x0400 : 0) | (a.rcode() & 0xF);
        return new AnswerCache.Entry(key, s.hash, s.typeClass(), flags, WireBytes.u16(wire, 6), WireBytes.u16(wire, 8),
                WireBytes.u16(wire, 10),
                Arrays.copyOfRange(wire, tailStart, wire.length));
    }

    /**
     * RFC 8482 minimal ANY over UDP: one RRset, the one of the lowest type at the name (as Knot picks), with the
     * additional records of that RRset only. A spoofed UDP source cannot then turn a small ANY query into every record
     * a name has (the examples' apex without EDNS: 321 bytes for a 30-byte query, 67 now); a client that wants
     * everything asks over TCP, whose handshake proves its address, and gets every RRset, as before (tools such as
     * {@code dig ANY +tcp} are used to see everything a name has, and TCP responses cannot be reflected).
     */
    static Answer minimalAny(Answer a) {
        List<org.xbill.DNS.Record> answer = a.answer();
        int lowest = Integer.MAX_VALUE;
        for (org.xbill.DNS.Record r : answer) {
            lowest = Math.min(lowest, r.getType());
        }
        boolean several = false;
        for (org.xbill.DNS.Record r : answer) {
            several |= r.getType() != lowest;
        }
        if (!several) {
            return a;
        }
        List<org.xbill.DNS.Record> kept = new java.util.ArrayList<>();
        Set<Name> targets = new java.util.HashSet<>();
        for (org.xbill.DNS.Record r : answer) {
            if (r.getType() == lowest) {
                kept.add(r);
                Name t = r.getAdditionalName();
                if (t != null) {
                    targets.add(t);
                }
            }
        }
        List<org.xbill.DNS.Record> additional = new java.util.ArrayList<>();
        for (org.xbill.DNS.Record r : a.additional()) {
            if (targets.contains(r.getName())) {
                additional.add(r);
            }
        }
        return new Answer(a.rcode(), a.authoritative(), kept, a.authority(), additional);
    }

    private static void addAll(Message m, List<org.xbill.DNS.Record> records, int section) {
        for (org.xbill.DNS.Record r : records) {
            m.addRecord(r, section);
        }
    }

    /** The full path: dnsjava parses, every rcode is possible, answers may be truncated or forwarded. */
    private ByteBuf full(ByteBuf buf, int transport, ByteBufAllocator alloc, Responder responder, Object context,
                         long startNanos, boolean countQuery) {
        Client client = fullClient(transport);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), bytes);
        Message query;
        try {
            query = new Message(bytes);
        } catch (IOException | RuntimeException e) {
            if (countQuery) {
                metrics.query(transport, -1);
            }
            metrics.badInput(BadInput.MALFORMED);
            return limit(headerOnly(alloc, bytes, Rcode.FORMERR, startNanos), client, startNanos);
        }
        Header h = query.getHeader();
        for (int section = 0; section < 4; section++) {
            // dnsjava forgives a cut packet when TC is set and lowers the counts to what it read: a query's counts
            // must all be true
            if (h.getCount(section) != WireBytes.u16(bytes, 4 + 2 * section)) {
                if (countQuery) {
                    metrics.query(transport, -1);
                }
                metrics.badInput(BadInput.MALFORMED);
                return limit(headerOnly(alloc, bytes, Rcode.FORMERR, startNanos), client, startNanos);
            }
        }
        return full(query, bytes, withCookie(client, query), transport, alloc, responder, context, startNanos,
                countQuery);
    }

    /** The full path once the query is parsed. */
    private ByteBuf full(Message query, byte[] bytes, Client client, int transport, ByteBufAllocator alloc,
                         Responder responder, Object context, long startNanos, boolean countQuery) {
        Header h = query.getHeader();
        org.xbill.DNS.Record question = query.getQuestion();
        if (countQuery) {
            metrics.query(transport, question == null ? -1 : question.getType());
        }
        if (h.getOpcode() != Opcode.QUERY) {
            metrics.badInput(BadInput.OPCODE);
            return send(alloc, errorResponse(query, Rcode.NOTIMP), transport, query, client, startNanos);
        }
        if (h.getCount(Section.QUESTION) != 1) {
            metrics.badInput(BadInput.QDCOUNT);
            return send(alloc, errorResponse(query, Rcode.FORMERR), transport, query, client, startNanos);
        }
        int opts = 0;
        for (org.xbill.DNS.Record r : query.getSection(Section.ADDITIONAL)) {
            if (r.getType() == Type.OPT) {
                opts++;
            }
        }
        OPTRecord opt = query.getOPT();
        if (opts > 1 || (opt != null && !opt.getName().equals(Name.root))) {
            metrics.badInput(BadInput.FORMAT);
            return send(alloc, errorResponse(query, Rcode.FORMERR), transport, query, client, startNanos);
        }
        if (opt != null && opt.getVersion() != 0) {
            metrics.badInput(BadInput.EDNS_VERSION);
            return send(alloc, errorResponse(query, Rcode.BADVERS), transport, query, client, startNanos);
        }
        int qtype = question.getType();
        int qclass = question.getDClass();
        if (qclass != DClass.IN && qclass != DClass.ANY) {
            metrics.badInput(BadInput.CLASS);
            return send(alloc, errorResponse(query, Rcode.REFUSED), transport, query, client, startNanos);
        }
        if (qtype == Type.AXFR || qtype == Type.IXFR) {
            metrics.badInput(BadInput.TRANSFER);
            return send(alloc, errorResponse(query, Rcode.REFUSED), transport, query, client, startNanos);
        }
        if (formatErrorType(qtype)) {
            metrics.badInput(BadInput.FORMAT);
            return send(alloc, errorResponse(query, Rcode.FORMERR), transport, query, client, startNanos);
        }
        ZoneSet zones = cache.zones;
        Answer a = QueryEngine.answer(zones, question.getName(), qtype, DClass.IN);
        if (a != null && !fallsThrough(a, question.getName())) {
            Message r = base(query);
            Header rh = r.getHeader();
            if (a.authoritative()) {
                rh.setFlag(Flags.AA);
            }
            rh.setRcode(a.rcode());
            if (qtype == Type.ANY && transport == DnsMetrics.UDP) {
                a = minimalAny(a);
            }
            addAll(r, a.answer(), Section.ANSWER);
            addAll(r, a.authority(), Section.AUTHORITY);
            addAll(r, a.additional(), Section.ADDITIONAL);
            Name target = forwarder == null ? null : externalTarget(zones, a, qtype);
            if (target == null) {
                return send(alloc, r, transport, query, client, startNanos);
            }
            return chase(r, target, qtype, alloc, transport, query, client, responder, context, startNanos);
        }
        if (underPendingZone(question.getName())) {
            return send(alloc, errorResponse(query, Rcode.SERVFAIL), transport, query, client, startNanos);
        }
        if (forwarder == null) {
            return send(alloc, errorResponse(query, Rcode.REFUSED), transport, query, client, startNanos);
        }
        // a name under no served zone, or our NXDOMAIN under a fallthrough zone: the forwarder's answer as it is
        ForwardShares shares = forwardShares;
        int place = forwardPlace(shares);
        if (place == -2) {
            return send(alloc, errorResponse(query, Rcode.REFUSED), transport, query, client, startNanos);
        }
        CompletableFuture<Message> upstream;
        try {
            upstream = forwarder.apply(query);
        } catch (RuntimeException e) {
            release(shares, place);
            LOG.warn("forwarding {} failed: {}", question.getName(), e.toString());
            return send(alloc, errorResponse(query, Rcode.SERVFAIL), transport, query, client, startNanos);
        }
        upstream.whenComplete((resp, err) -> {
            release(shares, place);
            ByteBuf out;
            try {
                out = send(alloc, err != null || resp == null ? errorResponse(query, Rcode.SERVFAIL)
                        : forwarded(query, resp), transport, query, client, startNanos);
            } catch (RuntimeException e) {
                LOG.warn("could not encode the forwarded answer for {}: {}", question.getName(), e.toString());
                out = send(alloc, errorResponse(query, Rcode.SERVFAIL), transport, query, client, startNanos);
            }
            if (out != null) {
                responder.respond(context, out);
            }
        });
        return null;
    }

    private static void release(ForwardShares shares, int place) {
        if (shares != null) {
            shares.release(place);
        }
    }

    /**
     * Whether our answer {@code a} for {@code qname} is replaced by the forwarder's: an NXDOMAIN (only: NODATA and
     * referrals stay ours, as in CoreDNS) for a name at or below a fallthrough zone, with forwarding configured. The
     * rcode is tested first, so other answers pay nothing.
     */
    private boolean fallsThrough(Answer a, Name qname) {
        if (a.rcode() != Rcode.NXDOMAIN) {
            return false;
        }
        for (Name zone : fallthrough) {
            if (qname.subdomain(zone)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The target of the CNAME chain that ends {@code a} when the forwarder must complete it: a NOERROR answer whose
     * last answer record is a CNAME pointing under no served zone, for a question other than CNAME and ANY (which
     * are answered with the CNAME itself), and a chain that QueryEngine did not cut at its length limit. Else null.
     * The first tests are on the answer's shape only, so ordinary answers pay no zone lookup.
     */
    static Name externalTarget(ZoneSet zones, Answer a, int qtype) {
        List<org.xbill.DNS.Record> answer = a.answer();
        if (a.rcode() != Rcode.NOERROR || answer.isEmpty() || qtype == Type.CNAME || qtype == Type.ANY) {
            return null;
        }
        org.xbill.DNS.Record last = answer.get(answer.size() - 1);
        if (last.getType() != Type.CNAME || answer.size() >= QueryEngine.MAX_CNAME_CHAIN) {
            return null;
        }
        Name target = ((CNAMERecord) last).getTarget();
        return zones.find(target) == null ? target : null;
    }

    /**
     * Completes the CNAME chain in {@code r} (our authoritative answer) with the forwarder's answer for
     * (target, qtype), as CoreDNS's file and kubernetes plugins do for out-of-zone CNAME targets; sent later.
     */
    private ByteBuf chase(Message r, Name target, int qtype, ByteBufAllocator alloc, int transport, Message query,
                          Client client,
                          Responder responder, Object context, long startNanos) {
        if (underPendingZone(target)) {
            r.getHeader().setRcode(Rcode.SERVFAIL); // a zone we serve once loaded: never ask the upstream for it
            return send(alloc, r, transport, query, client, startNanos);
        }
        Message sub = new Message(query.getHeader().getID());
        sub.getHeader().setFlag(Flags.RD);
        if (query.getHeader().getFlag(Flags.CD)) {
            sub.getHeader().setFlag(Flags.CD);
        }
        sub.addRecord(org.xbill.DNS.Record.newRecord(target, qtype, DClass.IN), Section.QUESTION);
        if (query.getOPT() != null) {
            sub.addRecord(new OPTRecord(EDNS_UDP_SIZE, 0, 0, dnssecOk(query)), Section.ADDITIONAL);
        }
        ForwardShares shares = forwardShares;
        int place = forwardPlace(shares);
        if (place == -2) {
            r.getHeader().setRcode(Rcode.REFUSED);
            return send(alloc, r, transport, query, client, startNanos);
        }
        CompletableFuture<Message> upstream;
        try {
            upstream = forwarder.apply(sub);
        } catch (RuntimeException e) {
            release(shares, place);
            LOG.warn("forwarding CNAME target {} failed: {}", target, e.toString());
            r.getHeader().setRcode(Rcode.SERVFAIL);
            return send(alloc, r, transport, query, client, startNanos);
        }
        upstream.whenComplete((resp, err) -> {
            release(shares, place);
            ByteBuf out;
            try {
                out = send(alloc, completed(r, err == null ? resp : null), transport, query, client, startNanos);
            } catch (RuntimeException e) {
                LOG.warn("could not encode the completed answer for {}: {}", query.getQuestion().getName(),
                        e.toString());
                out = send(alloc, errorResponse(query, Rcode.SERVFAIL), transport, query, client, startNanos);
            }
            if (out != null) {
                responder.respond(context, out);
            }
        });
        return null;
    }

    /**
     * Our CNAME chain followed by the upstream's answer for its target: the upstream's answer records, its rcode
     * (NOERROR or NXDOMAIN, which RFC 6604 section 3 ties to the last name of the chain) and the SOA of its negative
     * answers (so caches below us can keep NODATA/NXDOMAIN for the RFC 2308 time); AA stays set, as the first owner
     * name is ours (RFC 1035 section 4.1.1; CoreDNS keeps it too). No answer, or any other rcode (every upstream
     * failed): the chain with SERVFAIL, as CoreDNS's file plugin does — a temporary failure, where NOERROR with the
     * chain alone would tell stub resolvers the name has no address.
     */
    private static Message completed(Message r, Message upstream) {
        int rcode = upstream == null ? Rcode.SERVFAIL : upstream.getRcode();
        if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
            r.getHeader().setRcode(Rcode.SERVFAIL);
            return r;
        }
        r.getHeader().setRcode(rcode);
        for (org.xbill.DNS.Record rec : upstream.getSection(Section.ANSWER)) {
            r.addRecord(rec, Section.ANSWER);
        }
        for (org.xbill.DNS.Record rec : upstream.getSection(Section.AUTHORITY)) {
            if (rec.getType() == Type.SOA) {
                r.addRecord(rec, Section.AUTHORITY);
            }
        }
        return r;
    }

    private boolean underPendingZone(Name name) {
        Set<Name> pending = pendingZones;
        if (pending.isEmpty()) {
            return false;
        }
        for (Name z : pending) {
            if (name.subdomain(z)) {
                return true;
            }
        }
        return false;
    }

    /** A response with the query's ID, opcode, RD/CD, the question as sent and our flags; no sections yet. */
    private Message base(Message query) {
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

    private Message errorResponse(Message query, int rcode) {
        Message r = base(query);
        if (rcode > 0xF) {
            r.getHeader().setRcode(rcode & 0xF);
            r.addRecord(new OPTRecord(EDNS_UDP_SIZE, rcode >>> 4, 0, dnssecOk(query)), Section.ADDITIONAL);
        } else {
            r.getHeader().setRcode(rcode);
        }
        return r;
    }

    private Message forwarded(Message query, Message upstream) {
        Message r = base(query);
        r.getHeader().setRcode(upstream.getHeader().getRcode());
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
            for (org.xbill.DNS.Record rec : upstream.getSection(section)) {
                if (rec.getType() != Type.OPT && rec.getType() != Type.TSIG) {
                    r.addRecord(rec, section);
                }
            }
        }
        return r;
    }

    /**
     * Adds our OPT (with the cookie option when the query had a cookie) when the query had one, encodes within the
     * transport's limit (TC when cut), counts, and rate-limits: null when the response is dropped.
     */
    private ByteBuf send(ByteBufAllocator alloc, Message r, int transport, Message query, Client client,
                         long startNanos) {
        OPTRecord qopt = query.getOPT();
        int limit = TCP_MAX;
        if (qopt != null && r.getOPT() == null) {
            r.addRecord(client.cookie == null ? new OPTRecord(EDNS_UDP_SIZE, 0, 0, dnssecOk(query))
                    : new OPTRecord(EDNS_UDP_SIZE, 0, 0, dnssecOk(query), List.of(client.cookie)),
                    Section.ADDITIONAL);
        }
        if (transport == DnsMetrics.UDP) {
            limit = qopt != null && qopt.getVersion() == 0
                    ? Math.max(512, Math.min(qopt.getPayloadSize(), EDNS_UDP_SIZE)) : 512;
        }
        byte[] wire = r.toWire(limit);
        if ((wire[2] & 0x02) != 0) {
            metrics.truncated();
        }
        ByteBuf out = alloc.ioBuffer(wire.length);
        out.writeBytes(wire);
        int rcode = (wire[3] & 0xF) | (r.getOPT() != null ? r.getOPT().getExtendedRcode() << 4 : 0);
        metrics.response(rcode, startNanos);
        return limit(out, client, startNanos);
    }

    private ByteBuf limit(ByteBuf out, Client client, long startNanos) {
        return client.limiter == null ? out : verdict(client.limiter, client.network, out, startNanos);
    }

    /** FORMERR for a packet that dnsjava cannot parse: header only, ID, opcode and RD copied. */
    private ByteBuf headerOnly(ByteBufAllocator alloc, byte[] q, int rcode, long startNanos) {
        ByteBuf out = alloc.ioBuffer(12);
        out.writeByte(q[0]);
        out.writeByte(q[1]);
        out.writeShort(0x8000 | (WireBytes.u16(q, 2) & 0x7900) | (recursionAvailable ? 0x0080 : 0) | rcode);
        out.writeZero(8);
        metrics.response(rcode, startNanos);
        return out;
    }
}
