package dev.zonekeeper.operator.reconciler;

import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import dev.zonekeeper.operator.config.ZoneSettings;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Decides whether a DnsRecord is served: its values parse, its name lies in a served zone its namespace may write,
 * and no older DnsRecord owns the name. Pure: no Kubernetes client, the caller passes every DnsRecord it knows.
 *
 * <p>Ownership: among the DnsRecords that are valid and allowed at one name, the oldest (creation time, then
 * namespace, then name) wins; each later one is served unless it has the same type as a served one, or it or a
 * served one is a CNAME (a CNAME cannot share its name with other data). A rejected record thus never blocks
 * another, and adding a record never takes an older one off the air.
 */
public final class DnsRecordPolicy {

  private final ZoneSettings zones;

  public DnsRecordPolicy(ZoneSettings zones) {
    this.zones = zones;
  }

  /**
   * Decides about {@code claim}, given every DnsRecord in the cluster ({@code all} may contain {@code claim} itself).
   */
  public Decision decide(RecordClaim claim, Collection<RecordClaim> all) {
    Decision alone = evaluateAlone(claim);
    if (!alone.serving()) {
      return alone;
    }
    Name fqdn = alone.fqdn().orElseThrow();
    List<RecordClaim> contenders = new ArrayList<>();
    contenders.add(claim);
    for (RecordClaim other : all) {
      if (other.key().equals(claim.key())) {
        continue;
      }
      Decision otherAlone = evaluateAlone(other);
      if (otherAlone.serving() && fqdn.equals(otherAlone.fqdn().orElseThrow())) {
        contenders.add(other);
      }
    }
    contenders.sort(RecordClaim.AGE_ORDER);
    List<RecordClaim> served = new ArrayList<>();
    for (RecordClaim contender : contenders) {
      Optional<RecordClaim> blocker = served.stream().filter(s -> clash(s.type(), contender.type())).findFirst();
      if (contender == claim) {
        return blocker.map(owner -> conflict(claim, owner, fqdn)).orElse(alone);
      }
      if (blocker.isEmpty()) {
        served.add(contender);
      }
    }
    throw new IllegalStateException("unreachable: the claim is among the contenders");
  }

  /** Validity and permission of one DnsRecord on its own, ignoring the others. */
  public Decision evaluateAlone(RecordClaim claim) {
    if (claim.name() == null || claim.name().isBlank()) {
      return Decision.reject(Reason.InvalidValue, null, "spec.name is empty: set the owner name, e.g. api.example.com");
    }
    Name fqdn;
    try {
      fqdn = Name.fromString(claim.name().trim(), Name.root).canonicalize();
    } catch (TextParseException e) {
      return Decision.reject(Reason.InvalidValue, null,
          "spec.name \"" + claim.name() + "\" is not a valid DNS name: " + e.getMessage());
    }
    if (claim.type() == null) {
      return Decision.reject(Reason.InvalidValue, fqdn, "spec.type is missing: set one of "
          + List.of(DnsRecordType.values()));
    }

    Optional<Decision> permission = checkPermission(claim, fqdn);
    if (permission.isPresent()) {
      return permission.get();
    }

    if (claim.values().isEmpty()) {
      return Decision.reject(Reason.InvalidValue, fqdn, "spec.values is empty: give at least one "
          + claim.type() + " value");
    }
    if (claim.ttl() < 0 || claim.ttl() > 86400) {
      return Decision.reject(Reason.InvalidValue, fqdn, "spec.ttl " + claim.ttl() + " is outside 0..86400");
    }
    if (claim.type() == DnsRecordType.CNAME) {
      if (claim.values().size() != 1) {
        return Decision.reject(Reason.InvalidValue, fqdn, "a CNAME has exactly one target, but spec.values has "
            + claim.values().size() + " entries: keep one");
      }
      if (zones.zoneOf(fqdn).filter(fqdn::equals).isPresent()) {
        return Decision.reject(Reason.InvalidValue, fqdn, "a CNAME cannot be at the zone apex " + fqdn
            + " (it would sit beside the zone's SOA and NS records): use a name below the apex");
      }
    }
    int type = Type.value(claim.type().name());
    Set<org.xbill.DNS.Record> records = new LinkedHashSet<>();
    for (String value : claim.values()) {
      try {
        records.add(org.xbill.DNS.Record.fromString(fqdn, type, DClass.IN, claim.ttl(), value, Name.root));
      } catch (IOException | RuntimeException e) {
        return Decision.reject(Reason.InvalidValue, fqdn, "value \"" + value + "\" is not a valid " + claim.type()
            + " record: " + e.getMessage() + "; write it in DNS presentation format, e.g. "
            + example(claim.type()));
      }
    }
    return new Decision(Reason.Serving, "serving " + records.size() + " " + claim.type() + " record"
        + (records.size() == 1 ? "" : "s") + " at " + fqdn, Optional.of(fqdn), new ArrayList<>(records));
  }

