package dev.zonekeeper.dns.update;

import dev.zonekeeper.dns.wire.WireBytes;
import dev.zonekeeper.dns.zone.Zone;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.Type;

/**
 * Answers UPDATE requests (see the package description for the steps). Thread-safe; {@link #handle} blocks until
 * the store has committed and served the change, so callers run it off their event loops, with bounded concurrency.
 */
public final class UpdateService {
    private static final Logger LOG = LoggerFactory.getLogger(UpdateService.class);

    /**
     * @param maxRequestBytes      larger requests are answered FORMERR unread
     * @param perKeyRate           updates per second one key may send (a token bucket), beyond which REFUSED
     * @param perKeyBurst          the bucket's size
     * @param maxConflictRetries   evaluations of one request after optimistic-concurrency conflicts, then SERVFAIL
     */
    public record Options(int maxRequestBytes, double perKeyRate, int perKeyBurst, int maxConflictRetries) {
        public static final Options DEFAULT = new Options(65_535, 50, 100, 5);
    }

    /** The policies in force, by key name, ordered by namespace and name so that the choice among them is stable. */
    private record Policies(List<UpdatePolicy> all, Map<Name, List<UpdatePolicy>> byKey) {
        static Policies of(Collection<UpdatePolicy> policies) {
            List<UpdatePolicy> all = new ArrayList<>(policies);
            all.sort(Comparator.comparing(UpdatePolicy::namespace).thenComparing(UpdatePolicy::name));
            Map<Name, List<UpdatePolicy>> byKey = new HashMap<>();
            for (UpdatePolicy p : all) {
                byKey.computeIfAbsent(p.keyName(), k -> new ArrayList<>()).add(p);
            }
            byKey.replaceAll((k, v) -> List.copyOf(v));
            return new Policies(List.copyOf(all), Map.copyOf(byKey));
        }

        List<UpdatePolicy> forKey(Name keyName) {
            return byKey.getOrDefault(keyName, List.of());
        }
    }

    private final UpdateStore store;
    private final Options options;
    private final Consumer<UpdateOutcome> listener;
    private final UpdateAuthenticator authenticator;
    private final KeyRateLimiter limiter;
    /** One lock per zone a policy names: prerequisite evaluation and commit are serialised per zone. */
    private final Map<Name, ReentrantLock> zoneLocks = new ConcurrentHashMap<>();

    private volatile Policies policies = Policies.of(List.of());

    public UpdateService(UpdateStore store, Options options, Clock clock, Consumer<UpdateOutcome> listener) {
        this.store = store;
        this.options = options;
        this.listener = listener;
        this.authenticator = new UpdateAuthenticator(clock);
        this.limiter = new KeyRateLimiter(options.perKeyRate(), options.perKeyBurst(), clock);
    }

    /** Replaces the policies (atomically; requests in flight finish under the old ones). */
    public void policies(Collection<UpdatePolicy> policies) {
        Policies now = Policies.of(policies);
        this.policies = now;
        Set<Name> keys = new HashSet<>(now.byKey().keySet());
        authenticator.retain(keys);
        limiter.retain(keys);
        Set<Name> zones = new HashSet<>();
        now.all().forEach(p -> zones.add(p.zone()));
        zoneLocks.keySet().retainAll(zones);
    }

    /** True when at least one policy exists: UPDATE is off until a grant exists (answered REFUSED). */
    public boolean enabled() {
        return !policies.all().isEmpty();
    }

