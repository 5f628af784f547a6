package dev.zonekeeper.dns.forward;

import java.net.InetSocketAddress;

/**
 * One upstream server and its health. After {@code maxFails} consecutive failed tries it is unhealthy: it is tried
 * only after every healthy upstream, and once per backoff period the forwarder probes it in the background with the
 * question at hand. Any usable answer (a probe's or a query's) makes it healthy again. Thread-safe.
 */
public final class Upstream {
    private final InetSocketAddress address;
    private final int maxFails;
    private final long backoffNanos;

    private int consecutiveFailures;
    private long nextProbeAt;

    Upstream(InetSocketAddress address, int maxFails, long backoffNanos) {
        this.address = address;
        this.maxFails = maxFails;
        this.backoffNanos = backoffNanos;
    }

    public InetSocketAddress address() {
        return address;
    }

    public synchronized boolean healthy() {
        return consecutiveFailures < maxFails;
    }

    public synchronized int consecutiveFailures() {
        return consecutiveFailures;
    }

    /**
     * Whether a background probe of this unhealthy upstream is due; if so the probe is claimed (the next one is due a
     * backoff later), so concurrent queries do not all probe.
     */
    synchronized boolean claimProbe(long nowNanos) {
        if (consecutiveFailures < maxFails || nowNanos - nextProbeAt < 0) {
            return false;
        }
        nextProbeAt = nowNanos + backoffNanos;
        return true;
    }

    /** Records a usable answer; returns true if this made an unhealthy upstream healthy. */
    synchronized boolean recordSuccess() {
        boolean wasUnhealthy = consecutiveFailures >= maxFails;
        consecutiveFailures = 0;
        return wasUnhealthy;
    }

    /** Records a failed try; returns true if this made a healthy upstream unhealthy. */
    synchronized boolean recordFailure(long nowNanos) {
        consecutiveFailures++;
        if (consecutiveFailures >= maxFails) {
            nextProbeAt = nowNanos + backoffNanos;
        }
        return consecutiveFailures == maxFails;
    }

    @Override
    public synchronized String toString() {
        return address + (healthy() ? " healthy" : " unhealthy") + " (" + consecutiveFailures
                + " consecutive failures)";
    }
}
