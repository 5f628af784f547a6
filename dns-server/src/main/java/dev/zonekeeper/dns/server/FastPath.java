package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.query.Answer;
import dev.zonekeeper.dns.query.QueryEngine;
import dev.zonekeeper.dns.wire.WireBytes;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.util.Arrays;
import org.xbill.DNS.DNSInput;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;

/**
 * The fast path: a plain query (one IN question, optional EDNS0 OPT; {@link QueryScratch#parse}) whose answer is in
 * the {@link AnswerCache} is answered by copying header fields, the question as sent and the pre-encoded tail — no
 * parsing into objects, nothing allocated. A cache miss is answered once by the query engine, encoded and cached. A
 * forwarded name (the cache marks it so) whose response is fresh in the forwarder's cache is answered the same way
 * from the cache's pre-encoded response ({@link ForwardedHits}). Everything else is left to the full path.
 */
final class FastPath {
    private final DnsMetrics metrics;
    private final ResponseWriter writer;
    /** Null without a forwarder. */
    private final ForwardedHits forwardedHits;

    private final ForwardedPath forwarded;

    FastPath(DnsMetrics metrics, ResponseWriter writer, ForwardedHits forwardedHits, ForwardedPath forwarded) {
        this.metrics = metrics;
        this.writer = writer;
        this.forwardedHits = forwardedHits;
        this.forwarded = forwarded;
    }

    /**
     * The response to the plain query in {@code s}, null when rate limiting dropped it, or {@link
     * ResponseWriter#FULL_PATH} when the full path must answer.
     */
    ByteBuf answer(QueryScratch s, AnswerCache c) {
        AnswerCache.Entry e = c.get(s.packet, s.nameOffset, s.nameLength, s.hash, s.typeClass());
        if (e == null || !e.forwarded()) {
            metrics.fastPath(e != null);
        }
        if (e == null) {
            e = encode(c, s);
            if (e == null) {
                return ResponseWriter.FULL_PATH;
            }
            c.put(e);
        }
        if (e.forwarded()) {
            return forwardedHits == null ? ResponseWriter.FULL_PATH : forwardedHits.answer(s);
        }
        ByteBuf out = writer.begin(s, e.tail.length, (e.flags & 0x0400) | e.rcode(), e.anCount, e.nsCount, e.arCount);
        if (out == null) {
            return ResponseWriter.FULL_PATH; // the full path truncates
        }
        out.writeBytes(e.tail);
        return writer.finish(out, s, e.rcode());
    }

    /**
     * Builds and encodes the answer of a fast-path query. A name that is forwarded as it came (under no served or
     * pending zone, or an NXDOMAIN under a fallthrough zone) gets a "forwarded" mark when there is a forwarder to
     * serve cache hits from bytes. Null (the full path answers) without one, and when the answer is a CNAME chain
     * leaving the served zones that the forwarder completes.
     */
    private AnswerCache.Entry encode(AnswerCache c, QueryScratch s) {
        byte[] key = new byte[s.nameLength];
        System.arraycopy(s.packet, s.nameOffset, key, 0, key.length);
        for (int i = 0; i < key.length; i++) {
            key[i] = WireBytes.lower(key[i]);
        }
        Name qname;
        try {
            qname = new Name(new DNSInput(key));
        } catch (IOException e) {
            return null;
        }
        Answer a = QueryEngine.answer(c.zones, qname, s.qtype, s.qclass);
        if (forwardedHits != null
                && (a == null ? !forwarded.underPendingZone(qname) : forwarded.fallsThrough(a, qname))) {
            return AnswerCache.Entry.forwarded(key, s.hash, s.typeClass());
        }
        if (a == null
                || (forwarded.enabled()
                        && (CnameCompletion.externalTarget(c.zones, a, s.qtype) != null
                                || forwarded.fallsThrough(a, qname)))) {
            return null; // not ours, or answered with upstream data, whose TTLs run: never pre-encoded
        }
        Message m = new Message(0);
        Header h = m.getHeader();
        h.setFlag(Flags.QR);
        if (a.authoritative()) {
            h.setFlag(Flags.AA);
        }
        h.setRcode(a.rcode());
        m.addRecord(org.xbill.DNS.Record.newRecord(qname, s.qtype, s.qclass), Section.QUESTION);
        FullPath.addAll(m, a.answer(), Section.ANSWER);
        FullPath.addAll(m, a.authority(), Section.AUTHORITY);
        FullPath.addAll(m, a.additional(), Section.ADDITIONAL);
        byte[] wire = m.toWire();
        int tailStart = 12 + s.nameLength + 4;
        int flags = (a.authoritative() ? 0x0400 : 0) | (a.rcode() & 0xF);
        return new AnswerCache.Entry(
                key,
                s.hash,
                s.typeClass(),
                flags,
                WireBytes.u16(wire, 6),
                WireBytes.u16(wire, 8),
                WireBytes.u16(wire, 10),
                Arrays.copyOfRange(wire, tailStart, wire.length));
    }
}
