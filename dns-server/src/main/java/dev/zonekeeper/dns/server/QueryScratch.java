package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.forward.WireQuestion;
import dev.zonekeeper.dns.metrics.TransportKind;
import dev.zonekeeper.dns.wire.WireBytes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One query on its way through the server (as CoreDNS's request.Request or Knot's knotd_qdata): how it came (its
 * bytes, the transport, the sender, when it arrived), where its response goes (the allocator, the {@link
 * QueryProcessor.Responder} for answers made later) and the fields the fast path needs, read straight from the bytes.
 * It is mutable and reused: one per UDP reading thread or TCP event loop, refilled by {@link #received} for each
 * query, so the hot path allocates nothing per query. What must outlive the call (forwarded queries) is copied out
 * into an {@link Exchange} by the full path.
 *
 * <p>{@link #parse} accepts only the common shape: a standard query with one question of class IN, an uncompressed
 * name, and at most an EDNS0 version-0 OPT record. Everything else goes to the full parser, which knows every rcode.
 */
final class QueryScratch implements WireQuestion {
    static final int OK = 0;
    static final int SLOW = 1;
    static final int DROP_SHORT = 2;
    static final int DROP_RESPONSE = 3;

    /** How the query came; fixed for the reading thread. */
    TransportKind transport;
    /** Allocates the response; fixed for the reading thread. */
    ByteBufAllocator alloc;
    /** Sends a response made later (forwarded queries) to {@link #context}; fixed for the reading thread. */
    QueryProcessor.Responder responder;
    /** The query's bytes at their reader index; valid during {@link QueryProcessor#process(QueryScratch)} only. */
    ByteBuf bytes;
    /** Where the response goes: the sender's {@link InetSocketAddress} (UDP) or the TCP connection; null: unknown. */
    Object context;
    /** When the query arrived ({@link System#nanoTime()}): the response's latency is counted from it. */
    long startNanos;

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

    QueryScratch() {
        this(TransportKind.UDP, null, null);
    }

    QueryScratch(TransportKind transport, ByteBufAllocator alloc, QueryProcessor.Responder responder) {
        this.transport = transport;
        this.alloc = alloc;
        this.responder = responder;
    }

    /** Refills this object with the next query: its bytes (read from their reader index), sender and arrival. */
    QueryScratch received(ByteBuf bytes, Object context, long startNanos) {
        this.bytes = bytes;
        this.context = context;
        this.startNanos = startNanos;
        return this;
    }

    /**
     * Takes the sender's address from {@link #context} (an {@link InetSocketAddress} for UDP, the connection for TCP; anything else
     * means unknown). The JDK hands the UDP reader the same address object while the sender stays the same, and a TCP
     * channel keeps its own, so the address is read again only when the object changes: an IPv6 address is copied out
     * of the JDK's object (IPv4's is its hash code), nothing is allocated for repeated senders.
     */
    void readClient() {
        Object context = this.context;
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

    /** Copies the query's {@link #bytes} and reads them; returns OK, SLOW or a DROP_ code. */
    int parse() {
        return parse(bytes);
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
        if (QueryRules.header((flags >>> 11) & 0xF, WireBytes.u16(buf, start + 4)) != null
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
        if (!QueryRules.fastPathQuestion(qclass, qtype)) {
            return SLOW; // every question the full path refuses, and the meta-types it answers its own way
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

    @Override
    public byte[] packet() {
        return packet;
    }

    @Override
    public int nameOffset() {
        return nameOffset;
    }

    @Override
    public int nameLength() {
        return nameLength;
    }

    @Override
    public int questionHash() {
        return hash;
    }

    @Override
    public int qtype() {
        return qtype;
    }

    @Override
    public int qclass() {
        return qclass;
    }

    @Override
    public boolean dnssecOk() {
        return dnssecOk;
    }

    @Override
    public boolean checkingDisabled() {
        return (flags & 0x0010) != 0;
    }
}
