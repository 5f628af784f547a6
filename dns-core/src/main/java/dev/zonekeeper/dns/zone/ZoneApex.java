package dev.zonekeeper.dns.zone;

import org.xbill.DNS.DClass;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;

/**
 * The generated apex of a served zone, SOA and NS, built here for standalone mode and the operator alike: the name
 * server is {@code ns.dns.<base>.}, the SOA is {@code ns.dns.<base>. hostmaster.<base>. <serial> 7200 1800 86400
 * <ttl>}. The base is the zone itself in standalone mode; the operator names the cluster domain's server in every
 * zone it serves.
 */
public final class ZoneApex {

    public static final long REFRESH = 7200;
    public static final long RETRY = 1800;
    public static final long EXPIRE = 86400;

    private ZoneApex() {}

    /** {@code ns.dns.<base>.}, the name server every generated NS record names. */
    public static Name nameServer(Name base) {
        return Name.fromConstantString("ns.dns." + base);
    }

    /** The SOA of {@code origin}; its negative-caching TTL (minimum) is {@code ttl} too. */
    public static SOARecord soa(Name origin, Name base, long ttl, long serial) {
        return new SOARecord(
                origin,
                DClass.IN,
                ttl,
                nameServer(base),
                Name.fromConstantString("hostmaster." + base),
                serial,
                REFRESH,
                RETRY,
                EXPIRE,
                ttl);
    }

    /** The NS record of {@code origin}, naming {@link #nameServer}. */
    public static NSRecord ns(Name origin, Name base, long ttl) {
        return new NSRecord(origin, DClass.IN, ttl, nameServer(base));
    }
}
