package dev.zonekeeper.operator.reconciler;

import dev.zonekeeper.operator.records.PublishedRecordSet;
import dev.zonekeeper.operator.records.RecordRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * Decides which DnsRecords are served, on every replica, from the DnsRecords its own informer delivers, and keeps the
 * {@link RecordRegistry} in step. Leadership plays no part: the decisions come from {@link DnsRecordPolicy} over the
 * set of DnsRecords only (creation timestamps, namespaces and names break ties), so replicas that see the same
 * DnsRecords serve the same records, in whatever order the events arrived. The reconciler, on the leader only, writes
 * the same decisions into {@code status}.
 *
 * <p>A change to one DnsRecord re-decides every DnsRecord at its old and its new name, since ownership of a name
 * depends on all of them. Thread-safe: calls are serialised.
 */
public final class DnsRecordServing {

  private final DnsRecordPolicy policy;
  private final RecordRegistry registry;
  /** Every DnsRecord known, by {@code namespace/name}. */
  private final Map<String, RecordClaim> claims = new HashMap<>();
  /** The name each DnsRecord claims when valid and allowed on its own (absent when rejected on its own). */
  private final Map<String, Name> nameOf = new HashMap<>();
  /** The DnsRecords valid and allowed at each name. */
  private final Map<Name, Set<String>> atName = new HashMap<>();

  public DnsRecordServing(DnsRecordPolicy policy, RecordRegistry registry) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /** A DnsRecord was added or changed. */
  public synchronized void upsert(RecordClaim claim) {
    String key = claim.key();
    if (claim.equals(claims.get(key))) {
      return;
    }
    claims.put(key, claim);
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
      registry.withdraw(claim.namespace(), claim.resourceName());
    }
    for (Name name : affected) {
      redecide(name);
    }
  }

  /** A DnsRecord was deleted. */
  public synchronized void delete(String namespace, String name) {
    String key = namespace + "/" + name;
    claims.remove(key);
    Name before = unindex(key);
    registry.withdraw(namespace, name);
    if (before != null) {
      redecide(before);
    }
  }

  /** How many DnsRecords are known. */
  public synchronized int size() {
    return claims.size();
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

  /** Decides again about every DnsRecord at {@code name} and publishes or withdraws each. */
  private void redecide(Name name) {
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
      if (decision.serving()) {
        served.add(new PublishedRecordSet(claim.namespace(), claim.resourceName(), decision.fqdn().orElseThrow(),
            Type.value(claim.type().name()), decision.records()));
      } else {
        registry.withdraw(claim.namespace(), claim.resourceName());
      }
    }
    for (PublishedRecordSet set : served) {
      registry.publish(set);
    }
  }
}