    /**
     * The policy that lets the signer of a zone-transfer request (AXFR, IXFR or SOA query) read the zone it asks
     * for: present when {@code request} (parsed from {@code wire}) carries a TSIG of a policy's key that verifies and
     * is within its time fudge, and that policy's zone is the zone asked for. The transfer server then serves the
     * zone and signs every message of the answer with {@link UpdatePolicy#key()}, as for its own transfer key; when
     * empty it handles the request as it would without this service. This lets an update client list what it may
     * change (ExternalDNS reads the zone by AXFR). MACs are not remembered here: transfers are not changes.
     */
    public Optional<UpdatePolicy> transferPolicy(Message request, byte[] wire) {
        TSIGRecord tsig = request.getTSIG();
        org.xbill.DNS.Record question = request.getQuestion();
        if (tsig == null || question == null || request.getHeader().getFlag(Flags.QR)) {
            return Optional.empty();
        }
        int type = question.getType();
        if (type != Type.AXFR && type != Type.IXFR && type != Type.SOA) {
            return Optional.empty();
        }
        // AXFR/IXFR name the apex. A SOA query may name any owner in the zone: nsupdate without a `zone` line asks
        // `<first name> SOA`, signed, to find the zone; the policy whose zone encloses it most closely answers.
        Name qname = question.getName();
        List<UpdatePolicy> candidates = new ArrayList<>();
        int closest = -1;
        for (UpdatePolicy p : policies.forKey(tsig.getName())) {
            boolean match =
                    type == Type.SOA ? qname.subdomain(p.zone()) : p.zone().equals(qname);
            if (!match || p.zone().labels() < closest) {
                continue;
            }
            if (p.zone().labels() > closest) {
                candidates.clear();
                closest = p.zone().labels();
            }
            candidates.add(p);
        }
        UpdateAuthenticator.Verdict v = authenticator.verify(request, wire, candidates, false);
        if (!v.ok()) {
            return Optional.empty();
        }
        return candidates.stream().filter(p -> p.key() == v.key()).findFirst();
    }

    /**
     * The answer to one UPDATE request in wire format: signed with the request's key when it verified, the zone
     * section echoed, the rcode (and TSIG error) of {@link UpdateResult}. Null when nothing must be sent: the
     * request was itself a response (QR set), which is never answered, or it repeats, byte for byte, a request that
     * is still being applied (a client's retransmission over UDP: the original's answer answers both; once that is
     * sent, a repetition is a replay, NOTAUTH/BADTIME). Every request, answered or not, ends with exactly one
     * {@link UpdateOutcome} handed to the listener.
     */
    public byte[] handle(byte[] request, InetAddress client, boolean overTcp) throws InterruptedException {
        long start = System.nanoTime();
        Exchange x = new Exchange();
        UpdateResult result;
        String detail;
        try {
            detail = process(request, x);
            result = UpdateResult.APPLIED;
        } catch (Rejected r) {
            result = r.result();
            detail = r.getMessage();
        } catch (InterruptedException e) {
            if (x.verdict != null && x.verdict.mac() != null) {
                authenticator.done(x.verdict.keyName(), x.verdict.mac());
            }
            finish(x, UpdateResult.STORE_FAILED, "interrupted while applying the update", start, client);
            throw e;
        } catch (RuntimeException e) {
            // a fault of this server or its store, never a reason to stop serving
            LOG.warn("UPDATE from {} failed", client, e);
            result = UpdateResult.STORE_FAILED;
            detail = "internal error: " + e;
        }
        UpdateAuthenticator.Verdict v = x.verdict;
        if (v != null && v.inFlight()) {
            x.response = true; // a retransmission: the original's answer answers it
        }
        byte[] answer = answer(request, x, result);
        if (v != null && v.mac() != null) {
            authenticator.done(v.keyName(), v.mac());
        }
        finish(x, result, detail, start, client);
        return answer;
    }

    /** What one request has revealed so far, for its answer and its outcome. */
    private static final class Exchange {
        Message query;
        boolean response;
        UpdateAuthenticator.Verdict verdict;
        Name zone;
        UpdatePolicy policy;
        int changes;
    }

