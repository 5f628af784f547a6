package dev.zonekeeper.dns.wire;

/**
 * Reading DNS wire form straight from a packet's bytes, shared by the query fast path ({@code server}) and the
 * forward cache's wire-form entries ({@code forward}): big-endian fields, names compared and hashed without regard to
 * ASCII letter case, and the one (per-process keyed) question hash both use, so a hash the fast path computed while
 * parsing a query finds entries of either cache without a second pass over the name.
 */
public final class WireBytes {
    private WireBytes() {}

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

    /**
     * Per-process random keys of the question hash: a key per 32-bit word of the name (a wire name is at most 255
     * bytes, 64 words; a name's text form, hashed 2 chars a word by {@link #stringHash}, at most about 1,020 chars,
     * 510 words), one for the length, one for type and class, one added. Random so that an attacker cannot build
     * names that collide (String.hashCode and the former {@code h * 31 + byte} fold collide for "Aa"/"BB"-style
     * blocks, which turned the caches into linear lists: issue 13, point 4).
     */
    private static final long[] KEYS = keys(600);

    private static long[] keys(int n) {
        java.security.SecureRandom random = new java.security.SecureRandom();
        long[] k = new long[n];
        for (int i = 0; i < n; i++) {
            k[i] = random.nextLong();
        }
        return k;
    }

    /**
     * The hash of the question with the wire-form name {@code b[offset, offset + length)} (any case) and
     * {@code typeClass} (type in the high 16 bits, class in the low): the name's bytes lower-cased, taken 4 at a time as
     * 32-bit words (lower-cased 4 at once), hashed with the per-process random keys by multilinear multiply-shift
     * (Dietzfelbinger: {@code (k0 + sum k[i] * word[i]) mod 2^64}, the high 32 bits; strongly universal, so for names
     * chosen without knowing the keys two distinct questions collide with probability about 2^-32). Allocation-free,
     * one multiply per 4 bytes. A name longer than 255 bytes (never a valid wire name) wraps around the keys.
     */
    public static int questionHash(byte[] b, int offset, int length, int typeClass) {
        long[] k = KEYS;
        long h = k[0] + k[1] * length + k[2] * (typeClass & 0xFFFFFFFFL);
        int end = offset + length;
        int i = offset;
        int key = 3;
        while (i + 4 <= end) {
            h += k[key] * (lower4((int) INT.get(b, i)) & 0xFFFFFFFFL);
            key = key + 1 < k.length ? key + 1 : 3;
            i += 4;
        }
        if (i < end) {
            long w = 0;
            for (; i < end; i++) {
                w = (w << 8) | (lower(b[i]) & 0xFFL);
            }
            h += k[key] * (w | 0x1_0000_0000L); // tail marked apart from a full word of the same value
        }
        return (int) (h >>> 32);
    }

    /** Reads 4 bytes as an int in native (little-endian on x86 and ARM) order: the hash only needs one fixed order. */
    private static final java.lang.invoke.VarHandle INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /** ASCII lower case of the 4 bytes of {@code w} at once (SWAR): 0x20 added to each byte in 'A'..'Z'. */
    static int lower4(int w) {
        int low7 = w & 0x7F7F7F7F;
        int atLeastA = low7 + 0x3F3F3F3F; // bit 7 of a byte set when its low 7 bits are >= 'A' (0x41)
        int aboveZ = low7 + 0x25252525; // bit 7 set when > 'Z' (0x5A)
        int upper = atLeastA & ~aboveZ & ~w & 0x80808080; // and the byte's own bit 7 clear
        return w | (upper >>> 2);
    }

    /**
     * The same kind of keyed hash over a string's chars, 2 a word (for map keys that hold a name as text, such as
     * the forwarder's cache key): never {@link String#hashCode}, which an attacker can make collide.
     */
    public static int stringHash(CharSequence s, int extra) {
        long[] k = KEYS;
        int length = s.length();
        long h = k[0] + k[1] * length + k[2] * (extra & 0xFFFFFFFFL);
        int key = 3;
        int i = 0;
        for (; i + 2 <= length; i += 2) {
            h += k[key] * (((long) s.charAt(i) << 16) | s.charAt(i + 1));
            key = key + 1 < k.length ? key + 1 : 3;
        }
        if (i < length) {
            h += k[key] * (s.charAt(i) | 0x1_0000_0000L);
        }
        return (int) (h >>> 32);
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

    /**
     * A FORMERR reply to bytes that are not a readable message, built from their header alone (ID and opcode echoed,
     * QR set); null when there is no whole header, or when the bytes are themselves a response (never answered).
     */
    public static byte[] formErrFromHeader(byte[] wire) {
        if (wire.length < org.xbill.DNS.Header.LENGTH) {
            return null;
        }
        try {
            org.xbill.DNS.Header q =
                    new org.xbill.DNS.Header(java.util.Arrays.copyOf(wire, org.xbill.DNS.Header.LENGTH));
            if (q.getFlag(org.xbill.DNS.Flags.QR)) {
                return null;
            }
            org.xbill.DNS.Message r = new org.xbill.DNS.Message(q.getID());
            r.getHeader().setFlag(org.xbill.DNS.Flags.QR);
            r.getHeader().setOpcode(q.getOpcode());
            r.getHeader().setRcode(org.xbill.DNS.Rcode.FORMERR);
            return r.toWire();
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
