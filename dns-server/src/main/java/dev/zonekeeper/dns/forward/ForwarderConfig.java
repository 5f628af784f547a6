package dev.zonekeeper.dns.forward;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Settings of the {@link Forwarder}. Invalid values fail at construction with a message naming the setting.
 *
 * @param upstreams       servers to forward to, tried in {@code policy} order; default: the nameservers of
 *                        /etc/resolv.conf
 * @param timeout         how long one try against one upstream may take (UDP, plus TCP after TC); default 2 s
 * @param cacheMaxEntries bound on cached responses, least recently used evicted first; 0 disables the cache;
 *                        default 10000
 * @param serveStale      whether expired entries are kept for {@code staleWindow} and served when every upstream
 *                        fails (RFC 8767); default true
 * @param staleWindow     how long past expiry an entry may still be served stale; default 1 day (RFC 8767 suggests
 *                        1 to 3 days)
 * @param staleAnswerTtl  the TTL of records in a stale answer; default 30 s (RFC 8767 section 4)
 * @param minTtl          lower bound on how long a response is cached; default 0
 * @param maxTtl          upper bound on how long a response is cached, positive or negative; default 1 h
 * @param servfailTtl     how long an all-upstreams-failed SERVFAIL is cached; 0 (the default) means not cached;
 *                        at most 5 min (RFC 2308 section 7.1)
 * @param maxFails        consecutive failed tries after which an upstream is unhealthy; default 2
 * @param healthBackoff   how often an unhealthy upstream is probed with a real query; default 10 s
 * @param policy          try order; default {@link UpstreamPolicy#sequential()}
 * @param ednsPayloadSize the UDP payload size advertised upstream when the client used EDNS; default 1232
 * @param cacheMaxBytes   bound on the cache's estimated memory (stored records, their wire form, per-entry
 *                        overhead), least recently used evicted first; default 32 MiB (the chart's sidecar has 256 MiB)
 * @param maxConcurrent   bound on distinct questions in flight upstream; a query for another question beyond it is
 *                        answered REFUSED at once (as CoreDNS's forward {@code max_concurrent}); default 1000
 * @param maxWaiters      bound on queries waiting for one question in flight; beyond it REFUSED; default 1000
 * @param maxWaiting      bound on all queries waiting for upstream answers (each holds its parsed query, about
 *                        1 KB); beyond it REFUSED; default 10000
 * @param udpSockets      upstream UDP sockets kept open, each on a random port, queries multiplexed over them by
 *                        random ID and question; default 32
 * @param udpSocketUses   queries sent from one UDP socket before it is replaced by one on a fresh random port
 *                        (source-port entropy against spoofing); default 256
 * @param servedZones     our own zones: upstream records for names in them are never passed on (a forged
 *                        {@code www.<our zone>}), except under {@code fallthrough}; default none
 * @param fallthrough     names under served zones whose answers do come from upstream; default none
 * @param requestDeadline how long one question may stay in flight before its waiting queries are answered SERVFAIL,
 *                        whatever happens to the tries: a safety net, so the in-flight map cannot grow if a
 *                        completion is ever lost; default (null) every upstream once, UDP then TCP, plus a second:
 *                        {@code 2 x timeout x upstreams + 1 s}
 */
public record ForwarderConfig(
        List<InetSocketAddress> upstreams,
        Duration timeout,
        int cacheMaxEntries,
        boolean serveStale,
        Duration staleWindow,
        Duration staleAnswerTtl,
        Duration minTtl,
        Duration maxTtl,
        Duration servfailTtl,
        int maxFails,
        Duration healthBackoff,
        UpstreamPolicy policy,
        int ednsPayloadSize,
        long cacheMaxBytes,
        int maxConcurrent,
        int maxWaiters,
        int udpSockets,
        int udpSocketUses,
        List<org.xbill.DNS.Name> servedZones,
        List<org.xbill.DNS.Name> fallthrough,
        Duration requestDeadline,
        int maxWaiting) {

    public ForwarderConfig {
        Objects.requireNonNull(upstreams, "upstreams");
        if (upstreams.isEmpty()) {
            throw new IllegalArgumentException("forward upstreams: at least one upstream is required");
        }
        for (InetSocketAddress upstream : upstreams) {
            if (upstream == null || upstream.isUnresolved() || upstream.getPort() == 0) {
                throw new IllegalArgumentException(
                        "forward upstreams: " + upstream + " is not an IP address with a port");
            }
        }
        upstreams = List.copyOf(upstreams);
        positive("timeout", timeout);
        if (cacheMaxEntries < 0) {
            throw new IllegalArgumentException("forward cacheMaxEntries must be >= 0, got " + cacheMaxEntries);
        }
        notNegative("staleWindow", staleWindow);
        notNegative("staleAnswerTtl", staleAnswerTtl);
        notNegative("minTtl", minTtl);
        notNegative("maxTtl", maxTtl);
        if (minTtl.compareTo(maxTtl) > 0) {
            throw new IllegalArgumentException("forward minTtl " + minTtl + " is above maxTtl " + maxTtl);
        }
        notNegative("servfailTtl", servfailTtl);
        if (servfailTtl.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException(
                    "forward servfailTtl must be at most 5 minutes (RFC 2308 section 7.1), got " + servfailTtl);
        }
        if (maxFails < 1) {
            throw new IllegalArgumentException("forward maxFails must be >= 1, got " + maxFails);
        }
        positive("healthBackoff", healthBackoff);
        Objects.requireNonNull(policy, "forward policy");
        if (ednsPayloadSize < 512 || ednsPayloadSize > 65535) {
            throw new IllegalArgumentException(
                    "forward ednsPayloadSize must be between 512 and 65535, got " + ednsPayloadSize);
        }
        if (cacheMaxBytes < 0) {
            throw new IllegalArgumentException("forward cacheMaxBytes must be >= 0, got " + cacheMaxBytes);
        }
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("forward maxConcurrent must be >= 1, got " + maxConcurrent);
        }
        if (maxWaiters < 1) {
            throw new IllegalArgumentException("forward maxWaiters must be >= 1, got " + maxWaiters);
        }
        if (maxWaiting < 1) {
            throw new IllegalArgumentException("forward maxWaiting must be >= 1, got " + maxWaiting);
        }
        if (udpSockets < 1 || udpSockets > 1024) {
            throw new IllegalArgumentException("forward udpSockets must be between 1 and 1024, got " + udpSockets);
        }
        if (udpSocketUses < 1) {
            throw new IllegalArgumentException("forward udpSocketUses must be >= 1, got " + udpSocketUses);
        }
        servedZones = List.copyOf(Objects.requireNonNull(servedZones, "forward servedZones"));
        fallthrough = List.copyOf(Objects.requireNonNull(fallthrough, "forward fallthrough"));
        if (requestDeadline == null) {
            requestDeadline = timeout.multipliedBy(2L * upstreams.size()).plusSeconds(1);
        }
        positive("requestDeadline", requestDeadline);
    }

    public static Builder builder() {
        return new Builder();
    }

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, "forward " + name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("forward " + name + " must be positive, got " + d);
        }
    }

    private static void notNegative(String name, Duration d) {
        Objects.requireNonNull(d, "forward " + name);
        if (d.isNegative()) {
            throw new IllegalArgumentException("forward " + name + " must not be negative, got " + d);
        }
    }

    /** Builder with the documented defaults. */
    public static final class Builder {
        private List<InetSocketAddress> upstreams;
        private Duration timeout = Duration.ofSeconds(2);
        private int cacheMaxEntries = 10_000;
        private boolean serveStale = true;
        private Duration staleWindow = Duration.ofDays(1);
        private Duration staleAnswerTtl = Duration.ofSeconds(30);
        private Duration minTtl = Duration.ZERO;
        private Duration maxTtl = Duration.ofHours(1);
        private Duration servfailTtl = Duration.ZERO;
        private int maxFails = 2;
        private Duration healthBackoff = Duration.ofSeconds(10);
        private UpstreamPolicy policy = UpstreamPolicy.sequential();
        private int ednsPayloadSize = 1232;
        private long cacheMaxBytes = 32L << 20;
        private int maxConcurrent = 1000;
        private int maxWaiters = 1000;
        private int udpSockets = 32;
        private int udpSocketUses = 256;
        private List<org.xbill.DNS.Name> servedZones = List.of();
        private List<org.xbill.DNS.Name> fallthrough = List.of();
        private Duration requestDeadline;
        private int maxWaiting = 10_000;

        private Builder() {}

        public Builder maxWaiting(int maxWaiting) {
            this.maxWaiting = maxWaiting;
            return this;
        }

        /** Null (the default): derived from the timeout and the number of upstreams. */
        public Builder requestDeadline(Duration requestDeadline) {
            this.requestDeadline = requestDeadline;
            return this;
        }

        public Builder cacheMaxBytes(long cacheMaxBytes) {
            this.cacheMaxBytes = cacheMaxBytes;
            return this;
        }

        public Builder maxConcurrent(int maxConcurrent) {
            this.maxConcurrent = maxConcurrent;
            return this;
        }

        public Builder maxWaiters(int maxWaiters) {
            this.maxWaiters = maxWaiters;
            return this;
        }

        public Builder udpSockets(int udpSockets) {
            this.udpSockets = udpSockets;
            return this;
        }

        public Builder udpSocketUses(int udpSocketUses) {
            this.udpSocketUses = udpSocketUses;
            return this;
        }

        public Builder servedZones(List<org.xbill.DNS.Name> servedZones) {
            this.servedZones = servedZones;
            return this;
        }

        public Builder fallthrough(List<org.xbill.DNS.Name> fallthrough) {
            this.fallthrough = fallthrough;
            return this;
        }

        public Builder upstreams(List<InetSocketAddress> upstreams) {
            this.upstreams = upstreams;
            return this;
        }

        public Builder upstreams(InetSocketAddress... upstreams) {
            this.upstreams = List.of(upstreams);
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Builder cacheMaxEntries(int cacheMaxEntries) {
            this.cacheMaxEntries = cacheMaxEntries;
            return this;
        }

        public Builder serveStale(boolean serveStale) {
            this.serveStale = serveStale;
            return this;
        }

        public Builder staleWindow(Duration staleWindow) {
            this.staleWindow = staleWindow;
            return this;
        }

        public Builder staleAnswerTtl(Duration staleAnswerTtl) {
            this.staleAnswerTtl = staleAnswerTtl;
            return this;
        }

        public Builder minTtl(Duration minTtl) {
            this.minTtl = minTtl;
            return this;
        }

        public Builder maxTtl(Duration maxTtl) {
            this.maxTtl = maxTtl;
            return this;
        }

        public Builder servfailTtl(Duration servfailTtl) {
            this.servfailTtl = servfailTtl;
            return this;
        }

        public Builder maxFails(int maxFails) {
            this.maxFails = maxFails;
            return this;
        }

        public Builder healthBackoff(Duration healthBackoff) {
            this.healthBackoff = healthBackoff;
            return this;
        }

        public Builder policy(UpstreamPolicy policy) {
            this.policy = policy;
            return this;
        }

        public Builder ednsPayloadSize(int ednsPayloadSize) {
            this.ednsPayloadSize = ednsPayloadSize;
            return this;
        }

        /** The config; reads /etc/resolv.conf if no upstreams were set. */
        public ForwarderConfig build() {
            List<InetSocketAddress> ups = upstreams != null ? upstreams : ResolvConf.defaultUpstreams();
            return new ForwarderConfig(
                    ups,
                    timeout,
                    cacheMaxEntries,
                    serveStale,
                    staleWindow,
                    staleAnswerTtl,
                    minTtl,
                    maxTtl,
                    servfailTtl,
                    maxFails,
                    healthBackoff,
                    policy,
                    ednsPayloadSize,
                    cacheMaxBytes,
                    maxConcurrent,
                    maxWaiters,
                    udpSockets,
                    udpSocketUses,
                    servedZones,
                    fallthrough,
                    requestDeadline,
                    maxWaiting);
        }
    }
}
