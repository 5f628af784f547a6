package dev.zonekeeper.dns.query;

import dev.zonekeeper.dns.zone.Zone;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.Type;

/** Finds a name in one zone: delegation check, exact match, empty non-terminal, wildcard (RFC 1034 4.3.2, RFC 4592). */
public final class ZoneLookup {
    private static final Name WILD = Name.fromConstantString("*");

    private ZoneLookup() {}

    /** Looks {@code qname} (which must be at or below the zone's origin) up for {@code qtype} in {@code zone}. */
    public static Lookup find(Zone zone, Name qname, int qtype) {
        Name cut = zone.delegation(qname);
        // The parent side is authoritative for DS at the cut itself (RFC 4035 section 3.1.4.1).
        if (cut != null && !(qtype == Type.DS && cut.equals(qname))) {
            return new Lookup.Delegation(zone, cut, new ArrayList<>(zone.rrset(cut, Type.NS)));
        }
        if (zone.hasData(qname)) {
            return atNode(zone, qname, qname, qtype, false);
        }
        if (zone.exists(qname)) {
            return new Lookup.NoData(zone, false); // empty non-terminal
        }
        // RFC 4592 section 3.3.1: the closest encloser is the longest existing ancestor; the source of synthesis
        // is the wildcard just below it. The apex always exists (it owns the SOA), so the walk stops there.
        Name closestEncloser = new Name(qname, 1);
        while (!zone.exists(closestEncloser)) {
            closestEncloser = new Name(closestEncloser, 1);
        }
        Name wildcard;
        try {
            wildcard = Name.concatenate(WILD, closestEncloser);
        } catch (NameTooLongException e) {
            return new Lookup.NxDomain(zone); // cannot happen: *.<encloser> is no longer than qname
        }
        if (zone.hasData(wildcard)) {
            return atNode(zone, wildcard, qname, qtype, true);
        }
        if (zone.exists(wildcard)) {
            return new Lookup.NoData(zone, true); // the wildcard is itself an empty non-terminal
        }
        return new Lookup.NxDomain(zone);
    }

    private static Lookup atNode(Zone zone, Name node, Name qname, int qtype, boolean wildcard) {
        if (qtype == Type.ANY) {
            List<org.xbill.DNS.Record> all = new ArrayList<>();
            for (Map.Entry<Integer, ? extends Set<org.xbill.DNS.Record>> e :
                    zone.rrsets(node).entrySet()) {
                all.addAll(owned(e.getValue(), qname, wildcard));
            }
            return new Lookup.Hit(zone, all, wildcard);
        }
        Set<org.xbill.DNS.Record> set = zone.rrset(node, qtype);
        if (!set.isEmpty()) {
            return new Lookup.Hit(zone, owned(set, qname, wildcard), wildcard);
        }
        Set<org.xbill.DNS.Record> cname = zone.rrset(node, Type.CNAME);
        if (!cname.isEmpty()) {
            CNAMERecord c = (CNAMERecord) owned(cname, qname, wildcard).get(0);
            return new Lookup.CnameFollow(zone, c, c.getTarget(), wildcard);
        }
        return new Lookup.NoData(zone, wildcard);
    }

    private static List<org.xbill.DNS.Record> owned(Set<org.xbill.DNS.Record> set, Name qname, boolean wildcard) {
        if (!wildcard) {
            return new ArrayList<>(set);
        }
        List<org.xbill.DNS.Record> out = new ArrayList<>(set.size());
        for (org.xbill.DNS.Record r : set) {
            out.add(r.withName(qname));
        }
        return out;
    }
}
