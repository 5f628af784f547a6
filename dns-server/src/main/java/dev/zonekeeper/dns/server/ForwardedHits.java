package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.forward.EncodedResponse;
import dev.zonekeeper.dns.forward.Forwarder;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The fast path for forwarded questions whose response is fresh in the forwarder's cache: the response is the
 * cache's pre-encoded records ({@link EncodedResponse}) behind a header and the question as sent, with TTLs decremented
 * by the entry's age, and our OPT when the query had EDNS — the bytes the full path (dnsjava parse, {@link
 * Forwarder#forward}, dnsjava encode) sends for the same hit. Anything else (no fresh entry, a response that does not
 * fit the client's UDP size and must be truncated) returns null and the full path answers.
 */
final class ForwardedHits {
    private final Forwarder forwarder;
    private final DnsMetrics metrics;

    ForwardedHits(Forwarder forwarder, DnsMetrics metrics) {
        this.forwarder = forwarder;
        this.metrics = metrics;
    }

    /** The response to the query in {@code s} (a plain query the fast path parsed), or null. */
    ByteBuf answer(QueryScratch s, int transport, ByteBufAllocator alloc, long startNanos) {
        long now = System.nanoTime();
        EncodedResponse r = forwarder.cachedResponse(s.packet, s.nameOffset, s.nameLength, s.hash, s.qtype, s.qclass,
                s.dnssecOk, (s.flags & 0x0010) != 0 /* CD */, now);
        if (r == null) {
            return null;
        }
        int length = 12 + s.nameLength + 4 + r.tailLength() + QueryProcessor.optLength(s);
        int limit = transport == DnsMetrics.UDP
                ? (s.edns ? Math.min(s.udpSize, QueryProcessor.EDNS_UDP_SIZE) : 512) : QueryProcessor.TCP_MAX;
        if (length > limit) {
            return null; // the full path truncates
        }
        ByteBuf out = alloc.ioBuffer(length);
        out.writeShort(s.id);
        // QR, RD and CD as asked, RA; AA and AD clear, as the full path sends forwarded answers
        out.writeShort(0x8000 | (s.flags & 0x0110) | 0x0080 | r.rcode());
        out.writeShort(1);
        out.writeShort(r.answerCount());
        out.writeShort(r.authorityCount());
        out.writeShort(r.additionalCount() + (s.edns ? 1 : 0));
        out.writeBytes(s.packet, s.nameOffset, s.nameLength + 4);
        r.writeTail(out, now);
        if (s.edns) {
            QueryProcessor.writeOpt(out, s);
        }
        forwarder.cacheHitServed();
        metrics.response(r.rcode(), startNanos);
        return out;
    }
}
