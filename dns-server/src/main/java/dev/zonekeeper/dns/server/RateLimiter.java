package dev.zonekeeper.dns.server;

import io.netty.buffer.ByteBuf;
import java.security.SecureRandom;

/**
 * Response rate limiting (RRL) for UDP, with BIND's {@code rate-limit} / NSD's {@code rrl-ratelimit} / Knot's
 * {@code mod-rrl} semantics. Responses are counted per account: the client's network (IPv4 /24 and IPv6 /56 by
 * default), the kind of response and a name:
 * <ul>
 *   <li>positive answers and NODATA/referrals: per question name and type (a flood of one name counts as one);</li>
 *   <li>NXDOMAIN: per zone (the owner of the SOA in authority), so a random-subdomain flood is one account;</li>
 *   <li>errors (REFUSED, FORMERR, SERVFAIL, ...): one account per network.</li>
 * </ul>
 * Each account earns {@code rate} responses per second, keeps at most one second's worth, and every response asked for
 * spends one, answered or not, down to a debt of {@code window} seconds' worth: a client that keeps asking faster than
 * the rate stays limited until it has slowed down, for at most {@code window} seconds after it stops. Beyond the rate
 * a response is dropped, except every {@code slip}-th, which is sent truncated (TC set, question only, no records), so a
 * real client behind a spoofed flood retries over TCP and is answered; a spoofed victim receives at most a small
 * packet. {@code slip} 0 drops them all, 1 truncates them all. TCP is never limited (the caller does not ask).
 *
 * <p>Memory is fixed: {@link #SLOTS} accounts in flat arrays, found by a 64-bit key hashed with a per-process random
 * seed (no per-client allocation, no map; an attacker cannot aim names or addresses at one slot). A key probes
 * {@link #PROBES} slots and, when none is its own, takes the one least recently used: a flood of new keys recycles
 * the table instead of growing it. The UDP threads update the arrays without locks: two threads updating one account at
 * the same instant may lose an update (a response counted once instead of twice), never more.
 */
final class RateLimiter {
    static final int PASS = 0;
    static final int DROP = 1;
    static final int SLIP = 2;

    /** Accounts kept: 32,768 of 24 bytes, 768 KiB. */
    static final int SLOTS = 1 << 15;

    static final int PROBES = 4;

    private static final int KIND_POSITIVE = 1;
    private static final int KIND_NODATA = 2;
    private static final int KIND_NXDOMAIN = 3;
    private static final int KIND_ERROR = 4;

    private final int rate;
    private final int slip;
    private final int ipv4Prefix;
    private final int ipv6Prefix;
    private final int maxDebt;
    private final long seed;
    private final long[] keys = new long[SLOTS];
    /** The second (of the caller's clock) of the account's last update. */
    private final int[] seconds = new int[SLOTS];

    private final int[] balance = new int[SLOTS];
    private final int[] limited = new int[SLOTS];

    /**
     * @param rate responses per second per account (more than 0)
     * @param slip every slip-th limited response is sent truncated (0: none)
     * @param ipv4Prefix bits of an IPv4 address that make the client's network
     * @param ipv6Prefix bits of an IPv6 address that make the client's network
     * @param windowSeconds the longest a limited client stays limited after it stops
     */
    RateLimiter(int rate, int slip, int ipv4Prefix, int ipv6Prefix, int windowSeconds) {
        if (rate <= 0) {
            throw new IllegalArgumentException("rate " + rate);
        }
        this.rate = rate;
        this.slip = slip;
        this.ipv4Prefix = ipv4Prefix;
        this.ipv6Prefix = ipv6Prefix;
        this.maxDebt = (int) Math.min(Integer.MAX_VALUE / 2, (long) rate * windowSeconds);
        this.seed = new SecureRandom().nextLong();
    }

    /** The key part of the client's network: the first prefix bits of {@code ip[0..length)} (4 or 16 bytes). */
    long network(byte[] ip, int length) {
        return network(seed, ipv4Prefix, ipv6Prefix, ip, length);
    }

    /**
     * A keyed hash of the client's network, the first {@code ipv4Prefix} or {@code ipv6Prefix} bits of
     * {@code ip[0..length)}: what accounts per client network (this limiter, {@link ForwardShares}) key on.
     */
    static long network(long seed, int ipv4Prefix, int ipv6Prefix, byte[] ip, int length) {
        int bits = length == 4 ? ipv4Prefix : ipv6Prefix;
        long h = mix(seed ^ length);
        long word = 0;
        for (int i = 0; i < length; i++) {
            int keep = Math.max(0, Math.min(8, bits - 8 * i));
            int b = ip[i] & (0xFF00 >>> keep) & 0xFF;
            word = (word << 8) | b;
            if ((i & 7) == 7 || i == length - 1) {
                h = mix(h ^ word);
                word = 0;
            }
        }
        return h;
    }

