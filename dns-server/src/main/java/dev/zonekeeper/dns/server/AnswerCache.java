package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.wire.WireBytes;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Pre-encoded authoritative answers for one zone snapshot, keyed by (lower-cased question name in wire form, type,
 * class). A lookup reads the question straight out of the query's bytes and allocates nothing. The table is bounded:
 * a key probes {@link #PROBES} slots and, when they are all taken, replaces the first, so a flood of distinct names
 * cannot grow it. It belongs to one {@link ZoneSet}: a new snapshot gets a new, empty cache, which refills as queries
 * arrive (the cost of a change is the hot names re-encoded once, not the zone). The new cache takes over the previous
 * one's table ({@link #next}) under a new generation instead of allocating another: entries of older generations
 * count as empty slots, so a zone change costs no table allocation (the table is 1 MiB; zone changes come by the
 * dozen per second while Services change, and a fresh table each time kept the collector busy). Questions forwarded
 * as they came get a mark entry ({@link Entry#forwarded}) instead of an answer: the snapshot's verdict that no zone of
 * it answers them.
 */
final class AnswerCache {
    static final int PROBES = 4;
    /** Entry flag: not our answer but a mark that the question is forwarded as it came. */
    static final int FORWARDED = 0x10000;

    /**
     * One cached answer: everything after the question of a response without OPT. Compression pointers inside
     * {@code tail} refer to the question at offset 12, whose length and label layout do not depend on letter case,
     * so the tail is valid after any question echoed as sent.
     */
    static final class Entry {
        final byte[] key;
        final int hash;
        final int typeClass;
        final int flags;      // AA (0x0400) | rcode (low 4 bits)
        final int anCount;
        final int nsCount;
        final int arCount;
        final byte[] tail;
        /** The generation of the cache this entry was put into (set before it is published in the table). */
        long generation;

        Entry(byte[] key, int hash, int typeClass, int flags, int anCount, int nsCount, int arCount, byte[] tail) {
            this.key = key;
            this.hash = hash;
            this.typeClass = typeClass;
            this.flags = flags;
            this.anCount = anCount;
            this.nsCount = nsCount;
            this.arCount = arCount;
            this.tail = tail;
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
    }

    final ZoneSet zones;
    private final AtomicReferenceArray<Entry> table;
    private final int mask;
    private final long generation;

    AnswerCache(ZoneSet zones, int capacityPowerOfTwo) {
        this.zones = zones;
        int cap = Integer.highestOneBit(Math.max(16, capacityPowerOfTwo));
        this.table = new AtomicReferenceArray<>(cap);
        this.mask = cap - 1;
        this.generation = 0;
    }

    private AnswerCache(ZoneSet zones, AnswerCache previous) {
        this.zones = zones;
        this.table = previous.table;
        this.mask = previous.mask;
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
        for (int i = 0; i < PROBES; i++) {
            Entry e = table.get((hash + i) & mask);
            if (e == null) {
                return null;
            }
            if (e.generation == generation && e.hash == hash && e.typeClass == typeClass && e.key.length == nameLength
                    && WireBytes.equalsLowerCase(buf, nameOffset, e.key)) {
                return e;
            }
        }
        return null;
    }

    void put(Entry entry) {
        entry.generation = generation;
        int h = entry.hash;
        for (int i = 0; i < PROBES; i++) {
            int slot = (h + i) & mask;
            Entry e = table.get(slot);
            if (e == null || e.generation != generation || (e.hash == h && e.typeClass == entry.typeClass && java.util.Arrays.equals(e.key, entry.key))) {
                table.set(slot, entry);
                return;
            }
        }
        table.set(h & mask, entry);
    }


}
