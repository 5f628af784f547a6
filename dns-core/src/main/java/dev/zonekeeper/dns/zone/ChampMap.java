package dev.zonekeeper.dns.zone;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * A persistent hash map: a compressed hash-array mapped prefix tree (CHAMP; Steindorfer and Vinju, "Optimizing
 * Hash-Array Mapped Tries for Fast and Lean Immutable JVM Collections", OOPSLA 2015). {@link #plus} and
 * {@link #minus} return a new map that shares all but the path to the changed entry with this one, so a change costs
 * O(log32 n) whatever the size; {@link #get} reads at most seven small nodes and allocates nothing.
 *
 * <p>The zone keeps one entry per owner name (150,000 pod names in a large cluster, in the operator and in every
 * DNS server), on the query path. Each node holds its entries inline as key/value pairs in one array, followed by
 * its child nodes, so an entry costs about 10 bytes plus its share of a node; the pcollections {@code HashTreePMap}
 * it replaces spent about 70 (a tree node, a list cell and an entry object per key) and read about 18 tree nodes per
 * lookup. Keys need consistent {@code hashCode} and {@code equals}; null keys and values are not allowed.
 */
public final class ChampMap<K, V> {
    private static final ChampMap<?, ?> EMPTY = new ChampMap<>(BitmapNode.EMPTY, 0);

    private final BitmapNode root;
    private final int size;

    private ChampMap(BitmapNode root, int size) {
        this.root = root;
        this.size = size;
    }

    /** The empty map. */
    @SuppressWarnings("unchecked")
    public static <K, V> ChampMap<K, V> empty() {
        return (ChampMap<K, V>) EMPTY;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** The value of {@code key}, or null. */
    @SuppressWarnings("unchecked")
    public V get(Object key) {
        return (V) root.find(key, key.hashCode(), 0);
    }

    public boolean containsKey(Object key) {
        return root.find(key, key.hashCode(), 0) != null;
    }

    /** This map with {@code key} mapped to {@code value} (this map itself when it already maps it to that object). */
    public ChampMap<K, V> plus(K key, V value) {
        Objects.requireNonNull(value, "value");
        Change change = new Change();
        BitmapNode next = (BitmapNode) root.put(key, value, key.hashCode(), 0, change);
        return next == root ? this : new ChampMap<>(next, change.added ? size + 1 : size);
    }

    /** This map without {@code key} (this map itself when it has no such key). */
    public ChampMap<K, V> minus(Object key) {
        TrieNode next = root.remove(key, key.hashCode(), 0);
        return next == root ? this : new ChampMap<>((BitmapNode) next, size - 1);
    }

    /** Calls {@code action} with every entry, in no particular order. */
    @SuppressWarnings("unchecked")
    public void forEach(BiConsumer<? super K, ? super V> action) {
        root.forEach((BiConsumer<Object, Object>) action);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        forEach((k, v) ->
                sb.append(sb.length() > 1 ? ", " : "").append(k).append('=').append(v));
        return sb.append('}').toString();
    }

    /** Whether a put added a key (rather than replacing a value). */
    private static final class Change {
        boolean added;
    }

    /** A node: its entries as key/value pairs in {@code slots} (a bitmap node keeps its children after them). */
    private abstract static class TrieNode {
        final Object[] slots;

        TrieNode(Object[] slots) {
            this.slots = slots;
        }

        abstract Object find(Object key, int hash, int shift);

        abstract TrieNode put(Object key, Object value, int hash, int shift, Change change);

        /** This node without {@code key}, or this node itself when the key is absent. */
        abstract TrieNode remove(Object key, int hash, int shift);

        /** Whether the node holds exactly one entry and no child (the parent then keeps that entry inline). */
        abstract boolean isSingleEntry();

        final Object key(int i) {
            return slots[2 * i];
        }

        final Object value(int i) {
            return slots[2 * i + 1];
        }

        abstract void forEach(BiConsumer<Object, Object> action);
    }

    /** Entries whose hash bits so far select one of 32 slots: inline pairs first, then child nodes in reverse. */
    private static final class BitmapNode extends TrieNode {
        static final BitmapNode EMPTY = new BitmapNode(0, 0, new Object[0]);

        final int dataMap;
        final int nodeMap;

        BitmapNode(int dataMap, int nodeMap, Object[] content) {
            super(content);
            this.dataMap = dataMap;
            this.nodeMap = nodeMap;
        }

        private static int bit(int hash, int shift) {
            return 1 << ((hash >>> shift) & 31);
        }

        private int dataIndex(int bit) {
            return Integer.bitCount(dataMap & (bit - 1));
        }

        private int nodeSlot(int bit) {
            return slots.length - 1 - Integer.bitCount(nodeMap & (bit - 1));
        }

        @Override
        Object find(Object key, int hash, int shift) {
            int bit = bit(hash, shift);
            if ((dataMap & bit) != 0) {
                int i = 2 * dataIndex(bit);
                return key.equals(slots[i]) ? slots[i + 1] : null;
            }
            if ((nodeMap & bit) != 0) {
                return ((TrieNode) slots[nodeSlot(bit)]).find(key, hash, shift + 5);
            }
            return null;
        }

        @Override
        TrieNode put(Object key, Object value, int hash, int shift, Change change) {
            int bit = bit(hash, shift);
            if ((dataMap & bit) != 0) {
                int i = 2 * dataIndex(bit);
                Object k = slots[i];
                if (key.equals(k)) {
                    if (slots[i + 1] == value) {
                        return this;
                    }
                    return new BitmapNode(dataMap, nodeMap, ArrayCopies.replaced(slots, i + 1, value));
                }
                change.added = true;
                TrieNode sub = pair(k, slots[i + 1], k.hashCode(), key, value, hash, shift + 5);
                return dataToNode(bit, i, sub);
            }
            if ((nodeMap & bit) != 0) {
                int slot = nodeSlot(bit);
                TrieNode child = (TrieNode) slots[slot];
                TrieNode next = child.put(key, value, hash, shift + 5, change);
                if (next == child) {
                    return this;
                }
                return new BitmapNode(dataMap, nodeMap, ArrayCopies.replaced(slots, slot, next));
            }
            change.added = true;
            int i = 2 * dataIndex(bit);
            Object[] c = new Object[slots.length + 2];
            System.arraycopy(slots, 0, c, 0, i);
            c[i] = key;
            c[i + 1] = value;
            System.arraycopy(slots, i, c, i + 2, slots.length - i);
            return new BitmapNode(dataMap | bit, nodeMap, c);
        }

        /** A node holding two entries whose hashes agree on the bits below {@code shift}. */
        private static TrieNode pair(Object k0, Object v0, int h0, Object k1, Object v1, int h1, int shift) {
            if (shift >= 32) {
                return new CollisionNode(h0, new Object[] {k0, v0, k1, v1});
            }
            int b0 = bit(h0, shift);
            int b1 = bit(h1, shift);
            if (b0 != b1) {
                Object[] c = Integer.compareUnsigned(b0, b1) < 0
                        ? new Object[] {k0, v0, k1, v1}
                        : new Object[] {k1, v1, k0, v0};
                return new BitmapNode(b0 | b1, 0, c);
            }
            return new BitmapNode(0, b0, new Object[] {pair(k0, v0, h0, k1, v1, h1, shift + 5)});
        }

        /** This node with the inline entry at {@code i} (slot {@code bit}) replaced by child {@code sub}. */
        private BitmapNode dataToNode(int bit, int i, TrieNode sub) {
            Object[] c = new Object[slots.length - 1];
            System.arraycopy(slots, 0, c, 0, i);
            int slot = nodeSlot(bit); // where the child goes in the old array; one to the left once the pair is gone
            System.arraycopy(slots, i + 2, c, i, slot - 1 - i);
            c[slot - 1] = sub;
            System.arraycopy(slots, slot + 1, c, slot, slots.length - slot - 1);
            return new BitmapNode(dataMap ^ bit, nodeMap | bit, c);
        }

        /** This node with child {@code slot} (slot {@code bit}) replaced by its single entry, inline. */
        private BitmapNode nodeToData(int bit, int slot, TrieNode single) {
            int i = 2 * dataIndex(bit);
            Object[] c = new Object[slots.length + 1];
            System.arraycopy(slots, 0, c, 0, i);
            c[i] = single.key(0);
            c[i + 1] = single.value(0);
            System.arraycopy(slots, i, c, i + 2, slot - i);
            System.arraycopy(slots, slot + 1, c, slot + 2, slots.length - slot - 1);
            return new BitmapNode(dataMap | bit, nodeMap ^ bit, c);
        }

        @Override
        TrieNode remove(Object key, int hash, int shift) {
            int bit = bit(hash, shift);
            if ((dataMap & bit) != 0) {
                int i = 2 * dataIndex(bit);
                if (!key.equals(slots[i])) {
                    return this;
                }
                return new BitmapNode(dataMap ^ bit, nodeMap, ArrayCopies.removed(slots, i, 2));
            }
            if ((nodeMap & bit) != 0) {
                int slot = nodeSlot(bit);
                TrieNode child = (TrieNode) slots[slot];
                TrieNode next = child.remove(key, hash, shift + 5);
                if (next == child) {
                    return this;
                }
                if (next.isSingleEntry()) {
                    return nodeToData(
                            bit, slot, next); // and if this node is left with just that, its parent inlines it
                }
                return new BitmapNode(dataMap, nodeMap, ArrayCopies.replaced(slots, slot, next));
            }
            return this;
        }

        @Override
        boolean isSingleEntry() {
            return nodeMap == 0 && Integer.bitCount(dataMap) == 1;
        }

        @Override
        void forEach(BiConsumer<Object, Object> action) {
            int data = 2 * Integer.bitCount(dataMap);
            for (int i = 0; i < data; i += 2) {
                action.accept(slots[i], slots[i + 1]);
            }
            for (int i = data; i < slots.length; i++) {
                ((TrieNode) slots[i]).forEach(action);
            }
        }
    }

    /** Entries whose 32-bit hashes are all equal, in a plain array of pairs. */
    private static final class CollisionNode extends TrieNode {
        final int hash;

        CollisionNode(int hash, Object[] pairs) {
            super(pairs);
            this.hash = hash;
        }

        private int indexOf(Object key) {
            for (int i = 0; i < slots.length; i += 2) {
                if (key.equals(slots[i])) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        Object find(Object key, int hash, int shift) {
            int i = hash == this.hash ? indexOf(key) : -1;
            return i < 0 ? null : slots[i + 1];
        }

        @Override
        TrieNode put(Object key, Object value, int hash, int shift, Change change) {
            int i = indexOf(key);
            if (i >= 0) {
                if (slots[i + 1] == value) {
                    return this;
                }
                return new CollisionNode(this.hash, ArrayCopies.replaced(slots, i + 1, value));
            }
            change.added = true;
            Object[] p = Arrays.copyOf(slots, slots.length + 2);
            p[slots.length] = key;
            p[slots.length + 1] = value;
            return new CollisionNode(this.hash, p);
        }

        @Override
        TrieNode remove(Object key, int hash, int shift) {
            int i = hash == this.hash ? indexOf(key) : -1;
            if (i < 0) {
                return this;
            }
            return new CollisionNode(this.hash, ArrayCopies.removed(slots, i, 2));
        }

        @Override
        boolean isSingleEntry() {
            return slots.length == 2;
        }

        @Override
        void forEach(BiConsumer<Object, Object> action) {
            for (int i = 0; i < slots.length; i += 2) {
                action.accept(slots[i], slots[i + 1]);
            }
        }
    }
}
