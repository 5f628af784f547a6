package dev.zonekeeper.dns.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The DNS server's meters. What every query touches (queries by type and transport, responses by rcode, the latency
 * histogram, answer-cache hits and misses) is counted in plain {@code long} fields of a per-thread {@link Stripe}
 * (one per Netty event-loop thread; other threads share one, under a lock) and summed only when {@code /metrics} is
 * scraped, through Micrometer {@link FunctionCounter}s and a Prometheus collector for the histogram. A query then
 * costs a few plain increments instead of {@code DoubleAdder} updates and a Micrometer {@code Timer} record, which
 * were the most sampled Java frames of the event loop. The exposed names, labels and buckets are those of the
 * Micrometer meters they replace. Rare events (bad input, drops, truncation) stay Micrometer counters.
 */
public final class DnsMetrics {
    /** Query types with a counter of their own; every other type counts as OTHER. */
    private static final int[] KNOWN_TYPES = {
        Type.A,
        Type.AAAA,
        Type.CNAME,
        Type.MX,
        Type.TXT,
        Type.SRV,
        Type.NS,
        Type.SOA,
        Type.PTR,
        Type.CAA,
        Type.ANY,
        Type.AXFR,
        Type.IXFR,
        Type.DS,
        Type.DNSKEY,
        Type.HTTPS,
        Type.SVCB
    };

    /** Why a packet was dropped or answered with an error before it reached a zone or the forwarder. */
    public enum BadInput {
        TOO_SHORT("too_short"),
        RESPONSE("qr_set"),
        MALFORMED("malformed"),
        QDCOUNT("bad_qdcount"),
        OPCODE("unknown_opcode"),
        CLASS("unknown_class"),
        EDNS_VERSION("bad_edns_version"),
        FORMAT("format_error"),
        TRANSFER("transfer_refused"),
        OVERSIZED_TCP("oversized_tcp"),
        TCP_LIMIT("tcp_connection_limit");

        final String tag;

        BadInput(String tag) {
            this.tag = tag;
        }
    }

    /** Why the server closed a DNS-over-TCP connection (or refused a new one). */
    public enum TcpClose {
        REFUSED_PER_CLIENT("refused_per_client"),
        REFUSED_TOTAL("refused_total"),
        EVICTED("evicted_idlest"),
        IO_TIMEOUT("io_timeout"),
        IDLE_TIMEOUT("idle_timeout"),
        UNREAD_ANSWERS("unread_answers");

        final String tag;

        TcpClose(String tag) {
            this.tag = tag;
        }
    }

    private static final int TYPES = KNOWN_TYPES.length + 1;
    private static final int RCODES = 24;
    /** Upper bounds of the latency histogram's buckets (the former Timer's service-level objectives). */
    private static final long[] BOUNDS_NANOS = {
        25_000, 50_000, 100_000, 250_000, 1_000_000, 5_000_000, 25_000_000, 100_000_000, 500_000_000, 2_000_000_000L
    };

    private static final String LATENCY = "zonekeeper_dns_request_duration_seconds";
    private static final String LATENCY_HELP = "Time from a query's arrival to its response being written";
    /** The latency maximum covers the last one to two windows (Micrometer's Timer max decayed over two minutes). */
    private static final long MAX_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final PrometheusMeterRegistry registry;
    private final List<Stripe> stripes = new CopyOnWriteArrayList<>();
    /** Threads that are not Netty's share this one, under its lock. */
    private final Stripe shared = new SharedStripe();

    private final FastThreadLocal<Stripe> local = new FastThreadLocal<>() {
        @Override
        protected Stripe initialValue() {
            Stripe s = new Stripe();
            stripes.add(s);
            return s;
        }
    };
    private final Counter[] badInput = new Counter[BadInput.values().length];
    private final Counter[] dropped = new Counter[BadInput.values().length];
    private final Counter truncated;
    private final Counter[] tcpClosed = new Counter[TcpClose.values().length];
    private final AtomicLong tcpConnections = new AtomicLong();
    /** Held here: a FunctionCounter holds its object weakly. */
    private volatile java.util.function.LongSupplier answerCacheEvictions;

