package dev.zonekeeper.dns.zone;

import java.util.Collection;
import org.xbill.DNS.Name;

/** An immutable set of served zones, looked up by the closest enclosing origin. (Stub.) */
public final class ZoneSet {
    public static ZoneSet of(Collection<Zone> zones) { throw new UnsupportedOperationException("not yet"); }

    public static ZoneSet empty() { throw new UnsupportedOperationException("not yet"); }

    /** The served zone whose origin is the longest suffix of {@code qname}, or null. */
    public Zone find(Name qname) { throw new UnsupportedOperationException("not yet"); }

    public Collection<Zone> zones() { throw new UnsupportedOperationException("not yet"); }

    /** This set with {@code zone} added or replacing the zone of the same origin. */
    public ZoneSet with(Zone zone) { throw new UnsupportedOperationException("not yet"); }

    public ZoneSet without(Name origin) { throw new UnsupportedOperationException("not yet"); }
}
