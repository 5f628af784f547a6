package dev.zonekeeper.dns.updates;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.transfer.TransferServer;
import dev.zonekeeper.dns.update.UpdateOutcome;
import dev.zonekeeper.dns.update.UpdatePolicy;
import dev.zonekeeper.dns.update.UpdateService;
import dev.zonekeeper.dns.update.UpdateStore;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.Type;

/**
 * Standalone mode's updates: each UPDATE is answered by dns-core's {@link UpdateService} over the given store (the
 * YAML files under {@code --records}), on virtual threads, at most {@code maxInFlight} at once (beyond, REFUSED); an
 * AXFR signed with the key of a policy for the zone ({@link UpdateService#transferPolicy}) is answered with the whole
 * zone, signed, so that a client such as ExternalDNS can list what it owns; any other AXFR stays REFUSED. Every outcome is counted ({@link DnsMetrics#update}).
 */
public final class LocalUpdates extends BoundedHandler {
    private static final Logger LOG = LoggerFactory.getLogger(LocalUpdates.class);
    /** Bytes of one transfer message before the next is started (as the operator's transfer server). */
    private static final int MESSAGE_BYTES = 16_384;

    private final UpdateService service;
    private final Supplier<ZoneSet> served;
    private final Set<Name> zones;

    /**
     * @param zones the served zones: the only zone label values metrics use (anything else counts as "none")
     * @param rate updates per second one key may send ({@code --update-rate}); bursts of twice that
     */
    public LocalUpdates(
            UpdateStore store,
            Supplier<ZoneSet> served,
            Collection<Name> zones,
            int maxInFlight,
            int rate,
            DnsMetrics metrics) {
        super("zk-update-", maxInFlight, metrics);
        this.served = served;
        this.zones = Set.copyOf(zones);
        UpdateService.Options defaults = UpdateService.Options.DEFAULT;
        this.service = new UpdateService(
                store,
                new UpdateService.Options(
                        defaults.maxRequestBytes(), rate, Math.max(1, 2 * rate), defaults.maxConflictRetries()),
                Clock.systemUTC(),
                this::count);
    }

    private void count(UpdateOutcome o) {
        metrics.update(zoneLabel(o.zone()), o.result().label(), o.nanos());
        if (o.result() != dev.zonekeeper.dns.update.UpdateResult.APPLIED) {
            LOG.info(
                    "update {}: {}{}",
                    o.result().label(),
                    o.detail(),
                    o.policy() == null ? "" : " (policy " + o.policy().name() + ")");
        }
    }

    private String zoneLabel(Name zone) {
        return zone != null && zones.contains(zone) ? zone.toString() : "none";
    }

    /** The DnsUpdatePolicy documents now under {@code --records}; none: updates are refused. */
    public void policies(List<UpdatePolicy> list) {
        service.policies(list);
    }

    /** UPDATE is off until a DnsUpdatePolicy exists: until then the server answers NOTIMP, as it always has. */
    @Override
    public boolean enabled() {
        return service.enabled();
    }

    @Override
    byte[] answer(byte[] request, InetAddress client, boolean overTcp, long start) {
        if (request.length > 2 && ((request[2] >>> 3) & 0xF) == Opcode.QUERY) {
            return signedSoa(request);
        }
        try {
            return service.handle(request, client, overTcp);
        } catch (InterruptedException e) {
            return Replies.error(request, Rcode.SERVFAIL); // closing
        } catch (RuntimeException e) {
            LOG.warn("update failed: {}", e.toString());
            metrics.update("none", "store_failed", System.nanoTime() - start);
            return Replies.error(request, Rcode.SERVFAIL);
        }
    }

    @Override
    void stream(byte[] request, MessageSink out) throws IOException {
        try {
            serveTransfer(request, out);
        } catch (IOException | RuntimeException e) {
            metrics.updateTransfer("aborted");
            throw e instanceof IOException io ? io : new IOException(e);
        }
    }

