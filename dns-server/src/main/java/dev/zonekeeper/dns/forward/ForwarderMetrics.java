package dev.zonekeeper.dns.forward;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Events of the forwarder, for metrics. Implementations must be thread-safe and fast: they are called on Netty event
 * loops. Every method has a no-op default, so an implementation overrides only what it records.
 */
public interface ForwarderMetrics {

    /** Records nothing. */
    ForwarderMetrics NOOP = new ForwarderMetrics() {};

    /** A query was answered from a fresh cache entry. */
    default void cacheHit() {}

    /** A query found no fresh cache entry and went (or joined a query already going) upstream. */
    default void cacheMiss() {}

    /** Every upstream failed and an expired cache entry was served (RFC 8767). */
    default void staleServed() {}

    /** An upstream gave a usable answer after {@code latency} (UDP plus, after TC, the TCP retry). */
    default void upstreamLatency(InetSocketAddress upstream, Duration latency) {}

    /** A try against {@code upstream} failed, or (for {@link FailureReason#MISMATCH}) a datagram was dropped. */
    default void upstreamFailure(InetSocketAddress upstream, FailureReason reason) {}

    /** An upstream was marked unhealthy ({@code healthy == false}) or recovered. */
    default void upstreamHealthChanged(InetSocketAddress upstream, boolean healthy) {}

    /** A UDP answer had TC set and the question was retried over TCP. */
    default void tcpRetry(InetSocketAddress upstream) {}

    /** A datagram on an upstream socket matching no query there, from an address that is not an upstream. */
    default void strayDatagram() {}

    /**
     * An upstream answer that could not be used as it came: {@code stage} is "cache" (it could not be encoded or
     * stored for the cache, so it is passed on uncached), or "answer" (it could not be built or encoded for the
     * client, who gets SERVFAIL). Either way every waiting query is answered and the next query asks again.
     */
    default void unusableAnswer(String stage) {}

    /** A question in flight was ended by the per-request deadline (its waiting queries answered SERVFAIL). */
    default void deadlineExpired() {}

    /**
     * A query was refused at once: {@code reason} "max_concurrent" (that many distinct questions already in flight
     * upstream), "max_waiters" (that many queries already wait for the same question) or "max_waiting" (that many
     * queries already wait for upstream answers in all).
     */
    default void rejected(String reason) {}

    /** {@code count} records of an upstream answer's {@code section} ("answer", "authority", "additional") dropped. */
    default void scrubbed(String section, int count) {}

    /**
     * Called once by the forwarder with live views of its state, for gauges: bytes and entries of the cache,
     * questions in flight, open upstream UDP sockets.
     */
    default void gauges(
            java.util.function.LongSupplier cacheBytes,
            java.util.function.LongSupplier cacheEntries,
            java.util.function.LongSupplier inflight,
            java.util.function.LongSupplier udpSockets) {}
}
