package dev.zonekeeper.dns.server;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Queries waiting for the forwarder, counted per client network, so that one network cannot take every upstream
 * slot: the forwarder's own cap ({@code --max-concurrent}) is global, and a flood of unique names from one client
 * filled it and got every other client REFUSED. Beyond {@code perNetwork} waiting queries a network's next query is
 * REFUSED at once (as the global cap answers); the others keep their share.
 *
 * <p>Bounded: a fixed table of counters indexed by a keyed hash of the network (the prefixes of response rate
 * limiting), so an attacker cannot aim at another network's counter; two networks in one slot share one count, which
 * only makes the limit stricter for both.
 */
final class ForwardShares {
    /** No client address (a test's in-process call): not counted. */
    static final int NONE = -1;

    private static final int SLOTS = 4096;

    private final AtomicIntegerArray waiting = new AtomicIntegerArray(SLOTS);
    private final int perNetwork;
    private final int ipv4Prefix;
    private final int ipv6Prefix;
    private final long seed = new SecureRandom().nextLong();

    ForwardShares(int perNetwork, int ipv4Prefix, int ipv6Prefix) {
        if (perNetwork < 1) {
            throw new IllegalArgumentException("perNetwork " + perNetwork);
        }
        this.perNetwork = perNetwork;
        this.ipv4Prefix = ipv4Prefix;
        this.ipv6Prefix = ipv6Prefix;
    }

    /** The counter of the client {@code ip[0..length)}, or {@link #NONE} without an address. */
    int slot(byte[] ip, int length) {
        if (length == 0) {
            return NONE;
        }
        return (int) (RateLimiter.network(seed, ipv4Prefix, ipv6Prefix, ip, length) & (SLOTS - 1));
    }

    /** Takes one place for the network of {@code slot}; false (nothing taken) when it has its share already. */
    boolean acquire(int slot) {
        if (slot == NONE) {
            return true;
        }
        if (waiting.incrementAndGet(slot) > perNetwork) {
            waiting.decrementAndGet(slot);
            return false;
        }
        return true;
    }

    /** Gives back the place {@link #acquire} took. */
    void release(int slot) {
        if (slot != NONE) {
            waiting.decrementAndGet(slot);
        }
    }
}
