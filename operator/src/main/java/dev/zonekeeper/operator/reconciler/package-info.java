/**
 * The JOSDK reconciler of DnsRecords: writes the decisions made in {@link dev.zonekeeper.operator.records} into each
 * DnsRecord's status and Warning Events, while this replica holds the Lease; it decides nothing itself.
 */
package dev.zonekeeper.operator.reconciler;
