package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.wire.WireBytes;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Pre-encoded authoritative answers for one zone snapshot, keyed by (lower-cased question name in wire form, type,
 * class). A lookup reads the question straight out of the query's bytes, takes no lock and allocates nothing. A key
 * probes {@link #PROBES} slots and, when they are all taken, replaces the one cheapest to lose (a negative answer
 * before a positive one, one not hit lately first; a negative answer never replaces a positive one). It belongs to one
 * {@link ZoneSet}: a new snapshot gets a new, empty cache, which refills as queries arrive (the cost of a change is the
 * hot names re-encoded once, not the zone). The new cache takes over the previous one's table ({@link #next}) under a
 * new generation instead of allocating another: entries of older generations count as empty slots, so a zone change
 * costs no table allocation (the table is 1 MiB; zone changes come by the dozen per second while Services change, and a
 * fresh table each time kept the collector busy). Questions forwarded as they came get a mark entry ({@link
 * Entry#forwarded}) instead of an answer: the snapshot's verdict that no zone of it answers them.
 *
 * <p>Memory is bounded in bytes, not entries (a random-subdomain flood filled the 262,144 slots with NXDOMAINs, past
 * the chart's memory limit): every entry is counted with its key, its answer bytes and its object overheads, stale
 * generations included, against a budget ({@code --answer-cache-mib}, default 16 MiB; the table and the doorkeeper
 * below, 1.25 MiB, are fixed beside it). Beyond the budget a CLOCK hand evicts: it passes over entries that were hit
 * since its last pass (clearing their mark) and removes the others and every stale one, so names in use stay while
 * one-off names go. Negative answers (NXDOMAIN, NODATA, referrals) and forwarded marks, which is what a flood of
 * made-up names produces, have a quarter of the budget to themselves: they are evicted among themselves and never
 * push out a positive answer. And once that quarter is full, a new one is only cached when its question is seen a
 * second time (a "doorkeeper" of question hashes, as in TinyLFU): a flood of one-off names then stops churning even
 * the negative answers, while names asked again (search-path misses, hot NXDOMAINs) still get in and stay. In normal
 * operation nothing changes: every answer is cached at its first query.
 */
final class AnswerCache {
    static final int PROBES = 4;
    /** Entry flag: not our answer but a mark that the question is forwarded as it came. */
    static final int FORWARDED = 0x10000;
    /** The default budget: about 80,000 typical answers (a cluster's names each asked for A, AAAA and SRV). */
    static final long DEFAULT_BUDGET_BYTES = 16L << 20;
    /** Question hashes remembered by the doorkeeper (256 KiB). */
    private static final int SEEN = 1 << 16;
    /** An {@link Entry} object with its header and fields, as counted against the budget. */
    static final int ENTRY_OVERHEAD = 64;

    /**
     * One cached answer: everything after the question of a response without OPT. Compression pointers inside
     * {@code tail} refer to the question at offset 12, whose length and label layout do not depend on letter case,
     * so the tail is valid after any question echoed as sent.
     */
    static final class Entry {
        final byte[] key;
        final int hash;
        final int typeClass;
        final int flags; // AA (0x0400) | rcode (low 4 bits)
        final int anCount;
        final int nsCount;
        final int arCount;
        final byte[] tail;
        /** Bytes counted against the budget: the entry, its key and its tail, each with its object header. */
        final int size;
        /** The generation of the cache this entry was put into (set before it is published in the table). */
        long generation;
        /** Hit since the CLOCK hand last passed (a plain field: a lost update only costs one more pass). */
        boolean referenced;

        Entry(byte[] key, int hash, int typeClass, int flags, int anCount, int nsCount, int arCount, byte[] tail) {
            this.key = key;
            this.hash = hash;
            this.typeClass = typeClass;
            this.flags = flags;
            this.anCount = anCount;
            this.nsCount = nsCount;
            this.arCount = arCount;
            this.tail = tail;
            this.size = ENTRY_OVERHEAD + arrayBytes(key.length) + arrayBytes(tail.length);
        }

        /** A byte array's heap size: a 16-byte header, the bytes, rounded up to 8. */
        static int arrayBytes(int length) {
            return (16 + length + 7) & ~7;
        }

        int rcode() {
            return flags & 0xF;
        }

        /** A mark for a question that is forwarded as it came: the forwarder's cache answers it. */
        static Entry forwarded(byte[] key, int hash, int typeClass) {
            return new Entry(key, hash, typeClass, FORWARDED, 0, 0, 0, new byte[0]);
        }

        boolean forwarded() {
            return (flags & FORWARDED) != 0;
        }

        /** A forwarded mark, NXDOMAIN, NODATA or referral: what a flood of made-up names produces. */
        boolean negative() {
            return forwarded() || rcode() != 0 || anCount == 0;
        }
    }

    /** The slots and their accounting, shared by the generations of one cache. */
    private static final class Table {
        final AtomicReferenceArray<Entry> slots;
        final int mask;
        final long budget;
        /** The share of {@link #budget} for negative answers and forwarded marks. */
        final long negativeBudget;
        /** Bytes of the entries in {@link #slots}, of every generation. */
        final AtomicLong bytes = new AtomicLong();
        /** The part of {@link #bytes} that {@link Entry#negative} entries take. */
        final AtomicLong negativeBytes = new AtomicLong();

        final AtomicLong evictions = new AtomicLong();
        /** The CLOCK hand: the next slot the eviction looks at. */
        final AtomicInteger hand = new AtomicInteger();
        /** The doorkeeper: the last question hash seen at each index (plain ints: a lost write costs one miss). */
        final int[] seen = new int[SEEN];

        Table(int capacity, long budget) {
            this.slots = new AtomicReferenceArray<>(capacity);
            this.mask = capacity - 1;
            this.budget = budget;
            this.negativeBudget = budget / 4;
        }
    }

    final ZoneSet zones;
    private final Table table;
    private final long generation;

    AnswerCache(ZoneSet zones, int capacityPowerOfTwo) {
        this(zones, capacityPowerOfTwo, DEFAULT_BUDGET_BYTES);
    }

    /** @param budgetBytes the most the entries may take, counted as {@link Entry#size} */
    AnswerCache(ZoneSet zones, int capacityPowerOfTwo, long budgetBytes) {
        this.zones = zones;
        int cap = Integer.highestOneBit(Math.max(16, capacityPowerOfTwo));
        this.table = new Table(cap, Math.max(1, budgetBytes));
        this.generation = 0;
    }

    private AnswerCache(ZoneSet zones, AnswerCache previous) {
        this.zones = zones;
        this.table = previous.table;
        this.generation = previous.generation + 1;
    }

    /**
     * An empty cache for {@code zones} on this cache's table. Readers still holding this cache may go on putting
     * entries of the old generation; they are never returned by the new one.
     */
    AnswerCache next(ZoneSet zones) {
        return new AnswerCache(zones, this);
    }

    Entry get(byte[] buf, int nameOffset, int nameLength, int hash, int typeClass) {
        AtomicReferenceArray<Entry> slots = table.slots;
        int mask = table.mask;
        for (int i = 0; i < PROBES; i++) {
            Entry e = slots.get((hash + i) & mask);
            if (e == null) {
                continue; // an evicted slot: the key may still be further on
            }
            if (e.generation == generation
                    && e.hash == hash
                    && e.typeClass == typeClass
                    && e.key.length == nameLength
                    && WireBytes.equalsLowerCase(buf, nameOffset, e.key)) {
                if (!e.referenced) {
                    e.referenced = true;
                }
                return e;
            }
        }
        return null;
    }

    /**
     * Caches {@code entry} and evicts beyond the budgets. Not cached: an entry larger than an eighth of the budget, and
     * a negative one, while the negative answers fill their share, unless its question was seen before.
     */
    void put(Entry entry) {
        Table t = table;
        boolean negative = entry.negative();
        if (entry.size > t.budget / 8
                || (negative && t.negativeBytes.get() + entry.size > t.negativeBudget && !seenBefore(t, entry.hash))) {
            return;
        }
        entry.generation = generation;
        int h = entry.hash;
        int target = -1;
        // when every probed slot is taken: the cheapest to lose goes (negative before positive, then one not hit
        // since the CLOCK hand passed), and a negative answer never takes a positive one's slot
        int victim = -1;
        int victimRank = Integer.MAX_VALUE;
        for (int i = 0; i < PROBES; i++) {
            int slot = (h + i) & t.mask;
            Entry e = t.slots.get(slot);
            if (e == null
                    || e.generation != generation
                    || (e.hash == h && e.typeClass == entry.typeClass && Arrays.equals(e.key, entry.key))) {
                target = slot;
                break;
            }
            if (negative && !e.negative()) {
                continue;
            }
            int rank = (e.negative() ? 0 : 2) + (e.referenced ? 1 : 0);
            if (rank < victimRank) {
                victimRank = rank;
                victim = slot;
            }
        }
        if (target < 0) {
            if (victim < 0) {
                return;
            }
            target = victim;
        }
        Entry old = t.slots.getAndSet(target, entry);
        if (old != null) {
            removed(t, old);
        }
        long total = t.bytes.addAndGet(entry.size);
        if (negative && t.negativeBytes.addAndGet(entry.size) > t.negativeBudget) {
            evict(t, true);
        }
        if (total > t.budget) {
            evict(t, false);
        }
    }

    private static void removed(Table t, Entry e) {
        t.bytes.addAndGet(-e.size);
        if (e.negative()) {
            t.negativeBytes.addAndGet(-e.size);
        }
    }

    /** Whether the doorkeeper saw this question hash before; remembers it. */
    private static boolean seenBefore(Table t, int hash) {
        int i = (hash ^ (hash >>> 16)) & (SEEN - 1);
        if (t.seen[i] == hash) {
            return true;
        }
        t.seen[i] = hash;
        return false;
    }

    /**
     * Moves the CLOCK hand until the entries fit the budget, or (negativeOnly) the negative ones fit their share,
     * looking at those only; at most two passes over the table.
     */
    private void evict(Table t, boolean negativeOnly) {
        for (int n = 2 * (t.mask + 1); n > 0; n--) {
            if (negativeOnly ? t.negativeBytes.get() <= t.negativeBudget : t.bytes.get() <= t.budget) {
                return;
            }
            int slot = t.hand.getAndIncrement() & t.mask;
            Entry e = t.slots.get(slot);
            if (e == null || (negativeOnly && !e.negative())) {
                continue;
            }
            if (e.referenced && e.generation == generation) {
                e.referenced = false; // a second chance: evicted at the next pass unless hit again
                continue;
            }
            if (t.slots.compareAndSet(slot, e, null)) {
                removed(t, e);
                t.evictions.incrementAndGet();
            }
        }
    }

    /** Bytes the cached entries take, as counted against the budget. */
    long bytes() {
        return table.bytes.get();
    }

    long budget() {
        return table.budget;
    }

    long evictions() {
        return table.evictions.get();
    }
}
