package dev.zonekeeper.dns.server;

import java.security.SecureRandom;
import java.util.function.LongSupplier;

/**
 * DNS cookies (RFC 7873) with interoperable server cookies (RFC 9018): version 1, a 4-byte timestamp and the SipHash-2-4
 * of client cookie, version, reserved bytes, timestamp and client address under a 128-bit server secret. The secret
 * is random and replaced every {@code lifetimeSeconds} (RFC 7873 7.1: between 26 hours and 36 days; Knot's default is
 * 26 hours); cookies made with the previous secret stay valid until the next change, so a client's cookie survives one
 * rotation. Every response to a query with a cookie gets a fresh server cookie (RFC 9018 4.3 allows that at any
 * time). Nothing here allocates per query: the secret is read once, the hash works on a caller's byte array.
 */
final class Cookies {
    /** The query carried no cookie. */
    static final int NONE = 0;
    /** A client cookie only (a client learning our server cookie). */
    static final int CLIENT_ONLY = 1;
    /** A server cookie we made for this client cookie and address, not too old. */
    static final int VALID = 2;
    /** A server cookie that is not ours, for another address, too old or from the future. */
    static final int INVALID = 3;

    /** Length of our server cookies: version, reserved (3), timestamp (4), hash (8). */
    static final int SERVER_COOKIE_LENGTH = 16;
    /** RFC 9018 4.3: a server cookie older than an hour, or more than 5 minutes ahead, is not valid. */
    private static final long MAX_AGE_SECONDS = 3600;

    private static final long MAX_AHEAD_SECONDS = 300;
    static final long DEFAULT_LIFETIME_SECONDS = 26 * 3600;

    private record Secrets(long k0, long k1, long previousK0, long previousK1, boolean hasPrevious, long replaceAt) {}

    private final LongSupplier epochSeconds;
    private final long lifetimeSeconds;
    private final SecureRandom random = new SecureRandom();
    private volatile Secrets secrets;

    Cookies() {
        this(DEFAULT_LIFETIME_SECONDS, () -> System.currentTimeMillis() / 1000);
    }

    Cookies(long lifetimeSeconds, LongSupplier epochSeconds) {
        this.lifetimeSeconds = lifetimeSeconds;
        this.epochSeconds = epochSeconds;
        long now = epochSeconds.getAsLong();
        this.secrets = new Secrets(random.nextLong(), random.nextLong(), 0, 0, false, now + lifetimeSeconds);
    }

    /** For RFC 9018's test vectors: a fixed secret (16 bytes) and clock, never rotated. */
    Cookies(byte[] secret, LongSupplier epochSeconds) {
        this.lifetimeSeconds = Long.MAX_VALUE / 2;
        this.epochSeconds = epochSeconds;
        this.secrets = new Secrets(le64(secret, 0), le64(secret, 8), 0, 0, false, Long.MAX_VALUE);
    }

    long now() {
        return epochSeconds.getAsLong();
    }

    /** The current secrets, replaced (once per lifetime, under a lock) when their time has come. */
    private Secrets secrets(long now) {
        Secrets s = secrets;
        if (now < s.replaceAt) {
            return s;
        }
        synchronized (this) {
            s = secrets;
            if (now >= s.replaceAt) {
                s = new Secrets(random.nextLong(), random.nextLong(), s.k0, s.k1, true, now + lifetimeSeconds);
                secrets = s;
            }
            return s;
        }
    }

    /**
     * Checks the cookie option data at {@code buf[offset..offset+length)} (length 8, or 16 to 40: the parser checked)
     * sent from {@code ip[0..ipLength)}; {@code work} is a scratch array of at least 36 bytes.
     */
    int check(byte[] buf, int offset, int length, byte[] ip, int ipLength, long now, byte[] work) {
        if (length == 8) {
            return CLIENT_ONLY;
        }
        if (length != 8 + SERVER_COOKIE_LENGTH || buf[offset + 8] != 1) {
            return INVALID; // not a version 1 cookie of ours
        }
        long timestamp = u32(buf, offset + 12);
        // serial number arithmetic on 32 bits (RFC 1982), as RFC 9018 4.3 asks
        int age = (int) ((now & 0xFFFFFFFFL) - timestamp);
        if (age > MAX_AGE_SECONDS || age < -MAX_AHEAD_SECONDS) {
            return INVALID;
        }
        int n = hashInput(buf, offset, buf, offset + 8, ip, ipLength, work);
        long hash = le64(buf, offset + 16);
        Secrets s = secrets(now);
        if (SipHash.hash24(s.k0, s.k1, work, 0, n) == hash
                || (s.hasPrevious && SipHash.hash24(s.previousK0, s.previousK1, work, 0, n) == hash)) {
            return VALID;
        }
        return INVALID;
    }

