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
public record PublishedRecordSet(String namespace, String resourceName, Name owner, int type,
    List<org.xbill.DNS.Record> records) {

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
}
