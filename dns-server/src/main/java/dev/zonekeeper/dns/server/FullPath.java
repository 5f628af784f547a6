package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.DnsMetrics.BadInput;
import dev.zonekeeper.dns.metrics.TransportKind;
import dev.zonekeeper.dns.query.Answer;
import dev.zonekeeper.dns.query.QueryEngine;
import dev.zonekeeper.dns.wire.WireBytes;
import dev.zonekeeper.dns.zone.ZoneSet;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The full path: dnsjava parses the query, so every rcode is possible — malformed packets (FORMERR), the refusals of
 * {@link QueryRules}, truncation — and the answer is ours (authoritative zones first), completed through the
 * forwarder ({@link CnameCompletion}), forwarded ({@link ForwardedPath}), SERVFAIL under a zone not loaded yet, or
 * REFUSED for a name under no served zone without a forwarder.
 */
final class FullPath {
    private final DnsMetrics metrics;
    private final ResponseWriter writer;
    private final ForwardedPath forwarded;
    private final CnameCompletion cnames;
    /** Where UPDATEs and signed AXFRs go; null: UPDATE is NOTIMP and every transfer REFUSED, as for queries. */
    private volatile UpdatePath updates;

    FullPath(DnsMetrics metrics, ResponseWriter writer, ForwardedPath forwarded, CnameCompletion cnames) {
        this.metrics = metrics;
        this.writer = writer;
        this.forwarded = forwarded;
        this.cnames = cnames;
    }

