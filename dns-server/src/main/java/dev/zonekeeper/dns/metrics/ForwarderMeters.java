package dev.zonekeeper.dns.metrics;

import dev.zonekeeper.dns.forward.FailureReason;
import dev.zonekeeper.dns.forward.ForwarderMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The forwarder's events as Micrometer meters: cache results, upstream latency, failures and health. */
public final class ForwarderMeters implements ForwarderMetrics {
    private final MeterRegistry registry;
    private final Counter hits;
    private final Counter misses;
    private final Counter stale;
    private final Map<InetSocketAddress, Timer> latency = new ConcurrentHashMap<>();
    private final Map<String, Counter> failures = new ConcurrentHashMap<>();
    private final Map<InetSocketAddress, AtomicInteger> health = new ConcurrentHashMap<>();
    private final Map<String, Counter> tagged = new ConcurrentHashMap<>();
    private final Counter deadline;
    private final Counter stray;

    public ForwarderMeters(MeterRegistry registry) {
        this.registry = registry;
        hits = cache("hit");
        misses = cache("miss");
        stale = cache("stale");
        deadline = Counter.builder("zonekeeper.dns.forward.deadline.expired")
                .description("Questions in flight ended by the per-request deadline (their queries got SERVFAIL)")
                .register(registry);
        stray = Counter.builder("zonekeeper.dns.forward.stray.datagrams")
                .description("Datagrams on upstream sockets matching no query, from addresses that are not upstreams")
                .register(registry);
    }

    private Counter tagged(String name, String description, String tag, String value) {
        return tagged.computeIfAbsent(
                name + "|" + value,
                k -> Counter.builder(name)
                        .description(description)
                        .tag(tag, value)
                        .register(registry));
    }

    @Override
    public void unusableAnswer(String stage) {
        tagged(
                        "zonekeeper.dns.forward.unusable.answers",
                        "Upstream answers that could not be cached (stage=cache, passed on) or encoded (stage=answer)",
                        "stage",
                        stage)
                .increment();
    }

    @Override
    public void deadlineExpired() {
        deadline.increment();
    }

    @Override
    public void rejected(String reason) {
        tagged(
                        "zonekeeper.dns.forward.rejected",
                        "Forwarded queries answered REFUSED at once: too many questions in flight, or waiters for one",
                        "reason",
                        reason)
                .increment();
    }

    @Override
    public void scrubbed(String section, int count) {
        tagged(
                        "zonekeeper.dns.forward.scrubbed.records",
                        "Upstream records dropped before caching: out of bailiwick, off the CNAME chain, or in our zones",
                        "section",
                        section)
                .increment(count);
    }

    @Override
    public void strayDatagram() {
        stray.increment();
    }

    @Override
    public void gauges(
            java.util.function.LongSupplier cacheBytes,
            java.util.function.LongSupplier cacheEntries,
            java.util.function.LongSupplier inflight,
            java.util.function.LongSupplier udpSockets) {
        gauge("zonekeeper.dns.forward.cache.bytes", cacheBytes, "Estimated bytes held by the forwarder cache");
        gauge("zonekeeper.dns.forward.cache.entries", cacheEntries, "Responses in the forwarder cache");
        gauge("zonekeeper.dns.forward.inflight", inflight, "Distinct questions in flight upstream");
        gauge("zonekeeper.dns.forward.upstream.sockets", udpSockets, "Open upstream UDP sockets (pool and draining)");
    }

    private Counter cache(String result) {
        return Counter.builder("zonekeeper.dns.forward.cache")
                .tag("result", result)
                .description("Forwarded queries answered from the cache (hit), upstream (miss), or stale (RFC 8767)")
                .register(registry);
    }

    private static String name(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    @Override
    public void cacheHit() {
        hits.increment();
    }

    @Override
    public void cacheMiss() {
        misses.increment();
    }

    @Override
    public void staleServed() {
        stale.increment();
    }

    /** A gauge reading {@code value}, held strongly (Micrometer's default weak reference would lose the lambda). */
    private void gauge(String name, java.util.function.LongSupplier value, String description) {
        io.micrometer.core.instrument.Gauge.builder(name, value, v -> v.getAsLong())
                .description(description)
                .strongReference(true)
                .register(registry);
    }

    @Override
    public void upstreamLatency(InetSocketAddress upstream, Duration d) {
        latency.computeIfAbsent(
                        upstream,
                        u -> Timer.builder("zonekeeper.dns.upstream.duration")
                                .description("Upstream query round-trip time")
                                .tag("upstream", name(u))
                                .serviceLevelObjectives(
                                        Duration.ofMillis(1),
                                        Duration.ofMillis(5),
                                        Duration.ofMillis(25),
                                        Duration.ofMillis(100),
                                        Duration.ofMillis(500),
                                        Duration.ofSeconds(2))
                                .register(registry))
                .record(d);
    }

    @Override
    public void upstreamFailure(InetSocketAddress upstream, FailureReason reason) {
        String key = name(upstream) + "|" + reason;
        failures.computeIfAbsent(
                        key,
                        k -> Counter.builder("zonekeeper.dns.upstream.failures")
                                .description("Failed upstream tries, by upstream and reason")
                                .tag("upstream", name(upstream))
                                .tag("reason", reason.name().toLowerCase(java.util.Locale.ROOT))
                                .register(registry))
                .increment();
    }

    @Override
    public void upstreamHealthChanged(InetSocketAddress upstream, boolean healthy) {
        health.computeIfAbsent(upstream, u -> {
                    AtomicInteger v = new AtomicInteger(1);
                    io.micrometer.core.instrument.Gauge.builder(
                                    "zonekeeper.dns.upstream.healthy", v, AtomicInteger::get)
                            .description("1 while the upstream is considered healthy")
                            .tag("upstream", name(u))
                            .register(registry);
                    return v;
                })
                .set(healthy ? 1 : 0);
    }
}
