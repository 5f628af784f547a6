/**
 * The served zones: {@link dev.zonekeeper.operator.zone.ZonePublisher} turns cluster state and accepted DnsRecords
 * into journaled zones, and {@link dev.zonekeeper.operator.zone.ProgrammingLatency} measures how long a change takes
 * to reach the DNS server. Wired by {@code dev.zonekeeper.operator.app.ZonePipeline}.
 */
package dev.zonekeeper.operator.zone;
