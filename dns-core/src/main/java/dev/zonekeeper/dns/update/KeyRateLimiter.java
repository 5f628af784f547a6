package dev.zonekeeper.dns.update;

import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.Name;

/**
 * A token bucket per TSIG key: {@code rate} updates per second, bursts of up to {@code burst}. Only keys whose
 * signature verified get a bucket, and those come from the policies, so the map is bounded by the policies
 * ({@link #retain} drops the buckets of keys no policy names any more).
 */
final class KeyRateLimiter {
    private final double rate;
    private final int burst;
    private final Clock clock;
    private final Map<Name, Bucket> buckets = new ConcurrentHashMap<>();

    KeyRateLimiter(double rate, int burst, Clock clock) {
        this.rate = rate;
        this.burst = burst;
        this.clock = clock;
    }

    /** Takes a token from {@code key}'s bucket; false when it is empty. */
    boolean tryAcquire(Name key) {
        return buckets.computeIfAbsent(key, k -> new Bucket(burst, clock.millis()))
                .take(rate, burst, clock.millis());
    }

    void retain(Set<Name> keys) {
        buckets.keySet().retainAll(keys);
    }

    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.last = now;
        }

        synchronized boolean take(double rate, int burst, long now) {
            if (now > last) {
                tokens = Math.min(burst, tokens + (now - last) * rate / 1000.0);
                last = now;
            }
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }
    }
}
