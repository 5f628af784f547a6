/**
 * The authoritative zone model: plain Java on dnsjava types, no sockets.
 *
 * <ul>
 *   <li>{@link dev.zonekeeper.dns.zone.Zone}: one immutable zone (origin, SOA, RRsets by owner name, empty
 *       non-terminals, zone cuts). {@code apply(removed, added)} returns a new zone sharing structure with the old
 *       one ({@link dev.zonekeeper.dns.zone.ChampMap} hash tries), at a cost proportional to the change.
 *       {@code records()} is the AXFR body.</li>
 *   <li>{@link dev.zonekeeper.dns.zone.ZoneSet}: the served zones; {@code find(qname)} gives the closest enclosing
 *       zone, so nested zones (example.test and sub.example.test) work.</li>
 *   <li>{@link dev.zonekeeper.dns.zone.ZoneStore}: the current ZoneSet behind a volatile field. Readers take
 *       {@code current()} once per query and never lock; writers ({@code replace}, {@code update}) are serialized,
 *       bump {@code version()} and notify listeners (e.g. NOTIFY senders, metrics) on the writer's thread.</li>
 * </ul>
 *
 * <p>Validation: a zone must have exactly one SOA, at its origin; records outside the origin or of another class are
 * rejected with an IllegalArgumentException naming the record. The zone does not police RRset semantics (a CNAME
 * next to other data is stored); the builder of the zone (the operator) owns that.
 */
package dev.zonekeeper.dns.zone;
