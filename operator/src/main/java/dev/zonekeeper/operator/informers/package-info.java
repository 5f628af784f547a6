/**
 * Fabric8 informers for Services, EndpointSlices and Pods (list and watch, all namespaces), with slim caches, turning
 * API objects into the projections of {@link dev.zonekeeper.operator.discovery} ({@link
 * dev.zonekeeper.operator.informers.Projections}) and delivering them to a {@link
 * dev.zonekeeper.operator.informers.ClusterSink}.
 */
package dev.zonekeeper.operator.informers;
