package dev.zonekeeper.dns.forward;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;

/**
 * Forwards queries for names outside the served zones to upstream servers, with a cache. See the package
 * documentation for the behaviour; {@link ForwarderConfig} for the settings.
 *
 * <p>{@link #forward(Message)} never blocks and may be called from any thread, including a Netty event loop. The
 * returned future completes (normally, never exceptionally) on one of the forwarder's event loop threads, or at once
 * on a cache hit.
 */
public final class Forwarder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final ForwarderConfig config;
    private final ForwarderMetrics metrics;
    private final List<Upstream> upstreams;
    private final ResponseCache cache;
    private final UpstreamClient client;
    private final EventLoopGroup ownGroup;
    private final ConcurrentHashMap<CacheKey, CompletableFuture<Outcome>> inflight = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * A forwarder on the caller's event loop group, which must be of {@code transport}'s kind (see
     * {@link Transport#detect()}); {@link #close()} does not shut the group down.
     */
    public Forwarder(ForwarderConfig config, EventLoopGroup group, Transport transport, ForwarderMetrics metrics) {
        this(config, group, transport, metrics, null);
    }

    /** A forwarder with its own one-thread event loop group, shut down by {@link #close()}. */
    public Forwarder(ForwarderConfig config, ForwarderMetrics metrics) {
        this(config, Transport.detect(), metrics);
    }

    private Forwarder(ForwarderConfig config, Transport transport, ForwarderMetrics metrics) {
        this(config, null, transport, metrics,
                transport.newEventLoopGroup(1, new DefaultThreadFactory("zonekeeper-forwarder", true)));
    }

    private Forwarder(ForwarderConfig config, EventLoopGroup group, Transport transport, ForwarderMetrics metrics,
                      EventLoopGroup ownGroup) {
        this.config = config;
        this.metrics = metrics;
        this.ownGroup = ownGroup;
        long backoff = config.healthBackoff().toNanos();
        List<Upstream> ups = new ArrayList<>();
        for (InetSocketAddress address : config.upstreams()) {
            ups.add(new Upstream(address, config.maxFails(), backoff));
        }
        this.upstreams = List.copyOf(ups);
        this.cache = new ResponseCache(config.cacheMaxEntries());
        this.client = new UpstreamClient(ownGroup != null ? ownGroup : group, transport, config.timeout(), metrics);
    }

    /** The upstreams in configured order, with their health. */
    public List<Upstream> upstreams() {
        return upstreams;
    }

    public ResponseCache cache() {
        return cache;
    }

    public ForwarderConfig config() {
        return config;
    }

    /**
     * The response for {@code query}: from the cache, else from the first upstream in try order that gives a usable
     * answer, else (every upstream failed) stale data if serve-stale allows, else SERVFAIL. The response has the
     * query's ID and question and no OPT record; the caller adds EDNS and truncates for UDP clients.
     */
    public CompletableFuture<Message> forward(Message query) {
        org.xbill.DNS.Record question = query.getQuestion();
        if (query.getHeader().getOpcode() != Opcode.QUERY) {
            return CompletableFuture.completedFuture(error(query, Rcode.NOTIMP));
        }
        if (question == null) {
            return CompletableFuture.completedFuture(error(query, Rcode.FORMERR));
        }
        if (closed) {
            return CompletableFuture.completedFuture(error(query, Rcode.SERVFAIL));
        }
        CacheKey key = CacheKey.of(query);
        long now = System.nanoTime();
        ResponseCache.Entry cached = cache.get(key, now);
        if (cached != null && cached.isFresh(now)) {
            metrics.cacheHit();
            return CompletableFuture.completedFuture(cached.freshAnswer(query, now));
        }
        metrics.cacheMiss();
        CompletableFuture<Outcome> pending = new CompletableFuture<>();
        CompletableFuture<Outcome> shared = inflight.putIfAbsent(key, pending);
        if (shared == null) {
            shared = pending;
            pending.whenComplete((o, t) -> inflight.remove(key, pending));
            attempt(key, query, tryOrder(query, now), 0, pending);
        }
        return shared.thenApply(outcome -> respond(query, outcome));
    }

    /**
     * The fresh cached response, in wire form, to a standard query whose question name is
     * {@code packet[nameOffset, nameOffset + nameLength)} (wire form, any case) and whose
     * {@link dev.zonekeeper.dns.wire.WireBytes#questionHash} is {@code questionHash}: the server's fast path for cache
     * hits, which reads the question (and hashes it) straight from the query's bytes. Null when there is none (or the forwarder is closed):
     * the query then goes through {@link #forward}, which knows misses, stale data and failures. Counts nothing; a
     * caller that serves the response calls {@link #cacheHitServed()}.
     */
    public EncodedResponse cachedResponse(byte[] packet, int nameOffset, int nameLength, int questionHash, int qtype,
                                          int qclass, boolean dnssecOk, boolean checkingDisabled, long nowNanos) {
        if (closed) {
            return null;
        }
        EncodedResponse e = cache.encoded(packet, nameOffset, nameLength, questionHash, qtype, qclass, dnssecOk,
                checkingDisabled);
        return e != null && e.isFresh(nowNanos) ? e : null;
    }

    /** Counts a response served from {@link #cachedResponse} as a cache hit. */
    public void cacheHitServed() {
        metrics.cacheHit();
    }

    /** Closes every upstream socket, answers queries in flight with SERVFAIL, and shuts down an own event loop group. */
    @Override
    public void close() {
        closed = true;
        for (CompletableFuture<Outcome> pending : inflight.values()) {
            pending.complete(Outcome.FAILED);
        }
        client.close();
        if (ownGroup != null) {
            ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Healthy upstreams in policy order, then unhealthy ones. An unhealthy upstream whose backoff has passed is probed
     * in the background with the question at hand (a question any upstream we forward to should answer, unlike a
     * fixed probe such as ". NS", which an authoritative-only upstream refuses).
     */
    private List<Upstream> tryOrder(Message query, long now) {
        List<Upstream> healthy = new ArrayList<>();
        List<Upstream> unhealthy = new ArrayList<>();
        for (Upstream u : config.policy().order(upstreams)) {
            (u.healthy() ? healthy : unhealthy).add(u);
        }
        if (!healthy.isEmpty()) {
            for (Upstream u : unhealthy) {
                if (u.claimProbe(now)) {
                    probe(u, query);
                }
            }
        }
        healthy.addAll(unhealthy);
        return healthy;
    }

    /** A background query to an unhealthy upstream; its answer is not used, only its health. */
    private void probe(Upstream upstream, Message query) {
        Message probe = upstreamQuery(query);
        LOG.debug("probing unhealthy upstream {} with {}", upstream.address(), query.getQuestion());
        client.udp(upstream.address(), probe).whenComplete((resp, err) -> record(upstream, failureOf(resp, err), 0));
    }

    private void attempt(CacheKey key, Message query, List<Upstream> order, int index,
                         CompletableFuture<Outcome> pending) {
        if (closed || pending.isDone()) {
            pending.complete(Outcome.FAILED);
            return;
        }
        if (index >= order.size()) {
            allFailed(key, pending);
            return;
        }
        Upstream upstream = order.get(index);
        InetSocketAddress address = upstream.address();
        Message upstreamQuery = upstreamQuery(query);
        long start = System.nanoTime();
        client.udp(address, upstreamQuery)
                .thenCompose(response -> {
                    if (!response.getHeader().getFlag(Flags.TC)) {
                        return CompletableFuture.completedFuture(response);
                    }
                    metrics.tcpRetry(address);
                    return client.tcp(address, upstreamQuery);
                })
                .whenComplete((response, error) -> {
                    FailureReason failure = failureOf(response, error);
                    record(upstream, failure, System.nanoTime() - start);
                    if (failure != null) {
                        LOG.debug("{} for {} from {}", failure, query.getQuestion(), address);
                        attempt(key, query, order, index + 1, pending);
                    } else {
                        answered(key, response, pending);
                    }
                });
    }

    private static FailureReason failureOf(Message response, Throwable error) {
        if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            return cause instanceof UpstreamException ? ((UpstreamException) cause).reason() : FailureReason.NETWORK;
        }
        int rcode = response.getRcode();
        if (rcode == Rcode.SERVFAIL) {
            return FailureReason.SERVFAIL;
        }
        if (rcode == Rcode.REFUSED) {
            return FailureReason.REFUSED;
        }
        return null;
    }

    private void record(Upstream upstream, FailureReason failure, long latencyNanos) {
        InetSocketAddress address = upstream.address();
        if (failure == null) {
            if (latencyNanos > 0) {
                metrics.upstreamLatency(address, Duration.ofNanos(latencyNanos));
            }
            if (upstream.recordSuccess()) {
                LOG.info("upstream {} is healthy again", address);
                metrics.upstreamHealthChanged(address, true);
            }
        } else {
            metrics.upstreamFailure(address, failure);
            if (upstream.recordFailure(System.nanoTime())) {
                LOG.warn("upstream {} marked unhealthy after {} consecutive failures", address, config.maxFails());
                metrics.upstreamHealthChanged(address, false);
            }
        }
    }

    private void answered(CacheKey key, Message response, CompletableFuture<Outcome> pending) {
        long now = System.nanoTime();
        CachedResponse data = CachedResponse.of(response);
        long ttl = ResponseCache.cacheTtl(response, config.minTtl(), config.maxTtl());
        if (ttl > 0) {
            long expiry = now + ttl * NANOS_PER_SECOND;
            long staleUntil = config.serveStale() ? expiry + config.staleWindow().toNanos() : expiry;
            cache.put(key, new ResponseCache.Entry(data, ttl, now, staleUntil));
        }
        pending.complete(new Outcome(data, ttl, null));
    }

    private void allFailed(CacheKey key, CompletableFuture<Outcome> pending) {
        long now = System.nanoTime();
        ResponseCache.Entry stale = config.serveStale() ? cache.get(key, now) : null;
        if (stale != null && stale.response().rcode() != Rcode.SERVFAIL) {
            pending.complete(new Outcome(null, 0, stale));
            return;
        }
        long servfailTtl = config.servfailTtl().getSeconds();
        if (servfailTtl > 0) {
            long expiry = now + servfailTtl * NANOS_PER_SECOND;
            cache.put(key, new ResponseCache.Entry(CachedResponse.servfail(), servfailTtl, now, expiry));
        }
        pending.complete(Outcome.FAILED);
    }

    private Message respond(Message query, Outcome outcome) {
        if (outcome.stale != null) {
            metrics.staleServed();
            return outcome.stale.staleAnswer(query, config.staleAnswerTtl().getSeconds());
        }
        if (outcome.response == null) {
            return error(query, Rcode.SERVFAIL);
        }
        long cap = outcome.ttl > 0 ? outcome.ttl : config.maxTtl().getSeconds();
        return outcome.response.toMessage(query, t -> Math.min(t, cap));
    }

    /** The query sent upstream: new random ID, RD, the client's CD, EDNS only if the client used it. */
    private Message upstreamQuery(Message query) {
        org.xbill.DNS.Record q = query.getQuestion();
        Message m = new Message(RANDOM.nextInt(0x10000));
        m.getHeader().setFlag(Flags.RD);
        if (query.getHeader().getFlag(Flags.CD)) {
            m.getHeader().setFlag(Flags.CD);
        }
        m.addRecord(org.xbill.DNS.Record.newRecord(q.getName(), q.getType(), q.getDClass()), Section.QUESTION);
        OPTRecord opt = query.getOPT();
        if (opt != null) {
            int flags = opt.getFlags() & ExtendedFlags.DO;
            m.addRecord(new OPTRecord(config.ednsPayloadSize(), 0, 0, flags), Section.ADDITIONAL);
        }
        return m;
    }

    private static Message error(Message query, int rcode) {
        Message m = new Message(query.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RA);
        if (query.getHeader().getFlag(Flags.RD)) {
            m.getHeader().setFlag(Flags.RD);
        }
        m.getHeader().setOpcode(query.getHeader().getOpcode());
        m.getHeader().setRcode(rcode);
        if (query.getQuestion() != null) {
            m.addRecord(query.getQuestion(), Section.QUESTION);
        }
        return m;
    }

    /** How one resolution ended: an upstream response (with its cache TTL, -1 if uncached), stale data, or neither. */
    private static final class Outcome {
        static final Outcome FAILED = new Outcome(null, 0, null);

        final CachedResponse response;
        final long ttl;
        final ResponseCache.Entry stale;

        Outcome(CachedResponse response, long ttl, ResponseCache.Entry stale) {
            this.response = response;
            this.ttl = ttl;
            this.stale = stale;
        }
    }
}
