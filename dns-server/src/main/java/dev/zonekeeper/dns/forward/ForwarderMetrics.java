package dev.zonekeeper.dns.forward;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Events of the forwarder, for metrics. Implementations must be thread-safe and fast: they are called on Netty event
 * loops. Every method has a no-op default, so an implementation overrides only what it records.
 */
public interface ForwarderMetrics {

    /** Records nothing. */
    ForwarderMetrics NOOP = new ForwarderMetrics() {
    };

    /** A query was answered from a fresh cache entry. */
    default void cacheHit() {
    }

    /** A query found no fresh cache entry and went (or joined a query already going) upstream. */
    default void cacheMiss() {
    }

    /** Every upstream failed and an expired cache entry was served (RFC 8767). */
    default void staleServed() {
    }

    /** An upstream gave a usable answer after {@code latency} (UDP plus, after TC, the TCP retry). */
    default void upstreamLatency(InetSocketAddress upstream, Duration latency) {
    }

    /** A try against {@code upstream} failed, or (for {@link FailureReason#MISMATCH}) a datagram was dropped. */
    default void upstreamFailure(InetSocketAddress upstream, FailureReason reason) {
    }

    /** An upstream was marked unhealthy ({@code healthy == false}) or recovered. */
    default void upstreamHealthChanged(InetSocketAddress upstream, boolean healthy) {
    }

    /** A UDP answer had TC set and the question was retried over TCP. */
    default void tcpRetry(InetSocketAddress upstream) {
    }
}
