/**
 * Fabric8 informers for Services, EndpointSlices, Pods and DnsRecords (list and watch, all namespaces), with slim
 * caches, turning API objects into the projections of {@link dev.zonekeeper.operator.discovery} ({@link
 * dev.zonekeeper.operator.informers.Projections}) and delivering them to a {@link
 * dev.zonekeeper.operator.informers.ClusterSink}, DnsRecords to the serving decision
 * ({@link dev.zonekeeper.operator.records.DnsRecordServing}).
 */
package dev.zonekeeper.operator.informers;
