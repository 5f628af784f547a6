package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.query.Answer;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The forwarded path: a name under no served zone, or our NXDOMAIN under a fallthrough zone (CoreDNS's {@code
 * fallthrough}), goes to the forwarder as it came and the client gets the forwarder's answer (AA clear), later. Also
 * the rules that decide it: which names fall through ({@link #fallsThrough}), which are under a zone not loaded yet
 * ({@link #underPendingZone}: SERVFAIL, never a forward), and how many queries of one client network may wait for
 * the forwarder at once ({@link ForwardShares}).
 */
final class ForwardedPath {
    private static final Logger LOG = LoggerFactory.getLogger(ForwardedPath.class);

    private final DnsMetrics metrics;
    private final ResponseWriter writer;
    /** Null: no forwarding. */
    private final Function<Message, CompletableFuture<Message>> forwarder;
    /** Zones whose NXDOMAINs are forwarded; empty when there is no forwarder. */
    private final List<Name> fallthrough;

    private volatile Set<Name> pendingZones = Set.of();
    /** Queries waiting for the forwarder per client network; null: not limited. */
    private volatile ForwardShares forwardShares;

    ForwardedPath(
            DnsMetrics metrics,
            ResponseWriter writer,
            Function<Message, CompletableFuture<Message>> forwarder,
            List<Name> fallthrough) {
        this.metrics = metrics;
        this.writer = writer;
        this.forwarder = forwarder;
        this.fallthrough = forwarder == null ? List.of() : List.copyOf(fallthrough);
    }

    boolean enabled() {
        return forwarder != null;
    }

    void pendingZones(Set<Name> zones) {
        pendingZones = Set.copyOf(zones);
    }

    void forwardShares(ForwardShares shares) {
        forwardShares = shares;
    }

    /**
     * Whether our answer {@code a} for {@code qname} is replaced by the forwarder's: an NXDOMAIN (only: NODATA and
     * referrals stay ours, as in CoreDNS) for a name at or below a fallthrough zone, with forwarding configured. The
     * rcode is tested first, so other answers pay nothing.
     */
    boolean fallsThrough(Answer a, Name qname) {
        if (a.rcode() != Rcode.NXDOMAIN) {
            return false;
        }
        for (Name zone : fallthrough) {
            if (qname.subdomain(zone)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code name} is under a zone that is configured but not loaded yet. */
    boolean underPendingZone(Name name) {
        Set<Name> pending = pendingZones;
        if (pending.isEmpty()) {
            return false;
        }
        for (Name z : pending) {
            if (name.subdomain(z)) {
                return true;
            }
        }
        return false;
    }

    /** Forwards the query of {@code x} as it came; its answer is sent later through its responder. */
    ByteBuf forward(Exchange x, QueryScratch s) {
        Message query = x.query;
        Name qname = query.getQuestion().getName();
        CompletableFuture<Message> upstream;
        try {
            upstream = ask(query, s);
        } catch (RuntimeException e) {
            LOG.warn("forwarding {} failed: {}", qname, e.toString());
            return writer.sendError(x, Rcode.SERVFAIL);
        }
        if (upstream == null) {
            return writer.sendError(x, Rcode.REFUSED);
        }
        later(
                x,
                upstream,
                resp -> resp == null ? writer.errorResponse(query, Rcode.SERVFAIL) : forwarded(query, resp),
                "forwarded answer");
        return null;
    }

    /**
     * Once the upstream has answered (null: it failed), sends {@code response}'s message for it through the query's
     * responder; SERVFAIL when that message cannot be made or encoded ({@code what} names it in the log).
     */
    void later(Exchange x, CompletableFuture<Message> upstream, Function<Message, Message> response, String what) {
        upstream.whenComplete((resp, err) -> {
            ByteBuf out;
            try {
                out = writer.send(response.apply(err == null ? resp : null), x);
            } catch (RuntimeException e) {
                LOG.warn(
                        "could not encode the {} for {}: {}",
                        what,
                        x.query.getQuestion().getName(),
                        e.toString());
                out = writer.sendError(x, Rcode.SERVFAIL);
            }
            if (out != null) {
                x.responder.respond(x.context, out);
            }
        });
    }

    /**
     * Asks the forwarder, within the client network's share of it (the client of {@code s}): the upstream's
     * response, completed once the share is given back; null (counted) when the network has its share already. A
     * forwarder that throws has its share given back and the exception passed on.
     */
    CompletableFuture<Message> ask(Message query, QueryScratch s) {
        ForwardShares shares = forwardShares;
        if (shares == null) {
            return forwarder.apply(query);
        }
        int place = shares.slot(s.ip, s.ipLength);
        if (!shares.acquire(place)) {
            metrics.forwardShareRefused();
            return null;
        }
        CompletableFuture<Message> upstream;
        try {
            upstream = forwarder.apply(query);
        } catch (RuntimeException e) {
            shares.release(place);
            throw e;
        }
        return upstream.whenComplete((resp, err) -> shares.release(place));
    }

    /** The upstream's answer to {@code query}: its rcode and records behind our header and the question as sent. */
    private Message forwarded(Message query, Message upstream) {
        Message r = writer.base(query);
        r.getHeader().setRcode(upstream.getHeader().getRcode());
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
            for (org.xbill.DNS.Record rec : upstream.getSection(section)) {
                if (rec.getType() != Type.OPT && rec.getType() != Type.TSIG) {
                    r.addRecord(rec, section);
                }
            }
        }
        return r;
    }
}
