package dev.zonekeeper.dns.zone;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The RRsets of one owner name, by type: an immutable array of a few {@link RRset}s (a name holds one to a handful of
 * types), replaced as a whole on a change. A few dozen bytes per name, where a persistent hash map costs a few hundred.
 */
final class Node extends AbstractMap<Integer, RRset> {
    private final RRset[] sets;

    private Node(RRset[] sets) {
        this.sets = sets;
    }

    static Node of(RRset set) {
        return new Node(new RRset[] {set});
    }

    private int indexOf(int type) {
        for (int i = 0; i < sets.length; i++) {
            if (sets[i].type() == type) {
                return i;
            }
        }
        return -1;
    }

    RRset get(int type) {
        int i = indexOf(type);
        return i < 0 ? null : sets[i];
    }

    boolean has(int type) {
        return indexOf(type) >= 0;
    }

    /** This node with {@code set} as the RRset of its type. */
    Node with(RRset set) {
        int i = indexOf(set.type());
        return new Node(i >= 0 ? ArrayCopies.replaced(sets, i, set) : ArrayCopies.appended(sets, set));
    }

    /** This node without the RRset of {@code type}; null when that leaves it empty. */
    Node without(int type) {
        int i = indexOf(type);
        if (i < 0) {
            return this;
        }
        if (sets.length == 1) {
            return null;
        }
        return new Node(ArrayCopies.removed(sets, i));
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
        return sets.length;
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
                        return next < sets.length;
                    }

                    @Override
                    public Map.Entry<Integer, RRset> next() {
                        if (next >= sets.length) {
                            throw new NoSuchElementException();
                        }
                        RRset s = sets[next++];
                        return new AbstractMap.SimpleImmutableEntry<>(s.type(), s);
                    }
                };
            }

            @Override
            public int size() {
                return sets.length;
            }
        };
    }
}
