/**
 * Authoritative answering: {@link dev.zonekeeper.dns.query.QueryEngine#answer} turns (qname, qtype, qclass) into an
 * {@link dev.zonekeeper.dns.query.Answer} (rcode, AA, answer, authority, additional), or null when no served zone
 * encloses the name so the caller can forward. The transport adds header, question, EDNS and does truncation.
 *
 * <p>One zone lookup ({@link dev.zonekeeper.dns.query.ZoneLookup#find}) yields a sealed
 * {@link dev.zonekeeper.dns.query.Lookup}: {@code Hit}, {@code NoData}, {@code NxDomain}, {@code CnameFollow} or
 * {@code Delegation}; the engine loops over these to chase CNAMEs (RFC 1034 4.3.2, RFC 2308 negative answers,
 * RFC 4592 wildcards). The choices the RFCs leave open are listed on {@link dev.zonekeeper.dns.query.QueryEngine}.
 * Not supported: DNAME, DNSSEC (no RRSIG/NSEC in answers).
 *
 * <p>Tests: {@code QueryEngineTest} is a table of questions with expected sections in zone-file text;
 * {@code KnotParityTest} serves the same zone files with Knot DNS and checks that both servers answer alike.
 */
package dev.zonekeeper.dns.query;