    private final Counter forwardShareRefused;
    /** Response rate limiting: [0] dropped, [1] slipped (sent truncated). */
    private final Counter[] rateLimited = new Counter[2];
    /** DNS cookies by verdict: [1] client cookie only, [2] valid server cookie, [3] invalid or stale server cookie. */
    private final Counter[] cookies = new Counter[4];

    private final Map<String, AtomicLong> zoneRecords = new ConcurrentHashMap<>();

    public DnsMetrics() {
        this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    public DnsMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
        stripes.add(shared);
        for (TransportKind transport : TransportKind.values()) {
            int t = transport.ordinal();
            for (int i = 0; i < TYPES; i++) {
                String type = i < KNOWN_TYPES.length ? Type.string(KNOWN_TYPES[i]) : "OTHER";
                int index = t * TYPES + i;
                counter(
                        "zonekeeper.dns.queries",
                        "DNS queries received, by query type and transport",
                        s -> s.queries[index],
                        "type",
                        type,
                        "transport",
                        transport.tag);
            }
        }
        for (int r = 0; r <= RCODES; r++) {
            int index = r;
            counter(
                    "zonekeeper.dns.responses",
                    "DNS responses sent, by rcode",
                    s -> s.responses[index],
                    "rcode",
                    r < RCODES ? Rcode.string(r) : "OTHER");
        }
        registry.getPrometheusRegistry().register(new LatencyCollector());
        for (BadInput b : BadInput.values()) {
            badInput[b.ordinal()] = Counter.builder("zonekeeper.dns.malformed")
                    .description("Bad packets answered with an error rcode, by reason")
                    .tag("reason", b.tag)
                    .register(registry);
            dropped[b.ordinal()] = Counter.builder("zonekeeper.dns.dropped")
                    .description("Packets dropped without an answer, by reason")
                    .tag("reason", b.tag)
                    .register(registry);
        }
        String cache = "Authoritative answers served from pre-encoded bytes (hit) or built (miss)";
        counter("zonekeeper.dns.answer.cache", cache, s -> s.hits, "result", "hit");
        counter("zonekeeper.dns.answer.cache", cache, s -> s.misses, "result", "miss");
        truncated = Counter.builder("zonekeeper.dns.truncated")
                .description("UDP responses sent with TC set because the answer did not fit")
                .register(registry);
        for (TcpClose c : TcpClose.values()) {
            tcpClosed[c.ordinal()] = Counter.builder("zonekeeper.dns.tcp.closed")
                    .description("DNS-over-TCP connections closed or refused by the server, by reason")
                    .tag("reason", c.tag)
                    .register(registry);
        }
        Gauge.builder("zonekeeper.dns.tcp.connections", tcpConnections, AtomicLong::get)
                .description("DNS-over-TCP connections open")
                .register(registry);
        // the forwarder's own limits count under the same name (ForwarderMeters), with their reasons
        forwardShareRefused = Counter.builder("zonekeeper.dns.forward.rejected")
                .description(
                        "Forwarded queries answered REFUSED at once: too many questions in flight, or waiters for one")
                .tag("reason", "per_network")
                .register(registry);
        String[] actions = {"dropped", "slipped"};
        for (int i = 0; i < actions.length; i++) {
            rateLimited[i] = Counter.builder("zonekeeper.dns.rrl")
                    .description("UDP responses over the rate limit: dropped, or sent truncated (slipped)")
                    .tag("action", actions[i])
                    .register(registry);
        }
        String[] verdicts = {null, "client_only", "valid", "invalid"};
        for (int i = 1; i < verdicts.length; i++) {
            cookies[i] = Counter.builder("zonekeeper.dns.cookies")
                    .description("Queries with a DNS cookie, by verdict on the server cookie they carried")
                    .tag("result", verdicts[i])
                    .register(registry);
        }
    }

    /** A counter whose value is the sum of one field over the stripes, read when scraped. */
    private void counter(String name, String description, ToLongFunction<Stripe> field, String... tags) {
        FunctionCounter.builder(name, stripes, list -> {
                    long sum = 0;
                    for (Stripe s : list) {
                        sum += field.applyAsLong(s);
                    }
                    return sum;
                })
                .description(description)
                .tags(tags)
                .register(registry);
    }

