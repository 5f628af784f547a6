package dev.zonekeeper.dns.query;

import dev.zonekeeper.dns.zone.Zone;
import java.util.List;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Name;

/**
 * The outcome of looking up one name in one zone (RFC 1034 section 4.3.2, steps 3a-3c), like the states of Knot's
 * answering machine. Records of a wildcard match are already synthesized (owner = the name looked up).
 */
public sealed interface Lookup
        permits Lookup.Hit, Lookup.NoData, Lookup.NxDomain, Lookup.CnameFollow, Lookup.Delegation {

    Zone zone();

    /** The name owns (or a wildcard synthesizes) RRsets of the asked type; for ANY, all of its RRsets. */
    record Hit(Zone zone, List<org.xbill.DNS.Record> records, boolean wildcard) implements Lookup {}

    /** The name exists (with data, as an empty non-terminal, or through a wildcard) but has no RRset of the type. */
    record NoData(Zone zone, boolean wildcard) implements Lookup {}

    /** Neither the name nor a wildcard covering it exists. */
    record NxDomain(Zone zone) implements Lookup {}

    /** The name (or the wildcard covering it) is an alias: go on with {@code target}. */
    record CnameFollow(Zone zone, CNAMERecord cname, Name target, boolean wildcard) implements Lookup {}

    /** The name is at or below the zone cut {@code cut}, which is delegated by {@code ns}. */
    record Delegation(Zone zone, Name cut, List<org.xbill.DNS.Record> ns) implements Lookup {}
}
