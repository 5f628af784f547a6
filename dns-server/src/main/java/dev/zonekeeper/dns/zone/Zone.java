package dev.zonekeeper.dns.zone;

import java.util.Collection;
import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;

/**
 * An immutable authoritative zone: its origin, SOA and RRsets by owner name. Updates return a new Zone that
 * shares structure with this one, at a cost proportional to the change. (Stub: implemented in the zone work.)
 */
public final class Zone {
    /** A zone from its records; the SOA must be among them, at the origin. Throws IllegalArgumentException otherwise. */
    public static Zone of(Name origin, Collection<org.xbill.DNS.Record> records) {
        throw new UnsupportedOperationException("not yet");
    }

    /** A new zone with {@code removed} taken away and {@code added} put in (a new SOA among {@code added} replaces the old). */
    public Zone apply(Collection<org.xbill.DNS.Record> removed, Collection<org.xbill.DNS.Record> added) {
        throw new UnsupportedOperationException("not yet");
    }

    public Name origin() { throw new UnsupportedOperationException("not yet"); }

    public SOARecord soa() { throw new UnsupportedOperationException("not yet"); }

    public long serial() { return soa().getSerial(); }

    public int recordCount() { throw new UnsupportedOperationException("not yet"); }

    /** Every record, SOA first (the order of an AXFR body). */
    public List<org.xbill.DNS.Record> records() { throw new UnsupportedOperationException("not yet"); }
}
