package dev.zonekeeper.dns.wire;

/**
 * Reading DNS wire form straight from a packet's bytes, shared by the query fast path ({@code server}) and the
 * forward cache's wire-form entries ({@code forward}): big-endian fields, names compared and hashed without regard
 * to ASCII letter case, and the one question hash both use, so a hash the fast path computed while parsing a query
 * finds entries of either cache without a second pass over the name.
 */
public final class WireBytes {
    private WireBytes() {
    }

    /** The big-endian unsigned 16-bit value at {@code i}. */
    public static int u16(byte[] b, int i) {
        return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
    }

    /** ASCII lower case of one name byte (length octets, at most 63, are left as they are). */
    public static byte lower(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
    }

    /** Whether {@code b[offset, offset + lowerName.length)} equals {@code lowerName} (already lower-case) in any case. */
    public static boolean equalsLowerCase(byte[] b, int offset, byte[] lowerName) {
        for (int i = 0; i < lowerName.length; i++) {
            if (lower(b[offset + i]) != lowerName[i]) {
                return false;
            }
        }
        return true;
    }

    /** The hash of a question whose name hash is {@code nameHash} (see {@link #questionHash}). */
    public static int mix(int nameHash, int typeClass) {
        int h = nameHash * 31 + typeClass;
        return h ^ (h >>> 16);
    }

    /**
     * The hash of the question with the wire-form name {@code b[offset, offset + length)} (any case) and
     * {@code typeClass} (type in the high 16 bits, class in the low): the name's bytes lower-cased folded as
     * {@code h = h * 31 + byte}, then {@link #mix}ed with type and class.
     */
    public static int questionHash(byte[] b, int offset, int length, int typeClass) {
        int h = 0;
        for (int i = offset; i < offset + length; i++) {
            h = h * 31 + lower(b[i]);
        }
        return mix(h, typeClass);
    }

    /** The offset just after the (possibly compressed) name at {@code p}. */
    public static int skipName(byte[] b, int p) {
        while (true) {
            int len = b[p] & 0xFF;
            if (len == 0) {
                return p + 1;
            }
            if ((len & 0xC0) == 0xC0) {
                return p + 2;
            }
            p += 1 + len;
        }
    }
}
