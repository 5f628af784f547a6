package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.forward.Forwarder;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.DnsMetrics.BadInput;
import dev.zonekeeper.dns.metrics.TransportKind;
import dev.zonekeeper.dns.zone.ZoneSet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;

/**
 * Turns one query's bytes into a response's bytes; the transports only move bytes. A query travels as one reused
 * {@link QueryScratch} (its bytes, transport, sender, allocator, responder and arrival time) through one of these
 * paths, each a class of its own:
 * <ul>
 *   <li>{@link FastPath}: a plain query (one IN question, optional EDNS0 OPT) whose answer is in the {@link
 *       AnswerCache} is answered from pre-encoded bytes, without parsing into objects; a forwarded name whose
 *       response is fresh in the forwarder's cache likewise ({@link ForwardedHits});
 *   <li>{@link FullPath}: everything else goes through dnsjava's parser: malformed packets (FORMERR), the refusals of
 *       {@link QueryRules}, truncation, and answers that need the forwarder: {@link CnameCompletion} for CNAME chains
 *       that leave the served zones, {@link ForwardedPath} for names under no served zone and fallthrough NXDOMAINs.
 * </ul>
 * Handlers are authoritative zones first, then the forwarder; a name under neither is REFUSED. Every path writes its
 * response through the one {@link ResponseWriter} (flags, size limit and truncation, EDNS, DNS cookies, counts and
 * UDP response rate limiting); on the fast path nothing is allocated. What takes which path never changes an answer:
 * the fast path accepts only what the full path would answer the same way ({@link QueryRules}, EDNS options).
 */
public final class QueryProcessor {
    /** Our EDNS0 UDP payload size (DNS flag day 2020): advertised, and the most we send over UDP. */
    public static final int EDNS_UDP_SIZE = 1232;

    public static final int TCP_MAX = 65535;
    private static final int CACHE_SLOTS = 1 << 18;

    /** Sends a response that was produced later (forwarded queries). */
    public interface Responder {
        void respond(Object context, ByteBuf response);
    }

