package dev.zonekeeper.operator.discovery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import org.xbill.DNS.Record;

/**
 * The records of the cluster zone ({@code forward}) and those under {@code in-addr.arpa.}/{@code ip6.arpa.}
 * ({@code reverse}), each sorted in canonical order and free of duplicates.
 */
public record ClusterZoneData(List<Record> forward, List<Record> reverse) {

    public ClusterZoneData {
        forward = List.copyOf(new TreeSet<>(forward));
        reverse = List.copyOf(new TreeSet<>(reverse));
    }

    /** Splits records into forward and reverse ones. */
    public static ClusterZoneData of(Collection<? extends Record> records) {
        List<Record> fwd = new ArrayList<>();
        List<Record> rev = new ArrayList<>();
        for (Record r : records) {
            (ClusterZoneBuilder.isReverse(r) ? rev : fwd).add(r);
        }
        return new ClusterZoneData(fwd, rev);
    }
}
