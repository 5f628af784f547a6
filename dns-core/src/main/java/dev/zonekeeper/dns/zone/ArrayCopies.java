package dev.zonekeeper.dns.zone;

import java.util.Arrays;

/**
 * Copy-on-write edits of the small arrays behind {@link Node}, {@link RRset} and {@link ChampMap}: the original is never
 * changed.
 */
final class ArrayCopies {
    private ArrayCopies() {}

    /** A copy of {@code a} with {@code x} at {@code i}. */
    static <T> T[] replaced(T[] a, int i, T x) {
        T[] copy = a.clone();
        copy[i] = x;
        return copy;
    }

    /** A copy of {@code a} with {@code x} added at the end. */
    static <T> T[] appended(T[] a, T x) {
        T[] copy = Arrays.copyOf(a, a.length + 1);
        copy[a.length] = x;
        return copy;
    }

    /** A copy of {@code a} without its element at {@code i}. */
    static <T> T[] removed(T[] a, int i) {
        return removed(a, i, 1);
    }

    /** A copy of {@code a} without the {@code n} elements from {@code i} on. */
    static <T> T[] removed(T[] a, int i, int n) {
        T[] copy = Arrays.copyOf(a, a.length - n);
        System.arraycopy(a, i + n, copy, i, a.length - i - n);
        return copy;
    }
}