    /**
     * One query object per thread, shared by every processor: Netty keeps each FastThreadLocal a thread ever set (in
     * its map's variablesToRemove) for the thread's life, so one per processor kept every processor, with its answer
     * cache, that a long-lived thread had used (the forwarder fuzz target ran out of heap creating one per input).
     */
    private static final FastThreadLocal<QueryScratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected QueryScratch initialValue() {
            return new QueryScratch();
        }
    };

    private final DnsMetrics metrics;
    private final ResponseWriter writer;
    private final ForwardedPath forwarded;
    private final FastPath fast;
    private final FullPath full;
    private volatile AnswerCache cache;

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
    public QueryProcessor(
            ZoneSet zones,
            DnsMetrics metrics,
            Function<Message, CompletableFuture<Message>> forwarder,
            List<Name> fallthrough) {
        this(zones, metrics, forwarder, fallthrough, null);
    }

    /**
     * @param forwarder forwards names under no served zone (and fallthrough NXDOMAINs); its fresh cache entries are
     *                  served on the fast path; null: no forwarding
     * @param fallthrough zones whose names are forwarded when our answer is NXDOMAIN (ignored without a forwarder)
     */
    public QueryProcessor(ZoneSet zones, DnsMetrics metrics, Forwarder forwarder, List<Name> fallthrough) {
        this(zones, metrics, forwarder == null ? null : forwarder::forward, fallthrough, forwarder);
    }

    private QueryProcessor(
            ZoneSet zones,
            DnsMetrics metrics,
            Function<Message, CompletableFuture<Message>> forwarder,
            List<Name> fallthrough,
            Forwarder hitsFrom) {
        this.metrics = metrics;
        this.writer = new ResponseWriter(metrics, forwarder != null);
        this.forwarded = new ForwardedPath(metrics, writer, forwarder, fallthrough);
        ForwardedHits forwardedHits = hitsFrom == null ? null : new ForwardedHits(hitsFrom, writer);
        this.fast = new FastPath(metrics, writer, forwardedHits, forwarded);
        this.full = new FullPath(metrics, writer, forwarded, new CnameCompletion(writer, forwarded));
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
        forwarded.pendingZones(zones);
        cache = cache.next(cache.zones); // drops "forwarded" marks of names under them
    }

    /**
     * At most {@code perNetwork} queries of one client network (IPv4 /{@code ipv4Prefix}, IPv6 /{@code ipv6Prefix})
     * wait for the forwarder at once; beyond, REFUSED at once ({@link ForwardShares}); 0 = no such limit.
     */
    public void forwardShare(int perNetwork, int ipv4Prefix, int ipv6Prefix) {
        forwarded.forwardShares(perNetwork <= 0 ? null : new ForwardShares(perNetwork, ipv4Prefix, ipv6Prefix));
    }

    /**
     * Turns response rate limiting of UDP answers on ({@code rate} responses per second per account, see
     * {@link RateLimiter}) or off ({@code rate} 0).
     */
    public void rateLimit(int rate, int slip, int ipv4Prefix, int ipv6Prefix, int windowSeconds) {
        writer.rateLimiter(rate <= 0 ? null : new RateLimiter(rate, slip, ipv4Prefix, ipv6Prefix, windowSeconds));
    }

    /**
     * Sends UPDATE requests (opcode 5) and TSIG-signed AXFR requests over TCP to {@code handler} (a sidecar's relay to
     * its primary, standalone mode's own updates); null: UPDATE is answered NOTIMP and every AXFR REFUSED.
     */
    public void updates(UpdateHandler handler) {
        full.updates(handler == null ? null : new UpdatePath(metrics, handler));
    }

    /**
     * Answers the query in {@code q} (filled by {@link QueryScratch#received}). Returns the response to send now, or
     * null when the packet is dropped or the answer will be sent later through the query's responder.
     */
    ByteBuf process(QueryScratch q) {
        int status = q.parse();
        if (status == QueryScratch.DROP_SHORT) {
            metrics.dropped(BadInput.TOO_SHORT);
            return null;
        }
        if (status == QueryScratch.DROP_RESPONSE) {
            metrics.dropped(BadInput.RESPONSE);
            return null;
        }
        q.readClient();
        if (status != QueryScratch.OK) {
            return full.answer(q, cache.zones, true);
        }
        metrics.query(q.transport, q.qtype);
        writer.readCookie(q);
        ByteBuf out = fast.answer(q, cache);
        return out != ResponseWriter.FULL_PATH ? out : full.answer(q, cache.zones, false);
    }

    /**
     * Answers one query with this thread's {@link QueryScratch}, for callers without one of their own (tests); as
     * {@link #process(QueryScratch)}. {@code context} is the sender, given back to {@code responder}.
     */
    public ByteBuf process(
            ByteBuf query,
            TransportKind transport,
            ByteBufAllocator alloc,
            Responder responder,
            Object context,
            long startNanos) {
        return process(threadScratch(transport, alloc, responder).received(query, context, startNanos));
    }

    private QueryScratch threadScratch(TransportKind transport, ByteBufAllocator alloc, Responder responder) {
        QueryScratch q = SCRATCH.get();
        q.transport = transport;
        q.alloc = alloc;
        q.responder = responder;
        return q;
    }

    /**
     * The full path alone, for the query fuzz test, which checks that it answers as the fast path does. A forwarded
     * answer is released, not sent. Packets the fast path drops are dropped as {@link #process} drops them.
     */
    ByteBuf processFull(ByteBuf query, TransportKind transport, ByteBufAllocator alloc, long startNanos) {
        Responder release = (context, response) -> response.release();
        QueryScratch q = threadScratch(transport, alloc, release).received(query, null, startNanos);
        int status = q.parse();
        if (status == QueryScratch.DROP_SHORT || status == QueryScratch.DROP_RESPONSE) {
            return process(q);
        }
        q.readClient();
        return full.answer(q, cache.zones, true);
    }
}
