package dev.zonekeeper.dns.zone;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The RRsets of one owner name, by type: the one {@link RRset} of a name that holds one type (most names), or an
 * immutable array of a few (a name holds one to a handful of types), replaced as a whole on a change. A few dozen
 * bytes per name, where a persistent hash map costs a few hundred.
 */
final class Node extends AbstractMap<Integer, RRset> {
    /** The one {@link RRset} (most names hold one type), or an {@code RRset[]} of two or more. */
    private final Object sets;

    private Node(Object sets) {
        this.sets = sets;
    }

    static Node of(RRset set) {
        return new Node(set);
    }

    private static int indexOf(RRset[] sets, int type) {
        for (int i = 0; i < sets.length; i++) {
            if (sets[i].type() == type) {
                return i;
            }
        }
        return -1;
    }

    RRset get(int type) {
        if (sets instanceof RRset one) {
            return one.type() == type ? one : null;
        }
        RRset[] a = (RRset[]) sets;
        int i = indexOf(a, type);
        return i < 0 ? null : a[i];
    }

    boolean has(int type) {
        return get(type) != null;
    }

    Node with(RRset set) {
        if (sets instanceof RRset one) {
            return new Node(one.type() == set.type() ? set : new RRset[] {one, set});
        }
        RRset[] a = (RRset[]) sets;
        int i = indexOf(a, set.type());
        return new Node(i >= 0 ? ArrayCopies.replaced(a, i, set) : ArrayCopies.appended(a, set));
    }

    Node without(int type) {
        if (sets instanceof RRset one) {
            return one.type() == type ? null : this;
        }
        RRset[] a = (RRset[]) sets;
        int i = indexOf(a, type);
        if (i < 0) {
            return this;
        }
        return new Node(a.length == 2 ? a[1 - i] : ArrayCopies.removed(a, i));
    }

    private RRset at(int i) {
        return sets instanceof RRset one ? one : ((RRset[]) sets)[i];
    }

    @Override
    public RRset get(Object key) {
        return key instanceof Integer type ? get(type.intValue()) : null;
    }

    @Override
    public boolean containsKey(Object key) {
        return key instanceof Integer type && has(type);
    }

    @Override
    public int size() {
        return sets instanceof RRset ? 1 : ((RRset[]) sets).length;
    }

    @Override
    public Set<Map.Entry<Integer, RRset>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<Integer, RRset>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < size();
                    }

                    @Override
                    public Map.Entry<Integer, RRset> next() {
                        if (next >= size()) {
                            throw new NoSuchElementException();
                        }
                        RRset s = at(next++);
                        return new AbstractMap.SimpleImmutableEntry<>(s.type(), s);
                    }
                };
            }

            @Override
            public int size() {
                return Node.this.size();
            }
        };
    }
}
