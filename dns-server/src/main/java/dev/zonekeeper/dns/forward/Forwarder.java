package dev.zonekeeper.dns.forward;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
    private final EventLoopGroup loop;
    private final AnswerScrubber scrubber;
    private final long deadlineNanos;
    private final ConcurrentHashMap<CacheKey, Pending> inflight = new ConcurrentHashMap<>();
    /** Entries of {@link #inflight}, kept apart because ConcurrentHashMap's size is not a cheap read. */
    private final AtomicInteger inflightCount = new AtomicInteger();
    /** Queries waiting for an upstream answer, over all questions. */
    private final AtomicInteger waiting = new AtomicInteger();

    private volatile boolean closed;

    /** One question in flight upstream: its outcome, the queries waiting for it, and its deadline. */
    private static final class Pending {
        final CompletableFuture<Outcome> future = new CompletableFuture<>();
        final AtomicInteger waiters = new AtomicInteger();
    }

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
        this(
                config,
                null,
                transport,
                metrics,
                transport.newEventLoopGroup(1, new DefaultThreadFactory("zonekeeper-forwarder", true)));
    }

    private Forwarder(
            ForwarderConfig config,
            EventLoopGroup group,
            Transport transport,
            ForwarderMetrics metrics,
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
        this.cache = new ResponseCache(config.cacheMaxEntries(), config.cacheMaxBytes());
        this.loop = ownGroup != null ? ownGroup : group;
        this.client = new UpstreamClient(
                loop,
                transport,
                config.timeout(),
                metrics,
                config.udpSockets(),
                config.udpSocketUses(),
                new java.util.HashSet<>(config.upstreams()));
        this.scrubber = new AnswerScrubber(config.servedZones(), config.fallthrough());
        this.deadlineNanos = config.requestDeadline().toNanos();
        metrics.gauges(cache::bytes, cache::size, inflightCount::get, client::udpSockets);
    }

    /** Distinct questions in flight upstream now. */
    public int inflight() {
        return inflightCount.get();
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
        try {
            CacheKey key = CacheKey.of(query);
            long now = System.nanoTime();
            ResponseCache.Entry cached = cache.get(key, now);
            if (cached != null && cached.isFresh(now)) {
                metrics.cacheHit();
                return CompletableFuture.completedFuture(cached.freshAnswer(query, now));
            }
            metrics.cacheMiss();
            Pending pending = inflight.get(key);
            if (pending == null) {
                if (inflightCount.get() >= config.maxConcurrent()) {
                    // CoreDNS's forward max_concurrent answers REFUSED too: at once, so clients try elsewhere
                    metrics.rejected("max_concurrent");
                    return CompletableFuture.completedFuture(error(query, Rcode.REFUSED));
                }
                Pending mine = new Pending();
                pending = inflight.putIfAbsent(key, mine);
                if (pending == null) {
                    pending = mine;
                    start(key, query, mine, now);
                }
            }
            if (pending.waiters.incrementAndGet() > config.maxWaiters()) {
                metrics.rejected("max_waiters");
                return CompletableFuture.completedFuture(error(query, Rcode.REFUSED));
            }
            // each waiting query holds its parsed message until the answer: bounded in total, not just per question
            if (waiting.incrementAndGet() > config.maxWaiting()) {
                waiting.decrementAndGet();
                metrics.rejected("max_waiting");
                return CompletableFuture.completedFuture(error(query, Rcode.REFUSED));
            }
            return pending.future.thenApply(outcome -> {
                waiting.decrementAndGet();
                return respond(query, outcome);
            });
        } catch (RuntimeException e) {
            LOG.debug("forwarding {} failed: {}", question, e.toString()); // counted; a flood must not flood the log
            metrics.unusableAnswer("answer");
            return CompletableFuture.completedFuture(error(query, Rcode.SERVFAIL));
        }
    }

    /**
     * Starts resolving a question new in flight: the in-flight entry goes when its outcome is set, which the
     * per-request deadline guarantees (SERVFAIL) even if every other path to it were lost.
     */
    private void start(CacheKey key, Message query, Pending pending, long now) {
        inflightCount.incrementAndGet();
        ScheduledFuture<?> deadline;
        try {
            deadline = loop.next()
                    .schedule(
                            () -> {
                                if (pending.future.complete(Outcome.FAILED)) {
                                    LOG.debug(
                                            "{} still in flight after {} ms: SERVFAIL",
                                            query.getQuestion(),
                                            TimeUnit.NANOSECONDS.toMillis(deadlineNanos));
                                    metrics.deadlineExpired();
                                }
                            },
                            deadlineNanos,
                            TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) { // the event loop is shutting down
            deadline = null;
            pending.future.complete(Outcome.FAILED);
        }
        ScheduledFuture<?> timer = deadline;
        pending.future.whenComplete((o, t) -> {
            if (timer != null) {
                timer.cancel(false);
            }
            if (inflight.remove(key, pending)) {
                inflightCount.decrementAndGet();
            }
        });
        if (closed) {
            pending.future.complete(Outcome.FAILED);
            return;
        }
        attempt(key, query, tryOrder(query, now), 0, pending.future);
    }

    /**
     * The fresh cached response, in wire form, to the standard query {@code q} read from its bytes (name in wire
     * form, any case): the server's fast path for cache hits, which reads the question (and hashes it) straight from
     * the query's bytes. Null when there is none (or the forwarder is closed): the query then goes through {@link
     * #forward}, which knows misses, stale data and failures. Counts nothing; a caller that serves the response calls
     * {@link #cacheHitServed()}.
     */
    public EncodedResponse cachedResponse(WireQuestion q, long nowNanos) {
        if (closed) {
            return null;
        }
        EncodedResponse e = cache.encoded(
                q.packet(),
                q.nameOffset(),
                q.nameLength(),
                q.questionHash(),
                q.qtype(),
                q.qclass(),
                q.dnssecOk(),
                q.checkingDisabled());
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
        for (Pending pending : inflight.values()) {
            pending.future.complete(Outcome.FAILED);
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

    private void attempt(
            CacheKey key, Message query, List<Upstream> order, int index, CompletableFuture<Outcome> pending) {
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
        long start = System.nanoTime();
        CompletableFuture<Message> exchange;
        try {
            Message upstreamQuery = upstreamQuery(query);
            exchange = client.udp(address, upstreamQuery).thenCompose(response -> {
                if (!response.getHeader().getFlag(Flags.TC)) {
                    return CompletableFuture.completedFuture(response);
                }
                metrics.tcpRetry(address);
                return client.tcp(address, upstreamQuery).thenApply(tcp -> {
                    if (tcp.getHeader().getFlag(Flags.TC)) {
                        // still truncated over TCP: the whole answer is not to be had from this upstream,
                        // and passing on what came would be a wrong "no such record"
                        throw new CompletionException(
                                new UpstreamException(address, FailureReason.TRUNCATED, "TC set over TCP", null));
                    }
                    return tcp;
                });
            });
        } catch (RuntimeException e) {
            exchange = CompletableFuture.failedFuture(
                    new UpstreamException(address, FailureReason.NETWORK, e.toString(), e));
        }
        exchange.whenComplete((response, error) -> {
            try {
                FailureReason failure = failureOf(response, error);
                record(upstream, failure, System.nanoTime() - start);
                if (failure != null) {
                    LOG.debug("{} for {} from {}", failure, query.getQuestion(), address);
                    attempt(key, query, order, index + 1, pending);
                } else {
                    answered(key, response, pending);
                }
            } catch (RuntimeException e) {
                // never leave the question in flight: its waiting queries get SERVFAIL, the next one asks again
                LOG.debug("answer for {} from {} unusable: {}", query.getQuestion(), address, e.toString());
                metrics.unusableAnswer("answer");
                pending.complete(Outcome.FAILED);
            }
        });
    }

    private static FailureReason failureOf(Message response, Throwable error) {
        if (error != null) {
            Throwable cause =
                    error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
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

    /**
     * A usable upstream answer: scrubbed, cached if it can be (an answer that cannot be encoded for the cache is
     * counted and passed on uncached), and given to every waiting query if it can be encoded at all, else SERVFAIL.
     * The question leaves the in-flight map either way, so the next query asks upstream again.
     */
    private void answered(CacheKey key, Message response, CompletableFuture<Outcome> pending) {
        long now = System.nanoTime();
        CachedResponse data = scrubber.scrub(response, metrics);
        long ttl = ResponseCache.cacheTtl(response, config.minTtl(), config.maxTtl());
        boolean encoded = false;
        RuntimeException cacheFailure = null;
        if (ttl > 0) {
            long expiry = now + ttl * NANOS_PER_SECOND;
            long staleUntil =
                    config.serveStale() ? expiry + config.staleWindow().toNanos() : expiry;
            try {
                encoded = cache.put(key, new ResponseCache.Entry(data, ttl, now, staleUntil));
            } catch (RuntimeException e) {
                cacheFailure = e;
            }
        }
        if (!encoded) {
            // not checked by the cache: encode it once, as every client will get it (dnsjava parses records it
            // cannot write, e.g. WKS with an empty bitmap, HIP with names past 65,535 bytes)
            try {
                Message probe = new Message(0);
                probe.addRecord(response.getQuestion(), Section.QUESTION);
                data.toMessage(probe, t -> t).toWire();
            } catch (RuntimeException e) {
                LOG.debug("answer for {} cannot be encoded: {}", response.getQuestion(), e.toString());
                metrics.unusableAnswer("answer"); // counted once, as the bigger failure
                pending.complete(Outcome.FAILED);
                return;
            }
        }
        if (cacheFailure != null) {
            LOG.debug("answer for {} not cached: {}", response.getQuestion(), cacheFailure.toString());
            metrics.unusableAnswer("cache");
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
            try {
                cache.put(key, new ResponseCache.Entry(CachedResponse.servfail(), servfailTtl, now, expiry));
            } catch (RuntimeException e) {
                metrics.unusableAnswer("cache");
            }
        }
        pending.complete(Outcome.FAILED);
    }

    /** The response to one waiting query; SERVFAIL (counted) if it cannot be built. */
    private Message respond(Message query, Outcome outcome) {
        try {
            if (outcome.stale != null) {
                metrics.staleServed();
                return outcome.stale.staleAnswer(query, config.staleAnswerTtl().getSeconds());
            }
            if (outcome.response == null) {
                return error(query, Rcode.SERVFAIL);
            }
            long cap = outcome.ttl > 0 ? outcome.ttl : config.maxTtl().getSeconds();
            return outcome.response.toMessage(query, t -> Math.min(t, cap));
        } catch (RuntimeException e) {
            metrics.unusableAnswer("answer");
            return error(query, Rcode.SERVFAIL);
        }
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
