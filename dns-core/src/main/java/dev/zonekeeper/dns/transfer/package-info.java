/**
 * Zone delivery by DNS's own zone transfer, between the operator (primary) and the dns-server sidecar (secondary).
 *
 * <h2>Primary (embedded in the operator)</h2>
 * <ul>
 *   <li>{@link dev.zonekeeper.dns.transfer.PrimaryZones} holds each zone as a
 *       {@link dev.zonekeeper.dns.transfer.JournaledZone}: an immutable {@link dev.zonekeeper.dns.zone.Zone} plus a
 *       bounded journal of changes. {@code put(zone)} computes the difference to the served content, bumps the SOA
 *       serial (RFC 1982 arithmetic: the clock in seconds when ahead, else serial + 1) and journals it; readers
 *       never lock. A new zone starts at the clock, so a restarted primary is never behind its secondaries.</li>
 *   <li>{@link dev.zonekeeper.dns.transfer.TransferServer} answers, over TCP, SOA, AXFR (RFC 5936, split over
 *       several messages, each TSIG-signed per RFC 8945 section 5.3.1) and IXFR (RFC 1995: journaled changes, a single
 *       SOA when current, the whole zone when the client's serial is no longer journaled); over UDP, SOA and IXFR
 *       with the single current SOA. Unsigned requests get REFUSED, wrongly signed ones NOTAUTH with the TSIG
 *       error; both are counted ({@link dev.zonekeeper.dns.transfer.TransferServer#stats()}).</li>
 *   <li>{@link dev.zonekeeper.dns.transfer.NotifySender}, registered as a listener of {@code PrimaryZones}, sends a
 *       signed NOTIFY (RFC 1996) to every secondary on each change (the first one from the changing thread) and
 *       retries until acknowledged.</li>
 * </ul>
 *
 * <h2>Secondary (the sidecar)</h2>
 * <ul>
 *   <li>{@link dev.zonekeeper.dns.transfer.SecondaryZones} keeps one
 *       {@link dev.zonekeeper.dns.transfer.SecondaryZone} per {@code --zone}: AXFR first, IXFR afterwards (AXFR when
 *       IXFR is refused or the primary sends the whole zone), on NOTIFY and on the SOA refresh timer, retrying with
 *       a capped doubling delay while the primary is away. Only complete, TSIG-verified versions whose deltas chain
 *       are published, through {@link dev.zonekeeper.dns.zone.ZoneStore#update}; until the first one,
 *       {@code hasLoaded(zone)} is false and the server should answer SERVFAIL for the zone. Each zone keeps one
 *       TCP connection to the primary for all its transfers ({@link dev.zonekeeper.dns.transfer.TransferClient},
 *       RFC 7766 / RFC 5936: several transfers per connection), reopened when the primary has closed it.</li>
 *   <li>{@link dev.zonekeeper.dns.transfer.NotifyListener} receives NOTIFY on UDP ({@code --notify-listen}),
 *       verifies its TSIG and answers it.</li>
 *   <li>{@link dev.zonekeeper.dns.transfer.TransferListener} reports transfers (AXFR or IXFR, serial, records
 *       changed) and failures for metrics.</li>
 *   <li>{@link dev.zonekeeper.dns.transfer.ZoneSnapshots} ({@code --snapshot-dir}) keeps each zone's last version on
 *       disk, atomically and checksummed, so a restarted sidecar serves it at once and catches up by IXFR from its
 *       serial; corrupt, truncated, foreign, oversized or expired snapshots are refused.</li>
 * </ul>
 *
 * <h2>Configuration</h2>
 * The TSIG key file holds one line {@code name:algorithm:base64secret}
 * ({@link dev.zonekeeper.dns.transfer.TsigKeyFile}), by contract {@code zonekeeper-transfer:hmac-sha256:...}.
 *
 * <h2>Example (sidecar wiring)</h2>
 * <pre>{@code
 * TSIG key = TsigKeyFile.read(Path.of("/etc/zonekeeper/tsig.key"));
 * SecondaryZones secondary = new SecondaryZones(primaryAddress, key, zoneNames, zoneStore, listener,
 *         SecondaryZone.Settings.DEFAULT);
 * NotifyListener notify = NotifyListener.start(notifyListenAddress, key, secondary);
 * secondary.start();
 * }</pre>
 *
 * <p>Only dnsjava and blocking {@code java.net} sockets are used here, no Netty, so the operator can embed this package.
 * Interoperability is tested with Knot DNS ({@code knotd}) as a secondary and {@code kdig} as a client.
 */
package dev.zonekeeper.dns.transfer;
