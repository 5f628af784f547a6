package dev.zonekeeper.dns.update;

import java.util.List;
import org.xbill.DNS.Name;

/**
 * What one accepted update does: the RRsets it touches, each with its contents before and after. An RRset whose
 * {@code after} is empty is deleted; one whose {@code before} is empty is created. RRsets the update left as they
 * were are not listed. Names are absolute and lower case.
 */
public record ChangeSet(Name zone, List<RRsetChange> changes) {

    /**
     * One RRset before and after; {@code ttl} is the TTL after: that of the last record the update added to it (an
     * add sets the RRset's TTL, RFC 2136 3.4.2.2, as BIND does), else the TTL it had. Every record of {@code after}
     * carries that TTL, has class IN and the lower-case owner {@code name}; {@link RecordValues#values} turns them into
     * DnsRecord values.
     */
    public record RRsetChange(
            Name name, int type, long ttl, List<org.xbill.DNS.Record> before, List<org.xbill.DNS.Record> after) {
        public boolean deletes() {
            return after.isEmpty();
        }

        public boolean creates() {
            return before.isEmpty();
        }
    }

    public ChangeSet {
        changes = List.copyOf(changes);
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }
}