  private Optional<Decision> checkPermission(RecordClaim claim, Name fqdn) {
    if (zones.inClusterDomain(fqdn)) {
      Name own = zones.namespaceDomain(claim.namespace());
      if (fqdn.subdomain(own) && !fqdn.equals(own)) {
        return Optional.empty();
      }
      return Optional.of(Decision.reject(Reason.NotAllowed, fqdn, fqdn + " is inside the cluster domain "
          + zones.clusterDomain() + ", where a DnsRecord in namespace " + claim.namespace()
          + " may only use names under " + own + " (e.g. myname." + own + ")"));
    }
    Optional<Name> zone = zones.zoneOf(fqdn);
    if (zone.isEmpty()) {
      String served = zones.zones().stream().map(Name::toString).collect(Collectors.joining(", "));
      return Optional.of(Decision.reject(Reason.ZoneNotServed, fqdn, fqdn + " is in no zone Zonekeeper serves ("
          + (served.isEmpty() ? "none besides the cluster domain " + zones.clusterDomain()
              : served + " and the cluster domain " + zones.clusterDomain())
          + "): use a name inside one of them, or ask the cluster admin to add the zone to zonekeeper.zones"));
    }
    if (!zones.mayWrite(zone.get(), claim.namespace())) {
      String zoneKey = zone.get().toString(true);
      return Optional.of(Decision.reject(Reason.NotAllowed, fqdn, "namespace " + claim.namespace()
          + " may not write to zone " + zone.get() + ": ask the cluster admin to add it to zonekeeper.zone-writers.\""
          + zoneKey + "\""));
    }
    return Optional.empty();
  }

  private static boolean clash(DnsRecordType a, DnsRecordType b) {
    return a == b || a == DnsRecordType.CNAME || b == DnsRecordType.CNAME;
  }

  private static Decision conflict(RecordClaim claim, RecordClaim owner, Name fqdn) {
    String message;
    if (owner.type() == claim.type()) {
      message = owner.key() + " already publishes " + owner.type() + " records at " + fqdn
          + " and is older: delete one of the two DnsRecords, merge their values into " + owner.key()
          + ", or pick another name";
    } else {
      message = owner.key() + " already publishes " + article(owner.type()) + " at " + fqdn
          + " and is older; a CNAME cannot share its name with other records: delete one of the two DnsRecords "
          + "or pick another name";
    }
    return Decision.reject(Reason.Conflict, fqdn, message);
  }

  private static String article(DnsRecordType type) {
    return type == DnsRecordType.CNAME ? "a CNAME" : type + " records";
  }

  private static String example(DnsRecordType type) {
    switch (type) {
      case A:
        return "\"192.0.2.10\"";
      case AAAA:
        return "\"2001:db8::10\"";
      case CNAME:
      case NS:
      case PTR:
        return "\"target.example.com.\"";
      case MX:
        return "\"10 mail.example.com.\"";
      case TXT:
        return "\"\\\"some text\\\"\"";
      case SRV:
        return "\"0 5 8080 svc.example.com.\"";
      case CAA:
        return "\"0 issue \\\"letsencrypt.org\\\"\"";
      default:
        return "the zone-file form";
    }
  }
}
