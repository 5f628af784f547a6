package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.query.Answer;
import dev.zonekeeper.dns.query.QueryEngine;
import dev.zonekeeper.dns.zone.ZoneSet;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A CNAME chain that leaves the served zones (a Kubernetes ExternalName service: {@code my-svc.ns.svc.cluster.local
 * CNAME db.example.com.}) completed through the forwarder, as CoreDNS does: stub resolvers such as glibc's do not
 * chase CNAMEs themselves. The response is our chain (AA set) plus the upstream's answer for (target, qtype), with the
 * upstream's rcode when NXDOMAIN and its SOA in authority when negative; the chain with SERVFAIL when the upstream
 * gives no usable answer. Such answers take the full path every time and are never pre-encoded: the forwarder's cache
 * keeps the upstream part for its TTL. Questions of type CNAME or ANY get the CNAME alone; without forwarding the
 * chain is returned alone.
 */
final class CnameCompletion {
    private static final Logger LOG = LoggerFactory.getLogger(CnameCompletion.class);

    private final ResponseWriter writer;
    private final ForwardedPath forwarded;

    CnameCompletion(ResponseWriter writer, ForwardedPath forwarded) {
        this.writer = writer;
        this.forwarded = forwarded;
    }

    /**
     * The target of the CNAME chain that ends {@code a} when the forwarder must complete it: a NOERROR answer whose
     * last answer record is a CNAME pointing under no served zone, for a question other than CNAME and ANY (which
     * are answered with the CNAME itself), and a chain that QueryEngine did not cut at its length limit. Else null.
     * The first tests are on the answer's shape only, so ordinary answers pay no zone lookup.
     */
    static Name externalTarget(ZoneSet zones, Answer a, int qtype) {
        List<org.xbill.DNS.Record> answer = a.answer();
        if (a.rcode() != Rcode.NOERROR || answer.isEmpty() || qtype == Type.CNAME || qtype == Type.ANY) {
            return null;
        }
        org.xbill.DNS.Record last = answer.get(answer.size() - 1);
        if (last.getType() != Type.CNAME || answer.size() >= QueryEngine.MAX_CNAME_CHAIN) {
            return null;
        }
        Name target = ((CNAMERecord) last).getTarget();
        return zones.find(target) == null ? target : null;
    }

    /**
     * Completes the CNAME chain in {@code r} (our authoritative answer to {@code x}) with the forwarder's answer for
     * (target, qtype), as CoreDNS's file and kubernetes plugins do for out-of-zone CNAME targets; sent later.
     */
    ByteBuf chase(Message r, Name target, int qtype, Exchange x, QueryScratch s) {
        Message query = x.query;
        if (forwarded.underPendingZone(target)) {
            r.getHeader().setRcode(Rcode.SERVFAIL); // a zone we serve once loaded: never ask the upstream for it
            return writer.send(r, x);
        }
        Message sub = new Message(query.getHeader().getID());
        sub.getHeader().setFlag(Flags.RD);
        if (query.getHeader().getFlag(Flags.CD)) {
            sub.getHeader().setFlag(Flags.CD);
        }
        sub.addRecord(org.xbill.DNS.Record.newRecord(target, qtype, DClass.IN), Section.QUESTION);
        if (query.getOPT() != null) {
            sub.addRecord(
                    new OPTRecord(ResponseWriter.EDNS_UDP_SIZE, 0, 0, ResponseWriter.dnssecOk(query)),
                    Section.ADDITIONAL);
        }
        CompletableFuture<Message> upstream;
        try {
            upstream = forwarded.ask(sub, s);
        } catch (RuntimeException e) {
            LOG.warn("forwarding CNAME target {} failed: {}", target, e.toString());
            r.getHeader().setRcode(Rcode.SERVFAIL);
            return writer.send(r, x);
        }
        if (upstream == null) {
            r.getHeader().setRcode(Rcode.REFUSED);
            return writer.send(r, x);
        }
        forwarded.later(x, upstream, resp -> completed(r, resp), "completed answer");
        return null;
    }

    /**
     * Our CNAME chain followed by the upstream's answer for its target: the upstream's answer records, its rcode
     * (NOERROR or NXDOMAIN, which RFC 6604 section 3 ties to the last name of the chain) and the SOA of its negative
     * answers (so caches below us can keep NODATA/NXDOMAIN for the RFC 2308 time); AA stays set, as the first owner
     * name is ours (RFC 1035 section 4.1.1; CoreDNS keeps it too). No answer, or any other rcode (every upstream
     * failed): the chain with SERVFAIL, as CoreDNS's file plugin does — a temporary failure, where NOERROR with the
     * chain alone would tell stub resolvers the name has no address.
     */
    private static Message completed(Message r, Message upstream) {
        int rcode = upstream == null ? Rcode.SERVFAIL : upstream.getRcode();
        if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
            r.getHeader().setRcode(Rcode.SERVFAIL);
            return r;
        }
        r.getHeader().setRcode(rcode);
        for (org.xbill.DNS.Record rec : upstream.getSection(Section.ANSWER)) {
            r.addRecord(rec, Section.ANSWER);
        }
        for (org.xbill.DNS.Record rec : upstream.getSection(Section.AUTHORITY)) {
            if (rec.getType() == Type.SOA) {
                r.addRecord(rec, Section.AUTHORITY);
            }
        }
        return r;
    }
}
