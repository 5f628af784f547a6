package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.wire.WireBytes;
import io.netty.buffer.ByteBuf;

/**
 * The fields of a query that the fast path needs, read straight from the packet's bytes into a reusable per-thread
 * object (like CoreDNS's request.Request, computed once per query). {@link #parse} accepts only the common shape: a
 * standard query with one question of class IN, an uncompressed name, and at most an EDNS0 version-0 OPT record.
 * Everything else goes to the full parser, which knows every rcode.
 */
final class QueryScratch {
    static final int OK = 0;
    static final int SLOW = 1;
    static final int DROP_SHORT = 2;
    static final int DROP_RESPONSE = 3;

    int id;
    int flags;
    int nameOffset;
    int nameLength;
    int qtype;
    int qclass;
    int hash;
    boolean edns;
    int udpSize;
    /** The query's EDNS DO bit, copied into the response (RFC 3225 section 3). */
    boolean dnssecOk;

    /** The query's bytes, copied in once: parsing a plain array costs no per-byte checks. */
    byte[] packet = new byte[1024];
    int length;

    /** Copies the query at buf's reader index and reads it; returns OK, SLOW or a DROP_ code. */
    int parse(ByteBuf in) {
        length = in.readableBytes();
        if (length > packet.length) {
            packet = new byte[Math.min(65535, Math.max(length, packet.length * 2))];
        }
        int n = Math.min(length, packet.length);
        // readBytes, not getBytes: for a direct buffer without Unsafe (the UDP path on Java 25) Netty's getBytes into
        // an array makes a duplicate of the NIO buffer on every call, readBytes uses the buffer's own
        int readerIndex = in.readerIndex();
        in.readBytes(packet, 0, n);
        in.readerIndex(readerIndex);
        return parse(packet, n);
    }

    private int parse(byte[] buf, int end) {
        int start = 0;
        if (end - start < 12) {
            return DROP_SHORT;
        }
        id = WireBytes.u16(buf, start);
        flags = WireBytes.u16(buf, start + 2);
        if ((flags & 0x8000) != 0) {
            return DROP_RESPONSE;
        }
        if ((flags & 0x7800) != 0 // opcode other than QUERY
                || WireBytes.u16(buf, start + 4) != 1
                || WireBytes.u16(buf, start + 6) != 0
                || WireBytes.u16(buf, start + 8) != 0) {
            return SLOW;
        }
        int arCount = WireBytes.u16(buf, start + 10);
        if (arCount > 1) {
            return SLOW;
        }
        int p = start + 12;
        nameOffset = p;
        while (true) {
            if (p >= end) {
                return SLOW;
            }
            int len = (buf[p] & 0xFF);
            if (len == 0) {
                p++;
                break;
            }
            if ((len & 0xC0) != 0 || p + 1 + len > end) {
                return SLOW;
            }
            p += 1 + len;
            if (p - nameOffset > 255) {
                return SLOW;
            }
        }
        nameLength = p - nameOffset;
        if (nameLength > 255 || p + 4 > end) {
            return SLOW;
        }
        qtype = WireBytes.u16(buf, p);
        qclass = WireBytes.u16(buf, p + 2);
        p += 4;
        if (qclass != 1 || qtype == 41 || qtype == 250 || (qtype >= 251 && qtype <= 255) || qtype == 0) {
            return SLOW; // class other than IN; OPT, TSIG, IXFR, AXFR, MAILB, MAILA, ANY, type 0
        }
        edns = false;
        udpSize = 512;
        dnssecOk = false;
        if (arCount == 1) {
            // exactly one OPT: root name, type 41, class = UDP size, ttl = ext-rcode/version/flags, rdata options
            if (p + 11 > end || buf[p] != 0 || WireBytes.u16(buf, p + 1) != 41) {
                return SLOW;
            }
            int version = (buf[p + 6] & 0xFF);
            if (version != 0 || (buf[p + 5] & 0xFF) != 0) {
                return SLOW;
            }
            int rdLength = WireBytes.u16(buf, p + 9);
            int o = p + 11;
            int rdEnd = o + rdLength;
            if (rdEnd > end) {
                return SLOW;
            }
            while (o < rdEnd) {
                if (o + 4 > rdEnd) {
                    return SLOW;
                }
                o += 4 + WireBytes.u16(buf, o + 2);
            }
            if (o != rdEnd) {
                return SLOW;
            }
            edns = true;
            udpSize = Math.max(512, WireBytes.u16(buf, p + 3));
            dnssecOk = (buf[p + 7] & 0x80) != 0;
            p = rdEnd;
        }
        if (p != end) {
            return SLOW; // trailing bytes
        }
        // keyed per process (WireBytes.questionHash): attackers cannot make names collide
        hash = WireBytes.questionHash(buf, nameOffset, nameLength, typeClass());
        return OK;
    }

    int typeClass() {
        return (qtype << 16) | qclass;
    }
}