    /**
     * Answers the query in {@code s} from {@code zones}: the response to send now, or null when it is dropped or sent
     * later through the query's responder. {@code countQuery}: the fast path did not count it.
     */
    ByteBuf answer(QueryScratch s, ZoneSet zones, boolean countQuery) {
        UpdatePath u = updates;
        if (u != null && ((s.flags >>> 11) & 0xF) == Opcode.UPDATE && u.enabled()) {
            return u.update(s); // by the opcode alone: the handler parses what it needs
        }
        Exchange x = writer.exchange(s);
        ByteBuf buf = s.bytes;
        byte[] bytes = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), bytes);
        Message query;
        try {
            query = new Message(bytes);
        } catch (IOException | RuntimeException e) {
            return malformed(x, bytes, countQuery);
        }
        Header h = query.getHeader();
        for (int section = 0; section < 4; section++) {
            // dnsjava forgives a cut packet when TC is set and lowers the counts to what it read: a query's counts
            // must all be true
            if (h.getCount(section) != WireBytes.u16(bytes, 4 + 2 * section)) {
                return malformed(x, bytes, countQuery);
            }
        }
        x.query = query;
        writer.readCookie(x, s);
        return answer(x, s, zones, countQuery);
    }

    private ByteBuf malformed(Exchange x, byte[] bytes, boolean countQuery) {
        if (countQuery) {
            metrics.query(x.transport, -1);
        }
        metrics.badInput(BadInput.MALFORMED);
        return writer.headerOnly(x, bytes, Rcode.FORMERR);
    }

    /** The full path once the query is parsed. */
    private ByteBuf answer(Exchange x, QueryScratch s, ZoneSet zones, boolean countQuery) {
        Message query = x.query;
        Header h = query.getHeader();
        org.xbill.DNS.Record question = query.getQuestion();
        if (countQuery) {
            metrics.query(x.transport, question == null ? -1 : question.getType());
        }
        BadInput refused = QueryRules.header(h.getOpcode(), h.getCount(Section.QUESTION));
        if (refused == null) {
            int opts = 0;
            for (org.xbill.DNS.Record r : query.getSection(Section.ADDITIONAL)) {
                if (r.getType() == Type.OPT) {
                    opts++;
                }
            }
            OPTRecord opt = query.getOPT();
            refused = QueryRules.edns(
                    opts, opt == null || opt.getName().equals(Name.root), opt == null ? 0 : opt.getVersion());
        }
        if (refused == null) {
            refused = QueryRules.question(question.getDClass(), question.getType());
        }
        if (refused == BadInput.TRANSFER && signedAxfrOverTcp(query, x)) {
            return updates.transfer(x, s); // an update key lists its zone (ExternalDNS)
        }
        if (refused == null && question.getType() == Type.SOA && signedSoa(query)) {
            // nsupdate without a `zone` line finds the zone by a signed SOA query and wants a signed answer (RFC 8945)
            return updates.signedQuery(x, s);
        }
        if (refused != null) {
            metrics.badInput(refused);
            return writer.sendError(x, QueryRules.rcode(refused));
        }
        int qtype = question.getType();
        Name qname = question.getName();
        Answer a = QueryEngine.answer(zones, qname, qtype, DClass.IN);
        if (a != null && !forwarded.fallsThrough(a, qname)) {
            Message r = writer.base(query);
            Header rh = r.getHeader();
            if (a.authoritative()) {
                rh.setFlag(Flags.AA);
            }
            rh.setRcode(a.rcode());
            if (qtype == Type.ANY && x.transport == TransportKind.UDP) {
                a = minimalAny(a);
            }
            addAll(r, a.answer(), Section.ANSWER);
            addAll(r, a.authority(), Section.AUTHORITY);
            addAll(r, a.additional(), Section.ADDITIONAL);
            Name target = forwarded.enabled() ? CnameCompletion.externalTarget(zones, a, qtype) : null;
            return target == null ? writer.send(r, x) : cnames.chase(r, target, qtype, x, s);
        }
        if (forwarded.underPendingZone(qname)) {
            return writer.sendError(x, Rcode.SERVFAIL);
        }
        if (!forwarded.enabled()) {
            return writer.sendError(x, Rcode.REFUSED);
        }
        // a name under no served zone, or our NXDOMAIN under a fallthrough zone: the forwarder's answer as it is
        return forwarded.forward(x, s);
    }

    void updates(UpdatePath path) {
        updates = path;
    }

    /** A query carrying a TSIG, with a handler for it (one that knows the keys, or relays to the primary that does). */
    private boolean signedSoa(Message query) {
        UpdatePath u = updates;
        return u != null && query.getTSIG() != null && u.enabled();
    }

    /** An AXFR over TCP carrying a TSIG, with a handler for it; unsigned ones stay REFUSED. */
    private boolean signedAxfrOverTcp(Message query, Exchange x) {
        UpdatePath u = updates;
        return u != null
                && u.enabled()
                && x.transport == TransportKind.TCP
                && query.getQuestion().getType() == Type.AXFR
                && query.getTSIG() != null;
    }

    /**
     * RFC 8482 minimal ANY over UDP: one RRset, the one of the lowest type at the name (as Knot picks), with the
     * additional records of that RRset only. A spoofed UDP source cannot then turn a small ANY query into every record
     * a name has (the examples' apex without EDNS: 321 bytes for a 30-byte query, 67 now); a client that wants
     * everything asks over TCP, whose handshake proves its address, and gets every RRset, as before (tools such as
     * {@code dig ANY +tcp} are used to see everything a name has, and TCP responses cannot be reflected).
     */
    static Answer minimalAny(Answer a) {
        List<org.xbill.DNS.Record> answer = a.answer();
        int lowest = Integer.MAX_VALUE;
        for (org.xbill.DNS.Record r : answer) {
            lowest = Math.min(lowest, r.getType());
        }
        boolean several = false;
        for (org.xbill.DNS.Record r : answer) {
            several |= r.getType() != lowest;
        }
        if (!several) {
            return a;
        }
        List<org.xbill.DNS.Record> kept = new java.util.ArrayList<>();
        Set<Name> targets = new java.util.HashSet<>();
        for (org.xbill.DNS.Record r : answer) {
            if (r.getType() == lowest) {
                kept.add(r);
                Name t = r.getAdditionalName();
                if (t != null) {
                    targets.add(t);
                }
            }
        }
        List<org.xbill.DNS.Record> additional = new java.util.ArrayList<>();
        for (org.xbill.DNS.Record r : a.additional()) {
            if (targets.contains(r.getName())) {
                additional.add(r);
            }
        }
        return new Answer(a.rcode(), a.authoritative(), kept, a.authority(), additional);
    }

    static void addAll(Message m, List<org.xbill.DNS.Record> records, int section) {
        for (org.xbill.DNS.Record r : records) {
            m.addRecord(r, section);
        }
    }
}
