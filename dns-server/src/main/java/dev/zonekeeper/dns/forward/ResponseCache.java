package dev.zonekeeper.dns.forward;

import dev.zonekeeper.dns.wire.WireBytes;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Bounded cache of upstream responses: a least-recently-used map of at most {@code maxEntries} entries and at most
 * {@code maxBytes} estimated bytes ({@link #estimatedBytes}; an entry bigger than the whole budget is not stored). An
 * entry is fresh for its TTL, then (with serve-stale) kept until its stale deadline, then dropped when next looked at
 * or evicted. Thread-safe (one lock; every operation is a map access). Times are {@link System#nanoTime()} values.
 *
 * <p>Each entry is also kept in wire form ({@link EncodedResponse}) in a lock-free index that the server's fast path
 * reads straight from a query's bytes ({@link #encoded}). The index holds exactly the map's entries (a slot taken
 * when all of a key's probe slots are full only leaves that entry to the map's lookups). Hits through the index do
 * not take the lock, so they do not reorder the map; they set the entry's "used" hint instead, and eviction gives an
 * entry with the hint a second chance (moved to the most recently used end, hint cleared), so hot names stay cached.
 */
public final class ResponseCache {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final int PROBES = 4;

    /** Estimated heap of one entry beside its records: map node, key, slot, entry, response, index object, arrays. */
    static final int ENTRY_OVERHEAD = 512;
    /** Estimated heap of one parsed record beside its wire bytes: the dnsjava object and its owner Name. */
    static final int RECORD_OVERHEAD = 128;

    private final int maxEntries;
    private final long maxBytes;
    private volatile long bytes;
    private final LinkedHashMap<CacheKey, Slot> entries = new LinkedHashMap<>(16, 0.75f, true);
    private final AtomicReferenceArray<EncodedResponse> index;
    private final int mask;
    private long evictions;

    /** A map value: the entry and its wire form (null when it has none). */
    private record Slot(Entry entry, EncodedResponse encoded, long bytes) {}

    /** A cache of at most {@code maxEntries} responses and 32 MiB; 0 caches nothing. */
    public ResponseCache(int maxEntries) {
        this(maxEntries, 32L << 20);
    }

    /** A cache of at most {@code maxEntries} responses and {@code maxBytes} estimated bytes; 0 caches nothing. */
    public ResponseCache(int maxEntries, long maxBytes) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("cache maxEntries must be >= 0, got " + maxEntries);
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("cache maxBytes must be >= 0, got " + maxBytes);
        }
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
        int slots = Integer.highestOneBit(Math.max(16, Math.min(1 << 24, maxEntries) * 2 - 1)) << 1;
        this.index = new AtomicReferenceArray<>(slots);
        this.mask = slots - 1;
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
        Slot s = entries.get(key);
        if (s == null) {
            return null;
        }
        if (nowNanos - s.entry().staleUntilNanos() >= 0) {
            entries.remove(key);
            unindex(s.encoded());
            bytes -= s.bytes();
            return null;
        }
        return s.entry();
    }

    /**
     * Stores {@code entry} (replacing one for the same key), then evicts least recently used entries until the cache
     * is within both bounds. Returns whether it was stored: not when the cache is off, the entry has no wire form (a
     * name dnsjava cannot read back), or it alone is bigger than the byte budget. Throws, with the cache unchanged,
     * when the response cannot be encoded (dnsjava refuses some records it parsed, e.g. WKS with an empty bitmap).
     */
    public boolean put(CacheKey key, Entry entry) {
        if (maxEntries == 0 || maxBytes == 0) {
            return false;
        }
        EncodedResponse encoded = EncodedResponse.of(key, entry); // outside the lock: dnsjava encodes
        if (encoded == null) {
            return false;
        }
        long size = estimatedBytes(key, entry, encoded);
        if (size > maxBytes) {
            return false;
        }
        synchronized (this) {
            Slot old = entries.put(key, new Slot(entry, encoded, size));
            long b = bytes + size;
            if (old != null) {
                unindex(old.encoded());
                b -= old.bytes();
            }
            index(encoded);
            while (entries.size() > maxEntries || b > maxBytes) {
                Map.Entry<CacheKey, Slot> eldest = entries.entrySet().iterator().next();
                EncodedResponse e = eldest.getValue().encoded();
                if (e != null && e.used && e != encoded) {
                    e.used = false;
                    entries.get(eldest.getKey()); // second chance: now the most recently used
                    continue;
                }
                entries.remove(eldest.getKey());
                unindex(e);
                b -= eldest.getValue().bytes();
                evictions++;
            }
            bytes = b;
        }
        return true;
    }

    /**
     * The estimated heap an entry takes: its wire form 2.25 times (the encoded tail, and the parsed records, which
     * hold about the same bytes with names uncompressed, in arrays with headers), the name, and fixed overheads per
     * entry and per record. An estimate for the byte budget, deliberately on the high side: measured on JDK 25 with
     * 20,000 entries each, the heap per entry was 1061 B (3 A records; estimate 1125), 2808 B (4 TXT of about 250
     * bytes; estimate 2941) and 798 B (NXDOMAIN with SOA; estimate 867), a little less with compact headers.
     */
    static long estimatedBytes(CacheKey key, Entry entry, EncodedResponse encoded) {
        CachedResponse r = entry.response();
        int records = r.answer().size() + r.authority().size() + r.additional().size();
        return ENTRY_OVERHEAD
                + 3L * key.name().length()
                + 2L * encoded.tailLength()
                + encoded.tailLength() / 4
                + (long) records * (RECORD_OVERHEAD + 4);
    }

    /**
     * The fresh-or-not entry in wire form for the question whose name is {@code b[offset, offset + length)} (any
     * case), or null. Lock-free and allocation-free; marks the entry used.
     */
    public EncodedResponse encoded(
            byte[] b, int offset, int length, int type, int dclass, boolean dnssecOk, boolean checkingDisabled) {
        return encoded(
                b,
                offset,
                length,
                WireBytes.questionHash(b, offset, length, (type << 16) | dclass),
                type,
                dclass,
                dnssecOk,
                checkingDisabled);
    }

    /** As {@link #encoded(byte[], int, int, int, int, boolean, boolean)}, with the question's hash already known. */
    public EncodedResponse encoded(
            byte[] b,
            int offset,
            int length,
            int questionHash,
            int type,
            int dclass,
            boolean dnssecOk,
            boolean checkingDisabled) {
        for (int i = 0; i < PROBES; i++) {
            EncodedResponse e = index.get((questionHash + i) & mask);
            if (e != null && e.matches(b, offset, length, questionHash, type, dclass, dnssecOk, checkingDisabled)) {
                if (!e.used) {
                    e.used = true;
                }
                return e;
            }
        }
        return null;
    }

    /** Called with the lock held. */
    private void index(EncodedResponse e) {
        int free = -1;
        for (int i = 0; i < PROBES; i++) {
            int slot = (e.hash + i) & mask;
            if (index.get(slot) == null) {
                free = slot;
                break;
            }
        }
        int slot = free >= 0 ? free : e.hash & mask;
        index.set(slot, e);
    }

    /** Called with the lock held. */
    private void unindex(EncodedResponse e) {
        if (e == null) {
            return;
        }
        for (int i = 0; i < PROBES; i++) {
            int slot = (e.hash + i) & mask;
            if (index.get(slot) == e) {
                index.set(slot, null);
                return;
            }
        }
    }

    public synchronized int size() {
        return entries.size();
    }

    /** The estimated bytes of the entries stored now ({@link #estimatedBytes}); at most the byte budget. */
    public long bytes() {
        return bytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Entries dropped to stay within the bound. */
    public synchronized long evictions() {
        return evictions;
    }

    public synchronized void clear() {
        entries.clear();
        bytes = 0;
        for (int i = 0; i < index.length(); i++) {
            index.set(i, null);
        }
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
