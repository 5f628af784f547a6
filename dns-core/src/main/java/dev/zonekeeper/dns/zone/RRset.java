package dev.zonekeeper.dns.zone;

import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import org.pcollections.HashTreePSet;
import org.pcollections.PSet;
import org.xbill.DNS.Record;

/**
 * An immutable RRset: the records of one owner name and type, compared as dnsjava compares records (name, type, class
 * and rdata; not the TTL). Most RRsets of a cluster zone hold one record (a Service's address, a PTR, a pod's
 * address), which is kept as itself; up to {@link #SMALL} records are kept in a plain array (a few dozen bytes, where
 * a persistent hash set costs a few hundred); a bigger RRset (the addresses of a large headless Service) is a
 * persistent hash set, so a change to it still costs the size of the change and not of the RRset.
 */
final class RRset extends AbstractSet<Record> {
    /** Largest RRset kept as an array: copying that many references on a change is cheaper than a hash trie. */
    static final int SMALL = 16;

    /** The one {@link Record}, a {@code Record[]} of 2 to {@link #SMALL}, or a {@code PSet<Record>} of more. */
    private final Object records;

    private RRset(Object records) {
        this.records = records;
    }

    static RRset of(Record r) {
        return new RRset(r);
    }

    int type() {
        if (records instanceof Record r) {
            return r.getType();
        }
        return records instanceof Record[] a
                ? a[0].getType()
                : large().iterator().next().getType();
    }

    @SuppressWarnings("unchecked")
    private PSet<Record> large() {
        return (PSet<Record>) records;
    }

    /** This RRset with {@code r} added, or replacing the equal record (a new TTL). */
    RRset plus(Record r) {
        if (records instanceof Record one) {
            return new RRset(one.equals(r) ? r : new Record[] {one, r});
        }
        if (records instanceof Record[] small) {
            int i = indexOf(small, r);
            if (i >= 0) {
                return new RRset(ArrayCopies.replaced(small, i, r));
            }
            if (small.length < SMALL) {
                return new RRset(ArrayCopies.appended(small, r));
            }
            return new RRset(HashTreePSet.from(Arrays.asList(small)).plus(r));
        }
        return new RRset(large().minus(r).plus(r));
    }

    /** This RRset without {@code r}; null when it was the last record. */
    RRset minus(Record r) {
        if (records instanceof Record one) {
            return one.equals(r) ? null : this;
        }
        if (records instanceof Record[] small) {
            int i = indexOf(small, r);
            if (i < 0) {
                return this;
            }
            return new RRset(small.length == 2 ? small[1 - i] : ArrayCopies.removed(small, i));
        }
        if (!large().contains(r)) {
            return this;
        }
        PSet<Record> rest = large().minus(r);
        return new RRset(rest.size() > SMALL ? rest : rest.toArray(new Record[0]));
    }

    private static int indexOf(Record[] small, Object o) {
        for (int i = 0; i < small.length; i++) {
            if (small[i].equals(o)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public boolean contains(Object o) {
        if (records instanceof Record one) {
            return one.equals(o);
        }
        return records instanceof Record[] small ? indexOf(small, o) >= 0 : large().contains(o);
    }

    @Override
    public int size() {
        if (records instanceof Record) {
            return 1;
        }
        return records instanceof Record[] small ? small.length : large().size();
    }

    @Override
    public Iterator<Record> iterator() {
        if (records instanceof Record one) {
            return Collections.singleton(one).iterator();
        }
        return records instanceof Record[] small ? Arrays.asList(small).iterator() : large().iterator();
    }
}
