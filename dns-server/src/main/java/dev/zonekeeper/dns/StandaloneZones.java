package dev.zonekeeper.dns;

import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneApex;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;

/**
 * Builds the served zones of standalone mode: each zone named with {@code --zone} gets a generated SOA and NS
 * ({@code ns.dns.<zone>}, with an address record when the server listens on a specific address), and the records
 * that fall inside it. Each rebuild takes a serial above the last one.
 */
public final class StandaloneZones {
    private final List<Name> origins;
    private final InetAddress listenAddress;
    private final long ttl;
    private long lastSerial;

    public StandaloneZones(List<Name> origins, InetAddress listenAddress, long ttl) {
        this.origins = List.copyOf(origins);
        this.listenAddress = listenAddress;
        this.ttl = ttl;
    }

    /** The zone set for these records; records outside every zone are ignored (the loader rejects them first). */
    public synchronized ZoneSet build(Collection<org.xbill.DNS.Record> records) {
        long serial = Math.max(lastSerial + 1, System.currentTimeMillis() / 1000) & 0xFFFFFFFFL;
        lastSerial = serial;
        Map<Name, List<org.xbill.DNS.Record>> byZone = new LinkedHashMap<>();
        for (Name origin : origins) {
            List<org.xbill.DNS.Record> apex = new ArrayList<>();
            Name ns = nsName(origin);
            apex.add(ZoneApex.soa(origin, origin, ttl, serial));
            apex.add(ZoneApex.ns(origin, origin, ttl));
            if (listenAddress != null && !listenAddress.isAnyLocalAddress()) {
                apex.add(
                        listenAddress instanceof Inet4Address
                                ? new ARecord(ns, DClass.IN, ttl, listenAddress)
                                : new AAAARecord(ns, DClass.IN, ttl, listenAddress));
            }
            byZone.put(origin, apex);
        }
        for (org.xbill.DNS.Record r : records) {
            Name best = null;
            for (Name origin : origins) {
                if (r.getName().subdomain(origin) && (best == null || origin.labels() > best.labels())) {
                    best = origin;
                }
            }
            if (best != null) {
                byZone.get(best).add(r);
            }
        }
        List<Zone> zones = new ArrayList<>();
        for (Map.Entry<Name, List<org.xbill.DNS.Record>> e : byZone.entrySet()) {
            zones.add(Zone.of(e.getKey(), e.getValue()));
        }
        return ZoneSet.of(zones);
    }

    static Name nsName(Name origin) {
        return ZoneApex.nameServer(origin);
    }
}
