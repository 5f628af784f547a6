package dev.zonekeeper.dns.forward;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Bounded cache of upstream responses: a least-recently-used map of at most {@code maxEntries} entries. An entry is
 * fresh for its TTL, then (with serve-stale) kept until its stale deadline, then dropped when next looked at or
 * evicted. Thread-safe (one lock; every operation is a map access). Times are {@link System#nanoTime()} values.
 */
public final class ResponseCache {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final int maxEntries;
    private final LinkedHashMap<CacheKey, Entry> entries;
    private long evictions;

    /** A cache of at most {@code maxEntries} responses; 0 caches nothing. */
    public ResponseCache(int maxEntries) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("cache maxEntries must be >= 0, got " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<CacheKey, ResponseCache.Entry> eldest) {
                if (size() > ResponseCache.this.maxEntries) {
                    evictions++;
                    return true;
                }
                return false;
            }
        };
    }

    /**
     * A cached response.
     *
     * @param ttlSeconds      how long it is fresh; its records are served with TTL min(own TTL, ttlSeconds) - age
     * @param storedAtNanos   when it was stored
     * @param staleUntilNanos after this it is never served; equals the expiry without serve-stale
     */
    public record Entry(CachedResponse response, long ttlSeconds, long storedAtNanos, long staleUntilNanos) {

        /** Whole seconds since the entry was stored. */
        public long ageSeconds(long nowNanos) {
            return Math.max(0, (nowNanos - storedAtNanos) / NANOS_PER_SECOND);
        }

        public boolean isFresh(long nowNanos) {
            return nowNanos - storedAtNanos < ttlSeconds * NANOS_PER_SECOND;
        }

        /** The response for {@code query} with TTLs decremented by the age. */
        public Message freshAnswer(Message query, long nowNanos) {
            long age = ageSeconds(nowNanos);
            long ttl = ttlSeconds;
            return response.toMessage(query, t -> Math.max(0, Math.min(t, ttl) - age));
        }

        /** The response for {@code query} with every TTL set to {@code staleTtl} (RFC 8767 section 4). */
        public Message staleAnswer(Message query, long staleTtl) {
            return response.toMessage(query, t -> staleTtl);
        }
    }

    /** The entry for {@code key} if it is fresh or still within its stale window, else null. */
    public synchronized Entry get(CacheKey key, long nowNanos) {
        Entry e = entries.get(key);
        if (e != null && nowNanos - e.staleUntilNanos() >= 0) {
            entries.remove(key);
            return null;
        }
        return e;
    }

    public synchronized void put(CacheKey key, Entry entry) {
        if (maxEntries > 0) {
            entries.put(key, entry);
        }
    }

    public synchronized int size() {
        return entries.size();
    }

    /** Entries dropped to stay within the bound. */
    public synchronized long evictions() {
        return evictions;
    }

    public synchronized void clear() {
        entries.clear();
    }

    /**
     * For how many seconds an upstream response may be cached, or -1 if it must not be: positive answers for the
     * smallest TTL of the answer RRsets; NXDOMAIN and NODATA for min(SOA TTL, SOA MINIMUM) of the SOA in the
     * authority section (RFC 2308 section 5) and not at all without one; both when a CNAME leads to a negative answer;
     * then bounded by {@code minTtl} and {@code maxTtl}. Truncated responses and any other rcode are not cached here
     * (SERVFAIL handling is the forwarder's). A result of 0 is reported as -1.
     */
    public static long cacheTtl(Message response, Duration minTtl, Duration maxTtl) {
        if (response.getHeader().getFlag(Flags.TC)) {
            return -1;
        }
        int rcode = response.getRcode();
        if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
            return -1;
        }
        long ttl = Long.MAX_VALUE;
        boolean hasQtype = false;
        org.xbill.DNS.Record question = response.getQuestion();
        for (RRset rrset : response.getSectionRRsets(Section.ANSWER)) {
            ttl = Math.min(ttl, rrset.getTTL());
            if (question != null && (rrset.getType() == question.getType() || question.getType() == Type.ANY)) {
                hasQtype = true;
            }
        }
        boolean negative = rcode == Rcode.NXDOMAIN || !hasQtype;
        if (negative) {
            SOARecord soa = null;
            for (org.xbill.DNS.Record r : response.getSection(Section.AUTHORITY)) {
                if (r instanceof SOARecord) {
                    soa = (SOARecord) r;
                    break;
                }
            }
            if (soa == null) {
                return -1;
            }
            ttl = Math.min(ttl, Math.min(soa.getTTL(), soa.getMinimum()));
        }
        ttl = Math.max(ttl, minTtl.getSeconds());
        ttl = Math.min(ttl, maxTtl.getSeconds());
        return ttl > 0 ? ttl : -1;
    }
}
