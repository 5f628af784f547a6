package dev.zonekeeper.operator.reconciler;

import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.List;

/**
 * The DNS-relevant part of a DnsRecord: who claims which name, type and data, and since when.
 *
 * @param namespace the DnsRecord's namespace
 * @param resourceName the DnsRecord's metadata.name
 * @param created creation timestamp; null when not yet known (sorts last)
 * @param name spec.name as written
 * @param type spec.type
 * @param ttl spec.ttl
 * @param values spec.values
 */
public record RecordClaim(String namespace, String resourceName, Instant created, String name, DnsRecordType type,
    long ttl, List<String> values) {

  /** Default TTL of a DnsRecord, as in the CRD schema. */
  public static final long DEFAULT_TTL = 30;

  /** Older first; ties broken by namespace, then name. */
  public static final Comparator<RecordClaim> AGE_ORDER = Comparator
      .comparing(RecordClaim::created, Comparator.nullsLast(Comparator.naturalOrder()))
      .thenComparing(RecordClaim::namespace)
      .thenComparing(RecordClaim::resourceName);

  public RecordClaim {
    values = values == null ? List.of() : List.copyOf(values);
  }

  /** {@code namespace/name}. */
  public String key() {
    return namespace + "/" + resourceName;
  }

  /** The slim view of a DnsRecord. */
  public static RecordClaim of(DnsRecord record) {
    var meta = record.getMetadata();
    var spec = record.getSpec();
    Instant created = null;
    if (meta.getCreationTimestamp() != null) {
      try {
        created = Instant.parse(meta.getCreationTimestamp());
      } catch (DateTimeParseException e) {
        created = null;
      }
    }
    if (spec == null) {
      return new RecordClaim(meta.getNamespace(), meta.getName(), created, null, null, DEFAULT_TTL, List.of());
    }
    return new RecordClaim(meta.getNamespace(), meta.getName(), created, spec.getName(), spec.getType(),
        spec.getTtl() == null ? DEFAULT_TTL : spec.getTtl(), spec.getValues());
  }
}
