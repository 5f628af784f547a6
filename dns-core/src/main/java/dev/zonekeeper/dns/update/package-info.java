/**
 * Dynamic update (RFC 2136) signed with TSIG (RFC 8945), independent of where the records are stored.
 *
 * <p>One request flows through {@link dev.zonekeeper.dns.update.UpdateService#handle}: parse (FORMERR), look up the
 * key and verify its signature, time and freshness ({@link dev.zonekeeper.dns.update.UpdateAuthenticator}: NOTAUTH
 * with BADKEY, BADSIG or BADTIME; unsigned requests REFUSED), limit the key's rate, find the policy that lets the key
 * write the request's zone, then under the zone's lock: read the current zone from the
 * {@link dev.zonekeeper.dns.update.UpdateStore}, evaluate the prerequisites and the update section
 * ({@link dev.zonekeeper.dns.update.UpdateEvaluator}, pure, RFC 2136 sections 3.2-3.4), check every touched RRset
 * against the key's grants ({@link dev.zonekeeper.dns.update.Grant}) and the store's ownership, and commit the
 * resulting {@link dev.zonekeeper.dns.update.ChangeSet} to the store, which answers only once the change is served.
 * A store that lost an optimistic-concurrency race throws {@link dev.zonekeeper.dns.update.UpdateStore.Conflict}
 * and the request is evaluated again on the fresh zone.
 *
 * <p>In detail: an oversized or unparsable request, or a zone section that is not exactly one SOA record of class IN,
 * is FORMERR (the ID echoed when the header is readable; a request that is itself a response is not answered). No
 * policy at all: REFUSED. Then the TSIG ({@code UpdateAuthenticator}), the key's token bucket ({@code KeyRateLimiter},
 * REFUSED), the policy for (key, zone) and the store serving the zone (REFUSED). The sections are checked without the
 * zone ({@code UpdateRequest}: FORMERR, NOTZONE, and REFUSED for the SOA, the apex NS and types a DnsRecord cannot
 * hold), then evaluated ({@code UpdateEvaluator}): prerequisites with their RFC rcodes, grants per operation (REFUSED),
 * the update section in order, and every changed RRset through {@link dev.zonekeeper.dns.record.RecordSpecs} via
 * {@link dev.zonekeeper.dns.update.RecordValues} (REFUSED); an update changing more than 256 RRsets or growing one
 * beyond 1000 records is FORMERR. An update that changes nothing is NOERROR without a commit. Every answer past the
 * TSIG check is signed with the request's key, refusals included; a byte-for-byte repetition of a request still being
 * applied (a UDP retransmission) is not answered, the original's answer serves both. Every request ends with one
 * {@link dev.zonekeeper.dns.update.UpdateOutcome}.
 *
 * <p>A policy's key may also transfer (AXFR) the policy's zone: {@link
 * dev.zonekeeper.dns.update.UpdateService#transferPolicy} tells a transfer server so.
 *
 * <p>Stores: the operator writes DnsRecords through the Kubernetes API; standalone mode writes DnsRecord YAML under
 * {@code --records}. A sidecar secondary does not evaluate updates: it forwards them to its primary (RFC 2136
 * section 6).
 */
package dev.zonekeeper.dns.update;
