package dev.zonekeeper.operator.discovery;

import java.util.List;
import java.util.TreeSet;
import org.xbill.DNS.Record;

/**
 * The change to a record set: records to remove and records to add, each sorted in canonical order. Empty when
 * nothing DNS-visible changed. May mix forward and reverse records (see {@link ClusterZoneBuilder#isReverse}).
 */
public record RecordDelta(List<Record> removed, List<Record> added) {

    public static final RecordDelta EMPTY = new RecordDelta(List.of(), List.of());

    public RecordDelta {
        removed = List.copyOf(new TreeSet<>(removed));
        added = List.copyOf(new TreeSet<>(added));
    }

    public boolean isEmpty() {
        return removed.isEmpty() && added.isEmpty();
    }
}
