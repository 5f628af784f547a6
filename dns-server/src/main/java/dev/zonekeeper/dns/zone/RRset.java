package dev.zonekeeper.dns.zone;

import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import org.pcollections.HashTreePSet;
import org.pcollections.PSet;
import org.xbill.DNS.Record;

/**
 * An immutable RRset: the records of one owner name and type, compared as dnsjava compares records (name, type, class
 * and rdata; not the TTL). Most RRsets of a cluster zone hold one to a few records, so up to {@link #SMALL} records
 * are kept in a plain array (a few dozen bytes, where a persistent hash set costs a few hundred); a bigger RRset (the
 * addresses of a large headless Service) is a persistent hash set, so a change to it still costs the size of the
 * change and not of the RRset.
 */
final class RRset extends AbstractSet<Record> {
    /** Largest RRset kept as an array: copying that many references on a change is cheaper than a hash trie. */
    static final int SMALL = 16;

    /** Exactly one of the two is non-null. */
    private final Record[] small;
    private final PSet<Record> large;

    private RRset(Record[] small, PSet<Record> large) {
        this.small = small;
        this.large = large;
    }

    static RRset of(Record r) {
        return new RRset(new Record[] {r}, null);
    }

    int type() {
        return small != null ? small[0].getType() : large.iterator().next().getType();
    }

    /** This RRset with {@code r} in it; a record equal to {@code r} (same rdata) is replaced, so its TTL is r's. */
    RRset plus(Record r) {
        if (large != null) {
            return new RRset(null, large.minus(r).plus(r));
        }
        int i = indexOf(r);
        if (i >= 0) {
            return new RRset(ArrayCopies.replaced(small, i, r), null);
        }
        if (small.length < SMALL) {
            return new RRset(ArrayCopies.appended(small, r), null);
        }
        return new RRset(null, HashTreePSet.from(Arrays.asList(small)).plus(r));
    }

    /** This RRset without {@code r}; null when that leaves it empty; this when {@code r} is not in it. */
    RRset minus(Record r) {
        if (large != null) {
            if (!large.contains(r)) {
                return this;
            }
            PSet<Record> rest = large.minus(r);
            return rest.size() > SMALL ? new RRset(null, rest) : new RRset(rest.toArray(new Record[0]), null);
        }
        int i = indexOf(r);
        if (i < 0) {
            return this;
        }
        if (small.length == 1) {
            return null;
        }
        return new RRset(ArrayCopies.removed(small, i), null);
    }

    private int indexOf(Object o) {
        for (int i = 0; i < small.length; i++) {
            if (small[i].equals(o)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public boolean contains(Object o) {
        return large != null ? large.contains(o) : indexOf(o) >= 0;
    }

    @Override
    public int size() {
        return large != null ? large.size() : small.length;
    }

    @Override
    public Iterator<Record> iterator() {
        return large != null ? large.iterator() : Arrays.asList(small).iterator();
    }
}