    /** The calling thread's stripe: its own on a Netty thread, else the shared one (which locks itself). */
    private Stripe stripe() {
        return Thread.currentThread() instanceof FastThreadLocalThread ? local.get() : shared;
    }

    public MeterRegistry registry() {
        return registry;
    }

    public String scrape() {
        return registry.scrape();
    }

    public void query(TransportKind transport, int qtype) {
        stripe().query(transport.ordinal() * TYPES + typeIndex(qtype));
    }

    private static int typeIndex(int qtype) {
        for (int i = 0; i < KNOWN_TYPES.length; i++) {
            if (KNOWN_TYPES[i] == qtype) {
                return i;
            }
        }
        return KNOWN_TYPES.length;
    }

    public void response(int rcode, long startNanos) {
        long now = System.nanoTime();
        stripe().response(rcode >= 0 && rcode < RCODES ? rcode : RCODES, now, now - startNanos);
    }

    public void badInput(BadInput reason) {
        badInput[reason.ordinal()].increment();
    }

    public void dropped(BadInput reason) {
        dropped[reason.ordinal()].increment();
    }

    public void fastPath(boolean hit) {
        stripe().fastPath(hit);
    }

    public void truncated() {
        truncated.increment();
    }

    public void tcpClosed(TcpClose reason) {
        tcpClosed[reason.ordinal()].increment();
    }

    /** Reports the pre-encoded answer cache's size in bytes and its evictions (read when scraped). */
    public void answerCache(java.util.function.LongSupplier bytes, java.util.function.LongSupplier evictions) {
        Gauge.builder("zonekeeper.dns.answer.cache.bytes", bytes, b -> (double) b.getAsLong())
                .description("Bytes the pre-encoded authoritative answers take, as counted against --answer-cache-mib")
                .strongReference(true)
                .register(registry);
        FunctionCounter.builder("zonekeeper.dns.answer.cache.evictions", evictions, e -> (double) e.getAsLong())
                .description("Pre-encoded answers evicted to stay within --answer-cache-mib")
                .register(registry);
        answerCacheEvictions = evictions;
    }

    /** A DNS-over-TCP connection was admitted (+1) or closed (-1). */
    public void tcpConnections(int delta) {
        tcpConnections.addAndGet(delta);
    }

    /** A query REFUSED because its client network had its share of the forwarder already (--max-concurrent-per-network). */
    public void forwardShareRefused() {
        forwardShareRefused.increment();
    }

    /** A UDP response over the rate limit: sent truncated ({@code slipped}) or dropped. */
    public void rateLimited(boolean slipped) {
        rateLimited[slipped ? 1 : 0].increment();
    }

    /** A query's cookie: 1 client cookie only, 2 valid server cookie, 3 invalid server cookie. */
    public void cookie(int verdict) {
        if (verdict >= 1 && verdict <= 3) {
            cookies[verdict].increment();
        }
    }

    /** Sets the record count of a zone (a gauge per zone). */
    public void zoneRecords(String zone, long records) {
        zoneRecords
                .computeIfAbsent(zone, z -> {
                    AtomicLong v = new AtomicLong();
                    Gauge.builder("zonekeeper.dns.zone.records", v, AtomicLong::get)
                            .description("Records in each served zone")
                            .tag("zone", z)
                            .register(registry);
                    return v;
                })
                .set(records);
    }

    private final Map<String, AtomicLong> recordsRefused = new ConcurrentHashMap<>();

    /**
     * Sets how many records files the last load of {@code --records} refused for a limit ({@code file_too_large},
     * {@code over_record_limit}): a gauge, since every reload reads the directory again.
     */
    public void recordsFilesRefused(String reason, long files) {
        recordsRefused
                .computeIfAbsent(reason, r -> {
                    AtomicLong v = new AtomicLong();
                    Gauge.builder("zonekeeper.dns.records.refused.files", v, AtomicLong::get)
                            .description("Records files refused by the last load for a size or record-count limit")
                            .tag("reason", r)
                            .register(registry);
                    return v;
                })
                .set(files);
    }