    /**
     * The verdict for {@code response} (a whole DNS message at its reader index, the question uncompressed at offset
     * 12, as both paths write it) to a client of network {@code network}: {@link #PASS}, {@link #DROP} or
     * {@link #SLIP}.
     */
    int check(long network, ByteBuf response, long nowSeconds) {
        int r = response.readerIndex();
        int end = response.writerIndex();
        if (end - r < 12) {
            return PASS;
        }
        int rcode = response.getByte(r + 3) & 0xF;
        int qd = response.getUnsignedShort(r + 4);
        int an = response.getUnsignedShort(r + 6);
        int kind;
        long name = 0;
        if (rcode == 0 && qd == 1) {
            kind = an > 0 ? KIND_POSITIVE : KIND_NODATA;
            int q = r + 12;
            int qEnd = skipName(response, q, end);
            if (qEnd < 0 || qEnd + 2 > end) {
                return PASS;
            }
            name = nameHash(response, r, q, end) * 31 + response.getUnsignedShort(qEnd);
        } else if (rcode == 3 && qd == 1) {
            kind = KIND_NXDOMAIN;
            name = zoneHash(response, r, an, end);
        } else {
            kind = KIND_ERROR;
        }
        return account(mix(network ^ mix(name * 8 + kind)), (int) nowSeconds);
    }

    /** Debits the account of {@code key}; the verdict. */
    private int account(long key, int now) {
        int base = (int) key & (SLOTS - 1);
        int slot = -1;
        int oldest = -1;
        for (int i = 0; i < PROBES; i++) {
            int s = (base + i) & (SLOTS - 1);
            if (keys[s] == key) {
                slot = s;
                break;
            }
            if (oldest < 0 || now - seconds[s] > now - seconds[oldest]) {
                oldest = s;
            }
        }
        if (slot < 0) {
            slot = oldest;
            keys[slot] = key;
            seconds[slot] = now;
            balance[slot] = rate;
            limited[slot] = 0;
        }
        int elapsed = now - seconds[slot];
        int b = balance[slot];
        if (elapsed > 0) {
            // credit the seconds gone by, at most one second's worth on hand
            b = (int) Math.min(rate, b + Math.min((long) elapsed, maxDebt / rate + 2L) * rate);
            seconds[slot] = now;
        }
        if (b > 0) {
            balance[slot] = b - 1;
            return PASS;
        }
        balance[slot] = Math.max(b - 1, -maxDebt);
        int n = ++limited[slot];
        return slip > 0 && n % slip == 0 ? SLIP : DROP;
    }

    /**
     * Turns {@code response} into the truncated slip: the header with TC set and the counts of answer, authority and
     * additional zeroed, then the question; nothing else. In place: nothing is allocated.
     */
    static void truncate(ByteBuf response) {
        int r = response.readerIndex();
        int end = response.writerIndex();
        int qd = response.getUnsignedShort(r + 4);
        int cut = r + 12;
        if (qd == 1) {
            int qEnd = skipName(response, cut, end);
            cut = qEnd < 0 || qEnd + 4 > end ? r + 12 : qEnd + 4;
        }
        response.setShort(r + 2, response.getUnsignedShort(r + 2) | 0x0200);
        response.setShort(r + 4, cut == r + 12 ? 0 : 1);
        response.setShort(r + 6, 0);
        response.setShort(r + 8, 0);
        response.setShort(r + 10, 0);
        response.writerIndex(cut);
    }

    /** The hash of the owner of the first authority record (the SOA of a negative answer: its zone), or 0. */
    private static long zoneHash(ByteBuf b, int start, int answers, int end) {
        int p = skipName(b, start + 12, end);
        if (p < 0) {
            return 0;
        }
        p += 4;
        for (int i = 0; i < answers; i++) {
            p = skipRecord(b, p, end);
            if (p < 0) {
                return 0;
            }
        }
        return p < end && b.getUnsignedShort(start + 8) > 0 ? nameHash(b, start, p, end) : 0;
    }

    private static int skipRecord(ByteBuf b, int p, int end) {
        p = skipName(b, p, end);
        if (p < 0 || p + 10 > end) {
            return -1;
        }
        return p + 10 + b.getUnsignedShort(p + 8);
    }

    /** The end of the name at {@code p} (a pointer ends it), or -1. */
    static int skipName(ByteBuf b, int p, int end) {
        while (p < end) {
            int len = b.getUnsignedByte(p);
            if (len == 0) {
                return p + 1;
            }
            if ((len & 0xC0) == 0xC0) {
                return p + 2 <= end ? p + 2 : -1;
            }
            if ((len & 0xC0) != 0) {
                return -1;
            }
            p += 1 + len;
        }
        return -1;
    }

    /** A case-insensitive hash of the name at {@code p}, compression pointers followed (at most 64 hops). */
    private static long nameHash(ByteBuf b, int start, int p, int end) {
        long h = 1;
        for (int hops = 0; hops < 64 && p < end; ) {
            int len = b.getUnsignedByte(p);
            if (len == 0) {
                return h;
            }
            if ((len & 0xC0) == 0xC0) {
                if (p + 1 >= end) {
                    return h;
                }
                p = start + (((len & 0x3F) << 8) | b.getUnsignedByte(p + 1));
                hops++;
                continue;
            }
            h = h * 31 + len;
            for (int i = p + 1; i <= p + len && i < end; i++) {
                int c = b.getUnsignedByte(i);
                h = h * 31 + (c >= 'A' && c <= 'Z' ? c + 32 : c);
            }
            p += 1 + len;
        }
        return h;
    }

    /** MurmurHash3's 64-bit finaliser: every input bit affects every output bit. */
    private static long mix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
