package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.wire.WireBytes;
import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

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

    /** Offset of the COOKIE option's data in {@link #packet} (client cookie, then any server cookie), or -1. */
    int cookieOffset;
    /** Length of the COOKIE option's data: 8 (client cookie only) or 16 to 40. */
    int cookieLength;

    /** The sender's address object last seen ({@link #client}); compared by identity. */
    private Object client;
    /** The sender's IP address (4 or 16 bytes), 0 bytes when unknown (tests, in-process callers). */
    final byte[] ip = new byte[16];
    int ipLength;
    /** The query's cookie verdict ({@link Cookies}) and the server cookie made for the response. */
    int cookieStatus;
    final byte[] serverCookie = new byte[Cookies.SERVER_COOKIE_LENGTH];
    /** Scratch for the cookie hash's input. */
    final byte[] work = new byte[40];

    /** The query's bytes, copied in once: parsing a plain array costs no per-byte checks. */
    byte[] packet = new byte[1024];
    int length;

    /**
     * Takes the sender's address from {@code context} (an {@link InetSocketAddress} for UDP, the connection for TCP; anything else
     * means unknown). The JDK hands the UDP reader the same address object while the sender stays the same, and a TCP
     * channel keeps its own, so the address is read again only when the object changes: an IPv6 address is copied out
     * of the JDK's object (IPv4's is its hash code), nothing is allocated for repeated senders.
     */
    void client(Object context) {
        if (context == client) {
            return;
        }
        client = context;
        Object address = context instanceof DnsTransport.TcpConnection c ? c.remote() : context;
        InetAddress a = address instanceof InetSocketAddress sa ? sa.getAddress() : null;
        if (a instanceof Inet4Address) {
            int v = a.hashCode(); // Inet4Address's hash code is its address
            ip[0] = (byte) (v >>> 24);
            ip[1] = (byte) (v >>> 16);
            ip[2] = (byte) (v >>> 8);
            ip[3] = (byte) v;
            ipLength = 4;
        } else if (a != null) {
            byte[] b = a.getAddress();
            System.arraycopy(b, 0, ip, 0, Math.min(16, b.length));
            ipLength = Math.min(16, b.length);
        } else {
            ipLength = 0;
        }
    }

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
        if (qclass != 1 || QueryProcessor.metaType(qtype)) {
            return SLOW; // class other than IN; type 0, OPT and the meta-types: one rule, the full path's
        }
        edns = false;
        udpSize = 512;
        dnssecOk = false;
        cookieOffset = -1;
        cookieLength = 0;
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
                int code = WireBytes.u16(buf, o);
                int optLength = WireBytes.u16(buf, o + 2);
                if (o + 4 + optLength > rdEnd) {
                    return SLOW;
                }
                if (code == OPTION_COOKIE) {
                    // RFC 7873 5.2.2: a client cookie of 8 bytes, then nothing or a server cookie of 8 to 32 bytes;
                    // other lengths get FORMERR from the full path (dnsjava refuses them); a second cookie too
                    if (cookieOffset >= 0 || optLength < 8 || (optLength > 8 && (optLength < 16 || optLength > 40))) {
                        return SLOW;
                    }
                    cookieOffset = o + 4;
                    cookieLength = optLength;
                } else if (!plainOption(code)) {
                    return SLOW;
                }
                o += 4 + optLength;
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

    static final int OPTION_COOKIE = 10;

    /**
     * Whether an EDNS option is one the fast path may pass over: every option that dnsjava's parser (the full path)
     * reads without validating it, so both paths accept or refuse the same packets. Client Subnet (8), TCP keepalive
     * (11) and Extended Error (15) are validated by dnsjava; a query with one of them takes the full path, which
     * answers FORMERR when it is malformed and ignores it otherwise. They are rare in the queries a cluster's stub
     * resolvers send; cookies (10) are common (dig, BIND and Unbound send them) and are read here.
     */
    private static boolean plainOption(int code) {
        return code != 8 && code != 11 && code != 15;
    }

    int typeClass() {
        return (qtype << 16) | qclass;
    }
}
