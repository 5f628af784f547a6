/**
 * The served zones: {@link dev.zonekeeper.operator.zone.ZonePublisher} turns cluster state and accepted DnsRecords
 * into journaled zones, {@link dev.zonekeeper.operator.zone.ZonePipeline} wires informers, the zone-transfer server
 * and NOTIFY at start-up, and {@link dev.zonekeeper.operator.zone.ProgrammingLatency} measures how long a change
 * takes to reach the DNS server.
 */
package dev.zonekeeper.operator.zone;
