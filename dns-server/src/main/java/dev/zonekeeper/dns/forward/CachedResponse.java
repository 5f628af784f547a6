package dev.zonekeeper.dns.forward;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongUnaryOperator;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The parts of an upstream response that are passed on to clients: rcode, AD and the three record sections without
 * OPT, TSIG or SIG(0) (those belong to one hop). Immutable; every client gets its own {@link Message}.
 */
public record CachedResponse(
        int rcode,
        boolean authenticData,
        List<org.xbill.DNS.Record> answer,
        List<org.xbill.DNS.Record> authority,
        List<org.xbill.DNS.Record> additional) {

    public CachedResponse {
        answer = List.copyOf(answer);
        authority = List.copyOf(authority);
        additional = List.copyOf(additional);
    }

    /** The passed-on parts of an upstream response. */
    public static CachedResponse of(Message upstream) {
        List<org.xbill.DNS.Record> additional = new ArrayList<>();
        for (org.xbill.DNS.Record r : upstream.getSection(Section.ADDITIONAL)) {
            int type = r.getType();
            if (type != Type.OPT && type != Type.TSIG && type != Type.SIG) {
                additional.add(r);
            }
        }
        return new CachedResponse(
                upstream.getHeader().getRcode(),
                upstream.getHeader().getFlag(Flags.AD),
                upstream.getSection(Section.ANSWER),
                upstream.getSection(Section.AUTHORITY),
                additional);
    }

    /** A SERVFAIL with no records. */
    public static CachedResponse servfail() {
        return new CachedResponse(org.xbill.DNS.Rcode.SERVFAIL, false, List.of(), List.of(), List.of());
    }

    /**
     * The response to {@code query}: its ID and question, QR and RA set, RD and CD copied from the query, AD passed on
     * only to clients that asked with DO or AD (RFC 6840 section 5.8), no OPT (the transport adds EDNS), and every
     * record's TTL mapped through {@code ttl}.
     */
    public Message toMessage(Message query, LongUnaryOperator ttl) {
        Message m = new Message(query.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RA);
        if (query.getHeader().getFlag(Flags.RD)) {
            m.getHeader().setFlag(Flags.RD);
        }
        if (query.getHeader().getFlag(Flags.CD)) {
            m.getHeader().setFlag(Flags.CD);
        }
        OPTRecord opt = query.getOPT();
        boolean dnssecOk = opt != null && (opt.getFlags() & ExtendedFlags.DO) != 0;
        if (authenticData && (dnssecOk || query.getHeader().getFlag(Flags.AD))) {
            m.getHeader().setFlag(Flags.AD);
        }
        m.getHeader().setRcode(rcode);
        if (query.getQuestion() != null) {
            m.addRecord(query.getQuestion(), Section.QUESTION);
        }
        add(m, answer, Section.ANSWER, ttl);
        add(m, authority, Section.AUTHORITY, ttl);
        add(m, additional, Section.ADDITIONAL, ttl);
        return m;
    }

    private static void add(Message m, List<org.xbill.DNS.Record> records, int section, LongUnaryOperator ttl) {
        for (org.xbill.DNS.Record r : records) {
            m.addRecord(withTtl(r, ttl.applyAsLong(r.getTTL())), section);
        }
    }

    /** {@code r} with another TTL (dnsjava has no public setter; the TTL is rewritten in the record's wire form). */
    static org.xbill.DNS.Record withTtl(org.xbill.DNS.Record r, long ttl) {
        if (r.getTTL() == ttl) {
            return r;
        }
        byte[] wire = r.toWire(Section.ANSWER);
        int at = r.getName().length() + 4; // owner, type, class
        wire[at] = (byte) (ttl >>> 24);
        wire[at + 1] = (byte) (ttl >>> 16);
        wire[at + 2] = (byte) (ttl >>> 8);
        wire[at + 3] = (byte) ttl;
        try {
            return org.xbill.DNS.Record.fromWire(wire, Section.ANSWER);
        } catch (IOException e) {
            throw new UncheckedIOException("re-reading a record that dnsjava just wrote: " + r, e);
        }
    }
}
