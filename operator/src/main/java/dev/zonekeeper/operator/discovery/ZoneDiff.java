package dev.zonekeeper.operator.discovery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import org.xbill.DNS.Record;

/** The difference between two record sets of one zone. */
public final class ZoneDiff {

    private ZoneDiff() {}

    /**
     * Records in {@code before} but not in {@code after} (removed), and in {@code after} but not in {@code before}
     * (added). Records compare as dnsjava does: owner, type, class and data; a TTL change alone is no change.
     */
    public static RecordDelta diff(Collection<? extends Record> before, Collection<? extends Record> after) {
        TreeSet<Record> old = new TreeSet<>(before);
        TreeSet<Record> now = new TreeSet<>(after);
        List<Record> removed = new ArrayList<>();
        for (Record r : old) {
            if (!now.contains(r)) {
                removed.add(r);
            }
        }
        List<Record> added = new ArrayList<>();
        for (Record r : now) {
            if (!old.contains(r)) {
                added.add(r);
            }
        }
        return new RecordDelta(removed, added);
    }
}
