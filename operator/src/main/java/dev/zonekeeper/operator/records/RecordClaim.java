package dev.zonekeeper.operator.records;

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
 * @param revision where it stands among DnsRecords created in the same second ({@link #revisionOf}); null when
 *     unknown (sorts last)
 */
public record RecordClaim(
        String namespace,
        String resourceName,
        Instant created,
        String name,
        DnsRecordType type,
        long ttl,
        List<String> values,
        Long revision) {

    /** Default TTL of a DnsRecord, as in the CRD schema. */
    public static final long DEFAULT_TTL = 30;

    /**
     * Older first. {@code creationTimestamp} has a resolution of one second, so DnsRecords created in the same second
     * are ordered by {@link #revision} (the API server's order of creation), and only then by namespace and name.
     */
    public static final Comparator<RecordClaim> AGE_ORDER = Comparator.comparing(
                    RecordClaim::created, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(RecordClaim::revision, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(RecordClaim::namespace)
            .thenComparing(RecordClaim::resourceName);

    public RecordClaim {
        values = values == null ? List.of() : List.copyOf(values);
    }

    /** A claim whose order within its creation second is unknown. */
    public RecordClaim(
            String namespace,
            String resourceName,
            Instant created,
            String name,
            DnsRecordType type,
            long ttl,
            List<String> values) {
        this(namespace, resourceName, created, name, type, ttl, values, null);
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
        Long revision = revisionOf(record);
        if (spec == null) {
            return new RecordClaim(
                    meta.getNamespace(), meta.getName(), created, null, null, DEFAULT_TTL, List.of(), revision);
        }
        return new RecordClaim(
                meta.getNamespace(),
                meta.getName(),
                created,
                spec.getName(),
                spec.getType(),
                spec.getTtl() == null ? DEFAULT_TTL : spec.getTtl(),
                spec.getValues(),
                revision);
    }

    /**
     * The DnsRecord's place in the order of creation, durable across operator restarts and failovers:
     * {@code status.claimRevision} once the leader has recorded it, else the current {@code metadata.resourceVersion}.
     * The leader records the version it first reconciles, which is the version the API server gave the object at
     * creation unless it was changed before (a status write or any later change moves {@code resourceVersion}, which is
     * why it is recorded and not read afresh). Every replica thus orders by the same number before and after it is
     * recorded. Versions are compared as numbers: the API server's (etcd revisions) are decimal and grow with every
     * write in the cluster; one that is not a plain decimal is unknown (null).
     */
    public static Long revisionOf(DnsRecord record) {
        String recorded = record.getStatus() == null ? null : record.getStatus().getClaimRevision();
        Long revision = decimal(recorded);
        return revision != null ? revision : decimal(record.getMetadata().getResourceVersion());
    }

    /**
     * The version to record in {@code status.claimRevision}: the one recorded before, kept for good, else the current
     * {@code metadata.resourceVersion} (what {@link #revisionOf} orders by until it is recorded).
     */
    public static String claimRevisionToRecord(DnsRecord record) {
        String recorded = record.getStatus() == null ? null : record.getStatus().getClaimRevision();
        return recorded != null ? recorded : record.getMetadata().getResourceVersion();
    }

    private static Long decimal(String s) {
        if (s == null || s.isEmpty() || s.length() > 18) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return null;
            }
        }
        return Long.parseLong(s);
    }
}