    /** Buckets of the update latency: an update waits for a store and a reload, milliseconds to seconds. */
    private static final java.time.Duration[] UPDATE_BUCKETS = {
        java.time.Duration.ofMillis(1),
        java.time.Duration.ofMillis(5),
        java.time.Duration.ofMillis(10),
        java.time.Duration.ofMillis(25),
        java.time.Duration.ofMillis(50),
        java.time.Duration.ofMillis(100),
        java.time.Duration.ofMillis(250),
        java.time.Duration.ofMillis(500),
        java.time.Duration.ofSeconds(1),
        java.time.Duration.ofMillis(2500),
        java.time.Duration.ofSeconds(5),
        java.time.Duration.ofSeconds(10)
    };

    /**
     * One dynamic update answered here (standalone mode): {@code zonekeeper_updates_total{result,zone}} and the time
     * from receipt to the answer, {@code zonekeeper_update_duration_seconds{result}}. {@code zone} must come from a
     * bounded set (the served zones, or "none"): the caller never passes a name a client chose.
     */
    public void update(String zone, String result, long nanos) {
        Counter.builder("zonekeeper.updates")
                .description("Dynamic updates (RFC 2136) answered, by result and zone")
                .tag("result", result)
                .tag("zone", zone)
                .register(registry)
                .increment();
        io.micrometer.core.instrument.Timer.builder("zonekeeper.update.duration")
                .description("Time from an update's arrival to its answer (applied and served, or refused)")
                .tag("result", result)
                .serviceLevelObjectives(UPDATE_BUCKETS)
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * One update a sidecar forwarded to its primary (RFC 2136 section 6), by outcome: {@code relayed} (the primary's
     * answer went back), {@code refused_overload} (too many in flight: REFUSED), {@code primary_failed} (unreachable,
     * timed out or answered nonsense: SERVFAIL); with the time to the answer.
     */
    public void updateForwarded(String outcome, long nanos) {
        Counter.builder("zonekeeper.updates.forwarded")
                .description("Dynamic updates a sidecar forwarded to its primary, by outcome")
                .tag("outcome", outcome)
                .register(registry)
                .increment();
        io.micrometer.core.instrument.Timer.builder("zonekeeper.update.duration")
                .description("Time from an update's arrival to its answer (applied and served, or refused)")
                .tag("result", "forwarded_" + outcome)
                .serviceLevelObjectives(UPDATE_BUCKETS)
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * One TSIG-signed AXFR on the DNS port (an update key listing its zone), by outcome: {@code relayed} or
     * {@code served} (complete), {@code refused} (no policy key, bad signature), {@code refused_overload},
     * {@code primary_failed}, {@code aborted} (cut off midway).
     */
    public void updateTransfer(String outcome) {
        Counter.builder("zonekeeper.update.transfers")
                .description("TSIG-signed zone transfers on the DNS port, by outcome")
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    private final AtomicLong policiesRejected = new AtomicLong();
    private volatile boolean policiesGauge;

    /** Sets how many {@code DnsUpdatePolicy} documents the last load of {@code --records} refused (a gauge). */
    public void updatePoliciesRejected(long documents) {
        if (!policiesGauge) {
            policiesGauge = true;
            Gauge.builder("zonekeeper.dns.update.policies.rejected", policiesRejected, AtomicLong::get)
                    .description("DnsUpdatePolicy documents under --records refused by the last load (see the log)")
                    .register(registry);
        }
        policiesRejected.set(documents);
    }

    /** Counters read back in tests and logs. */
    public double count(String name, String... tags) {
        Meter m = registry.find(name).tags(tags).meter();
        if (m instanceof Counter c) {
            return c.count();
        }
        return m instanceof FunctionCounter f ? f.count() : 0;
    }

    /** Every counter of that name ({@link Counter} or {@link FunctionCounter}) by its tags, read back in tests. */
    public Map<List<Tag>, Double> counts(String name) {
        Map<List<Tag>, Double> counts = new LinkedHashMap<>();
        for (Meter m : registry.find(name).meters()) {
            if (m instanceof Counter c) {
                counts.put(m.getId().getTags(), c.count());
            } else if (m instanceof FunctionCounter f) {
                counts.put(m.getId().getTags(), f.count());
            }
        }
        return counts;
    }

    /**
     * One thread's counts. Written by its thread only (or under its lock when shared), read when scraped: longs are
     * written whole on the 64-bit JVMs we run on, so a scrape sees each count as it was at some recent moment.
     */
    static class Stripe {
        final long[] queries = new long[TransportKind.values().length * TYPES];
        final long[] responses = new long[RCODES + 1];
        /** Responses per latency bucket, not cumulative; the last one is above the highest bound. */
        final long[] buckets = new long[BOUNDS_NANOS.length + 1];

        long latencyNanos;
        long hits;
        long misses;
        long max;
        long previousMax;
        long windowEnd = System.nanoTime() + MAX_WINDOW_NANOS;

        void query(int index) {
            queries[index]++;
        }

        void response(int rcodeIndex, long now, long nanos) {
            responses[rcodeIndex]++;
            int b = 0;
            while (b < BOUNDS_NANOS.length && nanos > BOUNDS_NANOS[b]) {
                b++;
            }
            buckets[b]++;
            latencyNanos += nanos;
            if (now - windowEnd >= 0) {
                previousMax = now - windowEnd < MAX_WINDOW_NANOS ? max : 0;
                max = 0;
                windowEnd = now + MAX_WINDOW_NANOS;
            }
            if (nanos > max) {
                max = nanos;
            }
        }

        void fastPath(boolean hit) {
            if (hit) {
                hits++;
            } else {
                misses++;
            }
        }

        /** Adds this stripe's bucket counts to {@code counts}; returns its latency sum. */
        long addBuckets(long[] counts) {
            for (int i = 0; i < counts.length; i++) {
                counts[i] += buckets[i];
            }
            return latencyNanos;
        }

        /** The largest latency of the last one to two windows, as seen at {@code now}. */
        long max(long now) {
            long end = windowEnd;
            long current = max;
            long previous = previousMax;
            if (now - end < 0) {
                return Math.max(current, previous);
            }
            return now - end < MAX_WINDOW_NANOS ? current : 0;
        }
    }

    /** The stripe of the threads that are not Netty's: every access under its lock. */
    static final class SharedStripe extends Stripe {
        @Override
        synchronized void query(int index) {
            super.query(index);
        }

        @Override
        synchronized void response(int rcodeIndex, long now, long nanos) {
            super.response(rcodeIndex, now, nanos);
        }

        @Override
        synchronized void fastPath(boolean hit) {
            super.fastPath(hit);
        }

        @Override
        synchronized long addBuckets(long[] counts) {
            return super.addBuckets(counts);
        }

        @Override
        synchronized long max(long now) {
            return super.max(now);
        }
    }

    /** The latency histogram and its maximum, summed over the stripes when scraped. */
    private final class LatencyCollector implements MultiCollector {
        private final double[] bounds = new double[BOUNDS_NANOS.length + 1];

        LatencyCollector() {
            for (int i = 0; i < BOUNDS_NANOS.length; i++) {
                bounds[i] = BOUNDS_NANOS[i] / 1e9;
            }
            bounds[BOUNDS_NANOS.length] = Double.POSITIVE_INFINITY;
        }

        @Override
        public MetricSnapshots collect() {
            long[] counts = new long[bounds.length];
            long nanos = 0;
            long max = 0;
            long now = System.nanoTime();
            for (Stripe s : stripes) {
                nanos += s.addBuckets(counts);
                max = Math.max(max, s.max(now));
            }
            HistogramSnapshot histogram = HistogramSnapshot.builder()
                    .name(LATENCY)
                    .help(LATENCY_HELP)
                    .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                            .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, counts))
                            .sum(nanos / 1e9)
                            .build())
                    .build();
            GaugeSnapshot maximum = GaugeSnapshot.builder()
                    .name(LATENCY + "_max")
                    .help(LATENCY_HELP)
                    .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                            .value(max / 1e9)
                            .build())
                    .build();
            return new MetricSnapshots(histogram, maximum);
        }

        @Override
        public List<String> getPrometheusNames() {
            return List.of(LATENCY, LATENCY + "_max");
        }
    }
}
