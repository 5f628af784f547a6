package dev.zonekeeper.dns.query;

import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Answers questions from served zones, following RFC 1034 section 4.3.2 as a small state machine over
 * {@link Lookup} results (hit, NODATA, NXDOMAIN, CNAME follow, delegation). Plain Java: no sockets, no Netty.
 *
 * <p>Behaviour, where the RFCs leave a choice:
 * <ul>
 *   <li><b>ANY</b> is answered with every RRset at the name: the zones are small, internal, unsigned, and clients
 *       debugging service discovery want to see everything. This is what TCP clients get; over UDP the server
 *       keeps one RRset (RFC 8482 minimal ANY, {@code FullPath.minimalAny}). A CNAME at the name is returned as is
 *       and not followed.</li>
 *   <li><b>CNAME chains</b> are followed inside the served zones, across zones too, for at most
 *       {@value #MAX_CNAME_CHAIN} CNAMEs; a loop or a longer chain stops there with rcode NOERROR and the CNAMEs seen
 *       so far. A target outside the served zones ends the chain (NOERROR, AA, CNAMEs in answer): the caller
 *       (QueryProcessor) completes it through the forwarder. Otherwise the rcode, and the SOA in a negative answer,
 *       are those of the last name.</li>
 *   <li><b>Negative answers</b> carry the SOA of the zone of the last name, with TTL min(SOA TTL, SOA MINIMUM)
 *       (RFC 2308 section 3).</li>
 *   <li><b>Referrals</b>: a name at or below a zone cut gets AA=0, NOERROR, the cut's NS in authority and the
 *       A/AAAA glue of NS targets in additional. Reached through a CNAME, AA stays set (the CNAMEs are ours).
 *       DS at the cut is answered from the parent side.</li>
 *   <li><b>Additional section</b>: A and AAAA of the targets of MX, SRV and NS records in the answer and of NS
 *       records in a referral, when the target is in a served zone (exact owner names; wildcards are not expanded
 *       for additional data). No record appears twice, nor in additional when already in answer. The targets are
 *       taken in canonical record order (RFC 4034 section 6.3: MX by preference, SRV by priority), so when a UDP
 *       response has room for only part of the additional section, the addresses of the preferred targets are the
 *       ones kept, as Knot does.</li>
 *   <li><b>Classes</b>: IN and ANY are answered; any other class for a name in a served zone gets REFUSED (AA=0,
 *       empty sections): the zones exist only in class IN. Meta query types (AXFR, IXFR, MAILA, MAILB, OPT, TSIG,
 *       TKEY) get NOTIMP here: zone transfers are the transport's business.</li>
 *   <li>A name holding both a CNAME and other data (RFC 1034 forbids it; the zone stores it anyway) answers the
 *       asked type when present and otherwise follows the CNAME.</li>
 *   <li>Names are matched case-insensitively. Records keep the letter case of the zone, except records synthesized
 *       from a wildcard, whose owner is the name as asked.</li>
 * </ul>
 */
public final class QueryEngine {
    /** The most CNAMEs followed for one question. */
    public static final int MAX_CNAME_CHAIN = 16;

    private QueryEngine() {}

    /**
     * The authoritative answer for (qname, qtype, qclass), or null when no served zone encloses qname (the caller
     * forwards or refuses). qname may be in any letter case.
     */
    public static Answer answer(ZoneSet zones, Name qname, int qtype, int qclass) {
        Zone zone = zones.find(qname);
        if (zone == null) {
            return null;
        }
        if (qclass != DClass.IN && qclass != DClass.ANY) {
            return new Answer(Rcode.REFUSED, false, List.of(), List.of(), List.of());
        }
        if (qtype != Type.ANY && !Type.isRR(qtype)) {
            return new Answer(Rcode.NOTIMP, false, List.of(), List.of(), List.of());
        }

        List<org.xbill.DNS.Record> answer = new ArrayList<>();
        List<org.xbill.DNS.Record> authority = new ArrayList<>();
        Set<Name> seen = new HashSet<>();
        int rcode = Rcode.NOERROR;
        boolean authoritative = true;
        boolean referral = false;
        Name name = qname;
        while (true) {
            seen.add(name);
            Lookup result = ZoneLookup.find(zone, name, qtype);
            if (result instanceof Lookup.Hit hit) {
                answer.addAll(hit.records());
                break;
            } else if (result instanceof Lookup.NoData) {
                authority.add(zone.negativeSoa());
                break;
            } else if (result instanceof Lookup.NxDomain) {
                rcode = Rcode.NXDOMAIN;
                authority.add(zone.negativeSoa());
                break;
            } else if (result instanceof Lookup.Delegation delegation) {
                authority.addAll(delegation.ns());
                authoritative = !answer.isEmpty();
                referral = true;
                break;
            } else if (result instanceof Lookup.CnameFollow follow) {
                answer.add(follow.cname());
                Name target = follow.target();
                if (answer.size() >= MAX_CNAME_CHAIN || seen.contains(target)) {
                    break;
                }
                Zone next = zones.find(target);
                if (next == null) {
                    break; // the chain leaves the served zones
                }
                zone = next;
                name = target;
            } else {
                throw new IllegalStateException("unknown lookup result " + result);
            }
        }
        List<org.xbill.DNS.Record> additional = additional(zones, answer, referral ? authority : List.of());
        return new Answer(rcode, authoritative, List.copyOf(answer), List.copyOf(authority), additional);
    }

    private static List<org.xbill.DNS.Record> additional(
            ZoneSet zones, List<org.xbill.DNS.Record> answer, List<org.xbill.DNS.Record> referralNs) {
        Set<Name> targets = new LinkedHashSet<>();
        List<org.xbill.DNS.Record> sources = new ArrayList<>();
        for (org.xbill.DNS.Record r : answer) {
            int type = r.getType();
            if (type == Type.MX || type == Type.SRV || type == Type.NS) {
                sources.add(r);
            }
        }
        sources.addAll(referralNs);
        Collections.sort(sources); // canonical order: RRsets are hash sets; this puts preferred targets first
        for (org.xbill.DNS.Record r : sources) {
            targets.add(r.getAdditionalName());
        }
        if (targets.isEmpty()) {
            return List.of();
        }
        Set<org.xbill.DNS.Record> inAnswer = new HashSet<>(answer);
        Set<org.xbill.DNS.Record> out = new LinkedHashSet<>();
        for (Name target : targets) {
            if (target == null || target.equals(Name.root)) {
                continue; // "MX 0 ." / "SRV ... ." mean: no service
            }
            Zone zone = zones.find(target);
            if (zone == null) {
                continue;
            }
            for (int type : ADDRESS_TYPES) {
                for (org.xbill.DNS.Record r : zone.rrset(target, type)) {
                    if (!inAnswer.contains(r)) {
                        out.add(r);
                    }
                }
            }
        }
        return List.copyOf(out);
    }

    private static final int[] ADDRESS_TYPES = {Type.A, Type.AAAA};
}
