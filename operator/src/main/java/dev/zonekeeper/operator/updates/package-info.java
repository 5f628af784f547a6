/**
 * Dynamic updates (RFC 2136) in the operator: {@link dev.zonekeeper.operator.updates.KubernetesUpdateStore} is the
 * {@code dns.update.UpdateStore} that turns an accepted update into DnsRecord objects through the Kubernetes API,
 * with the API's optimistic concurrency, and answers once the served zone shows the change. It reads the served zones
 * ({@code zone}) and who holds a name ({@code records}); wired by {@code dev.zonekeeper.operator.app.ZonePipeline}.
 */
package dev.zonekeeper.operator.updates;
