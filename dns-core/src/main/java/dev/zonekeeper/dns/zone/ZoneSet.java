package dev.zonekeeper.dns.zone;

import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import org.pcollections.HashTreePMap;
import org.pcollections.PMap;
import org.xbill.DNS.Name;

/**
 * An immutable set of served zones, looked up by the closest enclosing origin. Zones may nest (example.test and
 * sub.example.test both served): {@link #find} walks up the labels of the name, so the most specific zone wins.
 */
public final class ZoneSet {
    private static final ZoneSet EMPTY = new ZoneSet(HashTreePMap.empty());

    private final PMap<Name, Zone> byOrigin;

    private ZoneSet(PMap<Name, Zone> byOrigin) {
        this.byOrigin = byOrigin;
    }

    /** A set of the given zones; throws IllegalArgumentException when two zones have the same origin. */
    public static ZoneSet of(Collection<Zone> zones) {
        PMap<Name, Zone> map = HashTreePMap.empty();
        for (Zone z : zones) {
            Objects.requireNonNull(z, "zone");
            if (map.containsKey(z.origin())) {
                throw new IllegalArgumentException("zone " + z.origin() + " given twice");
            }
            map = map.plus(z.origin(), z);
        }
        return new ZoneSet(map);
    }

    public static ZoneSet empty() {
        return EMPTY;
    }

    /** The served zone whose origin is the longest suffix of {@code qname}, or null. */
    public Zone find(Name qname) {
        if (byOrigin.isEmpty() || qname == null || !qname.isAbsolute()) {
            return null;
        }
        int labels = qname.labels();
        for (int strip = 0; strip < labels; strip++) {
            Zone z = byOrigin.get(strip == 0 ? qname : new Name(qname, strip));
            if (z != null) {
                return z;
            }
        }
        return null;
    }

    /** The zone with exactly this origin, or null. */
    public Zone get(Name origin) {
        return byOrigin.get(origin);
    }

    public Collection<Zone> zones() {
        return Collections.unmodifiableCollection(byOrigin.values());
    }

    public int size() {
        return byOrigin.size();
    }

    /** This set with {@code zone} added or replacing the zone of the same origin. */
    public ZoneSet with(Zone zone) {
        Objects.requireNonNull(zone, "zone");
        return new ZoneSet(byOrigin.plus(zone.origin(), zone));
    }

    public ZoneSet without(Name origin) {
        return byOrigin.containsKey(origin) ? new ZoneSet(byOrigin.minus(origin)) : this;
    }

    @Override
    public String toString() {
        return "ZoneSet" + byOrigin.values();
    }
}
