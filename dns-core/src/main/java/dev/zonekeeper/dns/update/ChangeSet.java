package dev.zonekeeper.dns.update;

import java.util.List;
import org.xbill.DNS.Name;

/**
 * What one accepted update does: the RRsets it touches, each with its contents before and after. An RRset whose
 * {@code after} is empty is deleted; one whose {@code before} is empty is created. RRsets the update left as they
 * were are not listed. Names are absolute and lower case.
 */
public record ChangeSet(Name zone, List<RRsetChange> changes) {

    /** One RRset before and after; {@code ttl} is the TTL after (the first added record's, RFC 2136 3.4.2.2). */
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
