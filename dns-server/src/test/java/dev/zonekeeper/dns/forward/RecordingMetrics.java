package dev.zonekeeper.dns.forward;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts forwarder events by name, for assertions. */
final class RecordingMetrics implements ForwarderMetrics {
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    int count(String name) {
        AtomicInteger c = counts.get(name);
        return c == null ? 0 : c.get();
    }

    int failures(InetSocketAddress upstream, FailureReason reason) {
        return count("failure " + upstream + " " + reason);
    }

    int latencies(InetSocketAddress upstream) {
        return count("latency " + upstream);
    }

    private void inc(String name) {
        counts.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void cacheHit() {
        inc("hit");
    }

    @Override
    public void cacheMiss() {
        inc("miss");
    }

    @Override
    public void staleServed() {
        inc("stale");
    }

    @Override
    public void upstreamLatency(InetSocketAddress upstream, Duration latency) {
        inc("latency " + upstream);
    }

    @Override
    public void upstreamFailure(InetSocketAddress upstream, FailureReason reason) {
        inc("failure " + upstream + " " + reason);
        inc("failure " + reason);
    }

    @Override
    public void upstreamHealthChanged(InetSocketAddress upstream, boolean healthy) {
        inc((healthy ? "healthy " : "unhealthy ") + upstream);
    }

    @Override
    public void tcpRetry(InetSocketAddress upstream) {
        inc("tcp " + upstream);
    }

    @Override
    public void unusableAnswer(String stage) {
        inc("unusable answer");
        inc("unusable " + stage);
    }

    @Override
    public void deadlineExpired() {
        inc("deadline");
    }

    @Override
    public void rejected(String reason) {
        inc("rejected " + reason);
    }

    @Override
    public void scrubbed(String section, int count) {
        for (int i = 0; i < count; i++) {
            inc("scrubbed " + section);
        }
    }

    @Override
    public void strayDatagram() {
        inc("stray");
    }

    @Override
    public String toString() {
        return counts.toString();
    }
}
