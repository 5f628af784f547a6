package dev.zonekeeper.operator.records;

import java.util.List;
import java.util.Objects;
import org.xbill.DNS.Name;

/**
 * The records of one accepted DnsRecord, ready for the zone builder.
 *
 * @param namespace the DnsRecord's namespace
 * @param resourceName the DnsRecord's metadata.name
 * @param owner the absolute owner name
 * @param type the DNS type code ({@link org.xbill.DNS.Type})
 * @param records the parsed records, class IN, with the DnsRecord's TTL
 */
public record PublishedRecordSet(
        String namespace, String resourceName, Name owner, int type, List<org.xbill.DNS.Record> records) {

    public PublishedRecordSet {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(resourceName, "resourceName");
        Objects.requireNonNull(owner, "owner");
        records = List.copyOf(records);
    }

    /** {@code namespace/name} of the DnsRecord. */
    public String key() {
        return namespace + "/" + resourceName;
    }

    /** Equal when everything, including each record's TTL, is equal (dnsjava's record equality ignores the TTL). */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof PublishedRecordSet)) {
            return false;
        }
        PublishedRecordSet other = (PublishedRecordSet) o;
        if (!namespace.equals(other.namespace)
                || !resourceName.equals(other.resourceName)
                || !owner.equals(other.owner)
                || type != other.type
                || !records.equals(other.records)) {
            return false;
        }
        for (int i = 0; i < records.size(); i++) {
            if (records.get(i).getTTL() != other.records.get(i).getTTL()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = Objects.hash(namespace, resourceName, owner, type, records);
        for (org.xbill.DNS.Record r : records) {
            h = 31 * h + Long.hashCode(r.getTTL());
        }
        return h;
    }
}
