package dev.zonekeeper.dns.forward;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The order in which upstreams are tried for one query, before health is applied (the forwarder then moves unhealthy
 * upstreams whose probe is not due to the end). Like CoreDNS {@code plugin/forward/policy.go}.
 */
public interface UpstreamPolicy {

    /** A new list with the same elements in try order; the argument is not modified. */
    List<Upstream> order(List<Upstream> upstreams);

    /** The name used in configuration. */
    String name();

    /** Always in configured order: the first upstream takes all load while healthy. The default. */
    static UpstreamPolicy sequential() {
        return new Sequential();
    }

    /** A random permutation per query. */
    static UpstreamPolicy random() {
        return new Random();
    }

    /** Configured order rotated by one per query. */
    static UpstreamPolicy roundRobin() {
        return new RoundRobin();
    }

    /** The policy named {@code sequential}, {@code random} or {@code round_robin}; an error names anything else. */
    static UpstreamPolicy named(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "sequential":
                return sequential();
            case "random":
                return random();
            case "round_robin":
                return roundRobin();
            default:
                throw new IllegalArgumentException(
                        "unknown upstream policy '" + name + "': expected sequential, random or round_robin");
        }
    }

    /** See {@link #sequential()}. */
    final class Sequential implements UpstreamPolicy {
        @Override
        public List<Upstream> order(List<Upstream> upstreams) {
            return new ArrayList<>(upstreams);
        }

        @Override
        public String name() {
            return "sequential";
        }
    }

    /** See {@link #random()}. */
    final class Random implements UpstreamPolicy {
        @Override
        public List<Upstream> order(List<Upstream> upstreams) {
            List<Upstream> copy = new ArrayList<>(upstreams);
            Collections.shuffle(copy, ThreadLocalRandom.current());
            return copy;
        }

        @Override
        public String name() {
            return "random";
        }
    }

    /** See {@link #roundRobin()}. */
    final class RoundRobin implements UpstreamPolicy {
        private final AtomicInteger next = new AtomicInteger();

        @Override
        public List<Upstream> order(List<Upstream> upstreams) {
            List<Upstream> copy = new ArrayList<>(upstreams);
            if (!copy.isEmpty()) {
                Collections.rotate(copy, -Math.floorMod(next.getAndIncrement(), copy.size()));
            }
            return copy;
        }

        @Override
        public String name() {
            return "round_robin";
        }
    }
}
