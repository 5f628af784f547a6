/**
 * Which DnsRecords are served, decided once per replica: {@link dev.zonekeeper.operator.records.RecordClaim} is a
 * DnsRecord's DNS-relevant part, {@link dev.zonekeeper.operator.records.DnsRecordPolicy} the pure rules (validity,
 * permission, ownership of a name), {@link dev.zonekeeper.operator.records.DnsRecordServing} the decision about every
 * DnsRecord, which publishes the accepted records into the {@link dev.zonekeeper.operator.records.RecordRegistry} for
 * the zones and which the reconciler reads for status. No Kubernetes client, no CDI wiring of its own.
 */
package dev.zonekeeper.operator.records;
