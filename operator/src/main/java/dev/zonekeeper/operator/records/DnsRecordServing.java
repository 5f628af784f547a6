package dev.zonekeeper.operator.records;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * The one place that decides which DnsRecords are served, on every replica, from the DnsRecords its own informer
 * delivers: it keeps the {@link RecordRegistry} (what the zones serve) in step and holds each DnsRecord's
 * {@link Decision}, which the reconciler reads to write {@code status} instead of deciding again. Leadership plays no
 * part: the decisions come from {@link DnsRecordPolicy} over the set of DnsRecords only (creation timestamps, claim
 * revisions, namespaces and names break ties), so replicas that see the same DnsRecords serve the same records, in
 * whatever order the events arrived.
 *
 * <p>A change to one DnsRecord re-decides every DnsRecord at its old and its new name, since ownership of a name
 * depends on all of them; listeners hear of every DnsRecord whose decision or spec changed. Thread-safe: changes are
 * serialised, listeners are called after the change, outside the lock.
 */
public final class DnsRecordServing {

    /** Told the {@code namespace} and {@code name} of a DnsRecord whose decision (or spec) changed, or that went. */
    @FunctionalInterface
    public interface Listener {
        void changed(String namespace, String name);
    }

    private final DnsRecordPolicy policy;
    private final RecordRegistry registry;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    /** Every DnsRecord known, by {@code namespace/name}. */
    private final Map<String, RecordClaim> claims = new HashMap<>();
    /** The current decision about every DnsRecord known, by {@code namespace/name}. */
    private final Map<String, Decision> decisions = new HashMap<>();
    /** The name each DnsRecord claims when valid and allowed on its own (absent when rejected on its own). */
    private final Map<String, Name> nameOf = new HashMap<>();
    /** The DnsRecords valid and allowed at each name. */
    private final Map<Name, Set<String>> atName = new HashMap<>();

    public DnsRecordServing(DnsRecordPolicy policy, RecordRegistry registry) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    public void addListener(Listener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * The decision about the DnsRecord {@code claim} stands for, if this replica has decided about that very spec
     * (name, type, TTL, values): empty while its informer has not delivered that version yet, in which case the
     * listeners hear of it once it has.
     */
    public synchronized Optional<Decision> decision(RecordClaim claim) {
        RecordClaim known = claims.get(claim.key());
        if (known == null || !sameSpec(known, claim)) {
            return Optional.empty();
        }
        return Optional.ofNullable(decisions.get(claim.key()));
    }

    /** A DnsRecord was added or changed. */
    public void upsert(RecordClaim claim) {
        Set<String> changed = new LinkedHashSet<>();
        synchronized (this) {
            String key = claim.key();
            RecordClaim previous = claims.get(key);
            if (claim.equals(previous)) {
                return;
            }
            claims.put(key, claim);
            changed.add(key); // the reconciler may have waited for this version
            Name before = unindex(key);
            Decision alone = policy.evaluateAlone(claim);
            Set<Name> affected = new HashSet<>();
            if (before != null) {
                affected.add(before);
            }
            if (alone.serving()) {
                Name name = alone.fqdn().orElseThrow();
                nameOf.put(key, name);
                atName.computeIfAbsent(name, n -> new HashSet<>()).add(key);
                affected.add(name);
            } else {
                decisions.put(key, alone);
                registry.withdraw(claim.namespace(), claim.resourceName());
            }
            for (Name name : affected) {
                redecide(name, changed);
            }
        }
        fire(changed);
    }

    /** A DnsRecord was deleted. */
    public void delete(String namespace, String name) {
        Set<String> changed = new LinkedHashSet<>();
        synchronized (this) {
            String key = namespace + "/" + name;
            if (claims.remove(key) == null) {
                return;
            }
            decisions.remove(key);
            changed.add(key);
            Name before = unindex(key);
            registry.withdraw(namespace, name);
            if (before != null) {
                redecide(before, changed);
            }
        }
        fire(changed);
    }

    /**
     * The DnsRecords that claim {@code fqdn} (absolute, lower case) and are valid and allowed on their own, served or
     * not: who holds a name, for the update store's ownership check.
     */
    public synchronized List<RecordClaim> claimsAt(Name fqdn) {
        Set<String> keys = atName.get(fqdn);
        if (keys == null) {
            return List.of();
        }
        List<RecordClaim> out = new ArrayList<>(keys.size());
        for (String key : keys) {
            out.add(claims.get(key));
        }
        return out;
    }

    /** How many DnsRecords are known. */
    public synchronized int size() {
        return claims.size();
    }

    private static boolean sameSpec(RecordClaim a, RecordClaim b) {
        return Objects.equals(a.name(), b.name())
                && a.type() == b.type()
                && a.ttl() == b.ttl()
                && a.values().equals(b.values());
    }

    private void fire(Set<String> changed) {
        for (String key : changed) {
            int slash = key.indexOf('/');
            for (Listener listener : listeners) {
                listener.changed(key.substring(0, slash), key.substring(slash + 1));
            }
        }
    }

    private Name unindex(String key) {
        Name before = nameOf.remove(key);
        if (before != null) {
            Set<String> keys = atName.get(before);
            keys.remove(key);
            if (keys.isEmpty()) {
                atName.remove(before);
            }
        }
        return before;
    }

    /**
     * Decides again about every DnsRecord at {@code name}, publishes or withdraws each, and adds those whose decision
     * changed to {@code changed}.
     */
    private void redecide(Name name, Set<String> changed) {
        Set<String> keys = atName.get(name);
        if (keys == null) {
            return;
        }
        List<RecordClaim> group = new ArrayList<>();
        for (String key : keys) {
            group.add(claims.get(key));
        }
        group.sort(RecordClaim.AGE_ORDER);
        List<PublishedRecordSet> served = new ArrayList<>();
        // withdraw first, then publish: two DnsRecords never serve clashing data at once, not even between two calls
        for (RecordClaim claim : group) {
            Decision decision = policy.decide(claim, group);
            if (!decision.equals(decisions.put(claim.key(), decision))) {
                changed.add(claim.key());
            }
            if (decision.serving()) {
                served.add(new PublishedRecordSet(
                        claim.namespace(),
                        claim.resourceName(),
                        decision.fqdn().orElseThrow(),
                        Type.value(claim.type().name()),
                        decision.records()));
            } else {
                registry.withdraw(claim.namespace(), claim.resourceName());
            }
        }
        for (PublishedRecordSet set : served) {
            registry.publish(set);
        }
    }
}