    /** Runs the steps; returns the detail of an applied update, throws {@link Rejected} for any other end. */
    private String process(byte[] wire, Exchange x) throws Rejected, InterruptedException {
        if (wire.length > options.maxRequestBytes()) {
            throw new Rejected(
                    UpdateResult.MALFORMED,
                    "the request is " + wire.length + " bytes, more than the " + options.maxRequestBytes()
                            + " accepted");
        }
        Message m;
        try {
            m = new Message(wire);
        } catch (IOException | RuntimeException e) {
            throw new Rejected(UpdateResult.MALFORMED, "not a well-formed DNS message: " + e.getMessage());
        }
        x.query = m;
        if (m.getHeader().getFlag(Flags.QR)) {
            x.response = true;
            throw new Rejected(UpdateResult.MALFORMED, "a response, not a request");
        }
        if (m.getHeader().getOpcode() != Opcode.UPDATE) {
            throw new Rejected(
                    UpdateResult.MALFORMED,
                    "opcode " + Opcode.string(m.getHeader().getOpcode()) + " is not UPDATE");
        }
        Policies ps = policies;
        if (ps.all().isEmpty()) {
            throw new Rejected(UpdateResult.ZONE_NOT_ALLOWED, "no DnsUpdatePolicy grants updates");
        }
        TSIGRecord tsig = m.getTSIG();
        UpdateAuthenticator.Verdict v =
                authenticator.verify(m, wire, tsig == null ? List.of() : ps.forKey(tsig.getName()), true);
        x.verdict = v;
        if (!v.ok()) {
            if (v.result() == UpdateResult.BAD_TIME) {
                // the MAC verified: the key's owner has a clock to fix, which the policy's Events can tell them
                x.policy = attribute(ps.forKey(v.keyName()), m);
            }
            throw new Rejected(v.result(), v.detail());
        }
        if (!limiter.tryAcquire(v.keyName())) {
            x.policy = attribute(ps.forKey(v.keyName()), m); // so that the flood is counted against a policy
            throw new Rejected(
                    UpdateResult.RATE_LIMITED,
                    "key " + v.keyName() + " sends more than " + options.perKeyRate() + " updates per second");
        }
        Name zone = UpdateRequest.zoneOf(m);
        x.zone = zone;
        List<UpdatePolicy> candidates = new ArrayList<>();
        for (UpdatePolicy p : ps.forKey(v.keyName())) {
            // a policy sharing the key's name but not its secret does not authorise this request
            if (p.zone().equals(zone) && (p.key() == v.key() || verifies(p, m, wire))) {
                candidates.add(p);
            }
        }
        if (candidates.isEmpty()) {
            x.policy = attribute(ps.forKey(v.keyName()), m); // the key's policy for another zone: a likely typo
            throw new Rejected(
                    UpdateResult.ZONE_NOT_ALLOWED,
                    "no DnsUpdatePolicy lets key " + v.keyName() + " update zone " + zone);
        }
        x.policy = candidates.get(0);
        if (store.current(zone).isEmpty()) {
            throw new Rejected(UpdateResult.ZONE_NOT_ALLOWED, "zone " + zone + " is not served here");
        }
        UpdateRequest request = UpdateRequest.read(m, zone);
        UpdatePolicy policy = choose(candidates, request);
        x.policy = policy;
        ReentrantLock lock = zoneLocks.computeIfAbsent(zone, z -> new ReentrantLock());
        lock.lockInterruptibly();
        try {
            return apply(policy, request, x);
        } finally {
            lock.unlock();
        }
    }

    /** The key's policy for the request's zone when the zone section names one, else its first policy. */
    private static UpdatePolicy attribute(List<UpdatePolicy> policies, Message m) {
        org.xbill.DNS.Record zone = m.getQuestion();
        for (UpdatePolicy p : policies) {
            if (zone != null && p.zone().equals(zone.getName())) {
                return p;
            }
        }
        return policies.isEmpty() ? null : policies.get(0);
    }

    private static boolean verifies(UpdatePolicy p, Message m, byte[] wire) {
        int error = p.key().verify(m, wire, null);
        return error == Rcode.NOERROR || error == Rcode.BADTIME; // the time was checked already
    }

    /** The first policy whose grants cover every RRset the update names (ANY deletions are checked later). */
    private static UpdatePolicy choose(List<UpdatePolicy> candidates, UpdateRequest request) {
        for (UpdatePolicy p : candidates) {
            boolean all = true;
            for (org.xbill.DNS.Record r : request.updates()) {
                if (r.getType() != Type.ANY && !p.allows(r.getName(), r.getType())) {
                    all = false;
                    break;
                }
            }
            if (all) {
                return p;
            }
        }
        return candidates.get(0);
    }

