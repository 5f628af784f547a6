/**
 * The composition root: wires the informers, the pure zone builder, the DnsRecord decision and the zone publisher
 * ({@link dev.zonekeeper.operator.app.ZonePipeline}). Every other package depends only on packages below it, and none
 * on this one (OperatorArchitectureTest).
 */
package dev.zonekeeper.operator.app;