    /**
     * Writes a fresh server cookie for the client cookie at {@code buf[offset..offset+8)} and address {@code ip} to
     * {@code out[outOffset..outOffset+16)}.
     */
    void serverCookie(
            byte[] buf, int offset, byte[] ip, int ipLength, long now, byte[] work, byte[] out, int outOffset) {
        out[outOffset] = 1; // version
        out[outOffset + 1] = 0; // reserved
        out[outOffset + 2] = 0;
        out[outOffset + 3] = 0;
        out[outOffset + 4] = (byte) (now >>> 24);
        out[outOffset + 5] = (byte) (now >>> 16);
        out[outOffset + 6] = (byte) (now >>> 8);
        out[outOffset + 7] = (byte) now;
        int n = hashInput(buf, offset, out, outOffset, ip, ipLength, work);
        Secrets s = secrets(now);
        long hash = SipHash.hash24(s.k0, s.k1, work, 0, n);
        for (int i = 0; i < 8; i++) {
            out[outOffset + 8 + i] = (byte) (hash >>> (8 * i)); // SipHash's output in its own (little-endian) order
        }
    }

    /** Client cookie | version, reserved, timestamp | client address into {@code work}; returns the length. */
    private static int hashInput(
            byte[] client, int clientOffset, byte[] header, int headerOffset, byte[] ip, int ipLength, byte[] work) {
        System.arraycopy(client, clientOffset, work, 0, 8);
        System.arraycopy(header, headerOffset, work, 8, 8);
        System.arraycopy(ip, 0, work, 16, ipLength);
        return 16 + ipLength;
    }

    private static long u32(byte[] b, int i) {
        return ((b[i] & 0xFFL) << 24) | ((b[i + 1] & 0xFFL) << 16) | ((b[i + 2] & 0xFFL) << 8) | (b[i + 3] & 0xFFL);
    }

    static long le64(byte[] b, int i) {
        long v = 0;
        for (int k = 7; k >= 0; k--) {
            v = (v << 8) | (b[i + k] & 0xFFL);
        }
        return v;
    }

    /** SipHash-2-4 (Aumasson and Bernstein), 64-bit output, on a byte range; allocation-free. */
    static final class SipHash {
        private SipHash() {}

        static long hash24(long k0, long k1, byte[] data, int offset, int length) {
            long v0 = 0x736f6d6570736575L ^ k0;
            long v1 = 0x646f72616e646f6dL ^ k1;
            long v2 = 0x6c7967656e657261L ^ k0;
            long v3 = 0x7465646279746573L ^ k1;
            int end = offset + (length & ~7);
            for (int i = offset; i < end; i += 8) {
                long m = le64(data, i);
                v3 ^= m;
                for (int r = 0; r < 2; r++) {
                    v0 += v1;
                    v1 = Long.rotateLeft(v1, 13);
                    v1 ^= v0;
                    v0 = Long.rotateLeft(v0, 32);
                    v2 += v3;
                    v3 = Long.rotateLeft(v3, 16);
                    v3 ^= v2;
                    v0 += v3;
                    v3 = Long.rotateLeft(v3, 21);
                    v3 ^= v0;
                    v2 += v1;
                    v1 = Long.rotateLeft(v1, 17);
                    v1 ^= v2;
                    v2 = Long.rotateLeft(v2, 32);
                }
                v0 ^= m;
            }
            long b = ((long) length) << 56;
            for (int i = 0; i < (length & 7); i++) {
                b |= (data[end + i] & 0xFFL) << (8 * i);
            }
            v3 ^= b;
            for (int r = 0; r < 2; r++) {
                v0 += v1;
                v1 = Long.rotateLeft(v1, 13);
                v1 ^= v0;
                v0 = Long.rotateLeft(v0, 32);
                v2 += v3;
                v3 = Long.rotateLeft(v3, 16);
                v3 ^= v2;
                v0 += v3;
                v3 = Long.rotateLeft(v3, 21);
                v3 ^= v0;
                v2 += v1;
                v1 = Long.rotateLeft(v1, 17);
                v1 ^= v2;
                v2 = Long.rotateLeft(v2, 32);
            }
            v0 ^= b;
            v2 ^= 0xff;
            for (int r = 0; r < 4; r++) {
                v0 += v1;
                v1 = Long.rotateLeft(v1, 13);
                v1 ^= v0;
                v0 = Long.rotateLeft(v0, 32);
                v2 += v3;
                v3 = Long.rotateLeft(v3, 16);
                v3 ^= v2;
                v0 += v3;
                v3 = Long.rotateLeft(v3, 21);
                v3 ^= v0;
                v2 += v1;
                v1 = Long.rotateLeft(v1, 17);
                v1 ^= v2;
                v2 = Long.rotateLeft(v2, 32);
            }
            return v0 ^ v1 ^ v2 ^ v3;
        }
    }
}