    @Override
    void overloaded(boolean transfer, long nanos) {
        if (transfer) {
            metrics.updateTransfer("refused_overload");
        } else {
            metrics.update("none", "refused_overload", nanos);
        }
    }

    /**
     * An AXFR of a zone, signed with the key of a policy for that zone: the zone's records, SOA first and last, in
     * messages signed as RFC 8945 section 5.3.1 says (the first over the request's MAC, each next over the previous).
     */
    private void serveTransfer(byte[] wire, MessageSink out) throws IOException {
        Message query;
        try {
            query = new Message(wire);
        } catch (IOException e) {
            metrics.updateTransfer("malformed");
            out.message(Replies.error(wire, Rcode.FORMERR), true);
            return;
        }
        org.xbill.DNS.Record question = query.getQuestion();
        Optional<UpdatePolicy> policy = question != null && question.getType() == Type.AXFR
                ? service.transferPolicy(query, wire)
                : Optional.empty();
        Zone zone = policy.isEmpty() ? null : served.get().get(question.getName());
        if (zone == null) {
            // no policy key for this zone, a signature that does not verify, or a stale one: as unsigned
            metrics.updateTransfer("refused");
            out.message(Replies.error(wire, Rcode.REFUSED), true);
            return;
        }
        TSIG key = policy.get().key();
        TSIGRecord tsig = query.getTSIG();
        List<org.xbill.DNS.Record> records = new ArrayList<>(zone.records()); // SOA first
        records.add(zone.soa());
        int budget = MESSAGE_BYTES - key.recordLength() - 12 - question.toWireCanonical().length;
        TSIGRecord previous = tsig;
        boolean first = true;
        Message m = reply(query, Rcode.NOERROR);
        int size = 0;
        for (int i = 0; i < records.size(); i++) {
            org.xbill.DNS.Record r = records.get(i);
            int len = r.toWire(Section.ANSWER).length;
            if (m.getHeader().getCount(Section.ANSWER) > 0 && size + len > budget) {
                key.apply(m, previous, first);
                first = false;
                previous = m.getTSIG();
                out.message(m.toWire(), false);
                m = new Message(query.getHeader().getID());
                m.getHeader().setFlag(Flags.QR);
                m.getHeader().setFlag(Flags.AA);
                size = 0;
            }
            m.addRecord(r, Section.ANSWER);
            size += len;
        }
        key.apply(m, previous, first);
        out.message(m.toWire(), true);
        metrics.updateTransfer("served");
    }

    /**
     * A TSIG-signed SOA query (nsupdate without a `zone` line finds the zone so): answered from the served zone that
     * encloses the name, signed with the key of a policy for that zone; one whose signature does not verify for such a
     * policy gets the same answer unsigned, as an unsigned query would.
     */
    private byte[] signedSoa(byte[] wire) {
        Message query;
        try {
            query = new Message(wire);
        } catch (IOException e) {
            return Replies.error(wire, Rcode.FORMERR);
        }
        org.xbill.DNS.Record question = query.getQuestion();
        Zone zone = question == null ? null : served.get().find(question.getName());
        if (zone == null || question.getType() != Type.SOA) {
            return Replies.error(wire, Rcode.REFUSED);
        }
        Message response = TransferServer.soaAnswer(query, zone);
        Optional<UpdatePolicy> policy = service.transferPolicy(query, wire);
        if (policy.isPresent()) {
            policy.get().key().apply(response, query.getTSIG(), true);
        }
        return response.toWire();
    }

    private static Message reply(Message query, int rcode) {
        Message r = new Message(query.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.getHeader().setOpcode(query.getHeader().getOpcode());
        if (rcode == Rcode.NOERROR) {
            r.getHeader().setFlag(Flags.AA);
        }
        r.getHeader().setRcode(rcode);
        org.xbill.DNS.Record q = query.getQuestion();
        if (q != null) {
            r.addRecord(q, Section.QUESTION);
        }
        return r;
    }
}