    /** Under the zone's lock: evaluate on the served zone, check ownership, commit; again after a lost race. */
    private String apply(UpdatePolicy policy, UpdateRequest request, Exchange x) throws Rejected, InterruptedException {
        String lost = "";
        for (int attempt = 0; attempt <= options.maxConflictRetries(); attempt++) {
            Optional<Zone> zone = store.current(request.zone());
            if (zone.isEmpty()) {
                throw new Rejected(UpdateResult.ZONE_NOT_ALLOWED, "zone " + request.zone() + " is not served here");
            }
            UpdateEvaluator.Result result = UpdateEvaluator.evaluate(zone.get(), policy, request);
            if (result instanceof UpdateEvaluator.Failed f) {
                throw new Rejected(f.result(), f.detail());
            }
            ChangeSet changes = ((UpdateEvaluator.Changes) result).changes();
            for (ChangeSet.RRsetChange c : changes.changes()) {
                Optional<UpdateStore.Refusal> refusal = store.ownership(policy, c.name(), c.type());
                if (refusal.isPresent()) {
                    throw new Rejected(refusal.get().reason(), refusal.get().detail());
                }
            }
            if (changes.isEmpty()) {
                return "nothing to change";
            }
            try {
                store.commit(policy, changes);
                x.changes = changes.changes().size();
                return "applied " + x.changes + " RRset change(s)";
            } catch (UpdateStore.Conflict e) {
                lost = e.getMessage();
                LOG.debug("update of zone {} lost a race, evaluating again: {}", request.zone(), lost);
            } catch (UpdateStore.UpdateStoreException e) {
                LOG.warn("update of zone {} could not be stored: {}", request.zone(), e.getMessage(), e);
                throw new Rejected(UpdateResult.STORE_FAILED, "the update could not be stored: " + e.getMessage());
            }
        }
        throw new Rejected(
                UpdateResult.STORE_FAILED,
                "the update lost " + (options.maxConflictRetries() + 1) + " races with other writers (last: " + lost
                        + ")");
    }

    /** The answer (RFC 2136 3.8): same ID, opcode UPDATE, QR, the zone section echoed, signed when verified. */
    private static byte[] answer(byte[] wire, Exchange x, UpdateResult result) {
        if (x.response) {
            return null;
        }
        Message q = x.query;
        if (q == null) {
            return WireBytes.formErrFromHeader(wire); // the ID echoed when the header is readable
        }
        Message r = new Message(q.getHeader().getID());
        Header h = r.getHeader();
        h.setFlag(Flags.QR);
        h.setOpcode(q.getHeader().getOpcode());
        h.setRcode(result.rcode());
        List<org.xbill.DNS.Record> zone = q.getSection(Section.ZONE);
        if (zone.size() == 1) {
            r.addRecord(zone.get(0), Section.ZONE);
        }
        UpdateAuthenticator.Verdict v = x.verdict;
        TSIGRecord qt = q.getTSIG();
        if (v != null && qt != null) {
            switch (result) {
                case UNSIGNED -> {}
                case BAD_KEY, BAD_SIGNATURE -> r.addRecord(unsignedError(q, qt, v.tsigError()), Section.ADDITIONAL);
                // RFC 8945 5.2.3: BADTIME is signed, and carries the server's time in Other Data
                case BAD_TIME, REPLAYED -> v.key().apply(r, Rcode.BADTIME, qt);
                default -> v.key().apply(r, qt);
            }
        }
        return r.toWire();
    }

    /** RFC 8945 5.3.2: a TSIG RR with the error and an empty MAC, since the request's key cannot sign. */
    private static TSIGRecord unsignedError(Message q, TSIGRecord qt, int error) {
        return new TSIGRecord(
                qt.getName(),
                DClass.ANY,
                0,
                qt.getAlgorithm(),
                qt.getTimeSigned(),
                Duration.ofSeconds(300),
                new byte[0],
                q.getHeader().getID(),
                error,
                null);
    }

    private void finish(Exchange x, UpdateResult result, String detail, long start, InetAddress client) {
        UpdateOutcome outcome =
                new UpdateOutcome(x.zone, x.policy, result, detail, x.changes, System.nanoTime() - start);
        LOG.debug("UPDATE from {} for zone {}: {} ({})", client, x.zone, result.label(), detail);
        try {
            listener.accept(outcome);
        } catch (RuntimeException e) {
            LOG.warn("update listener failed on {}", outcome, e);
        }
    }
}
