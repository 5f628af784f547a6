package dev.zonekeeper.operator.discovery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import org.xbill.DNS.Record;

/**
 * The cluster zone kept incrementally: the current projections and the records each object produces. Every change
 * recomputes only the records of the object it touches (a Service together with its EndpointSlices, or a Pod) and
 * returns the change to the zone's record set, which is empty when nothing DNS-visible changed. This is what the
 * operator feeds into its journaled zone.
 *
 * <p>A record produced by several objects (two host-network pods on one node have the same pod record) is counted,
 * and leaves the zone only when the last object producing it does.
 *
 * <p>The SOA is not part of the state (its serial belongs to the journal); {@link #records()} holds the apex NS,
 * name server addresses and {@code dns-version} from the start. Thread-safe: every method is synchronized.
 */
public final class ClusterZoneState {

    private final ClusterZoneBuilder builder;
    private final Map<ObjectKey, ServiceInfo> services = new HashMap<>();
    private final Map<ObjectKey, EndpointSliceInfo> slices = new HashMap<>();
    private final Map<ObjectKey, Map<String, EndpointSliceInfo>> slicesByService = new HashMap<>();

    /**
     * Records per producing object (the apex, a Service with its slices, a Pod), each a sorted list without
     * duplicates: a list costs a fraction of a set, and 150,000 Pods have one record each.
     */
    private List<Record> apexRecords = List.of();

    private final Map<ObjectKey, List<Record>> serviceRecords = new HashMap<>();
    private final Map<ObjectKey, List<Record>> podRecords = new HashMap<>();
    private final TreeMap<Record, Integer> refCounts = new TreeMap<>();

    public ClusterZoneState(ClusterZoneBuilder builder) {
        this.builder = Objects.requireNonNull(builder, "builder");
        apexRecords = replace(apexRecords, builder.apexRecords(), new Change());
    }

    public ClusterZoneBuilder builder() {
        return builder;
    }

    /** Every record currently in the state (forward and reverse, no SOA), sorted; a new list the caller may change. */
    public synchronized List<Record> records() {
        return new ArrayList<>(refCounts.keySet());
    }

    /** Whether {@code r} (compared without TTL) is in the state. */
    public synchronized boolean contains(Record r) {
        return refCounts.containsKey(r);
    }

    /** The current records split into forward and reverse, plus the SOA with {@code serial}. */
    public synchronized ClusterZoneData snapshot(long serial) {
        List<Record> all = records();
        all.add(builder.soa(serial));
        return ClusterZoneData.of(all);
    }

    /** Adds or replaces a Service. */
    public synchronized RecordDelta upsertService(ServiceInfo svc) {
        ServiceInfo old = services.put(svc.key(), svc);
        if (svc.equals(old)) {
            return RecordDelta.EMPTY;
        }
        Change c = new Change();
        recomputeService(svc.key(), c);
        return c.delta();
    }

    public synchronized RecordDelta deleteService(String namespace, String name) {
        ObjectKey key = new ObjectKey(namespace, name);
        if (services.remove(key) == null) {
            return RecordDelta.EMPTY;
        }
        Change c = new Change();
        recomputeService(key, c);
        return c.delta();
    }

    /** Adds or replaces an EndpointSlice (also when its service-name label moved it to another Service). */
    public synchronized RecordDelta upsertEndpointSlice(EndpointSliceInfo slice) {
        EndpointSliceInfo old = slices.put(slice.key(), slice);
        if (slice.equals(old)) {
            return RecordDelta.EMPTY;
        }
        Change c = new Change();
        if (old != null && old.serviceKey() != null && !old.serviceKey().equals(slice.serviceKey())) {
            unindex(old);
            recomputeService(old.serviceKey(), c);
        }
        if (slice.serviceKey() != null) {
            slicesByService
                    .computeIfAbsent(slice.serviceKey(), k -> new TreeMap<>())
                    .put(slice.name(), slice);
            recomputeService(slice.serviceKey(), c);
        }
        return c.delta();
    }

    public synchronized RecordDelta deleteEndpointSlice(String namespace, String name) {
        EndpointSliceInfo old = slices.remove(new ObjectKey(namespace, name));
        if (old == null || old.serviceKey() == null) {
            return RecordDelta.EMPTY;
        }
        unindex(old);
        Change c = new Change();
        recomputeService(old.serviceKey(), c);
        return c.delta();
    }

    /**
     * Adds or replaces a Pod. Pods are not kept here (the informer cache holds them), only the records each produces:
     * a pod whose records stay the same changes nothing.
     */
    public synchronized RecordDelta upsertPod(PodInfo pod) {
        ObjectKey key = pod.key();
        Change c = new Change();
        store(podRecords, key, replace(podRecords.getOrDefault(key, List.of()), builder.podRecords(pod), c));
        return c.delta();
    }

    public synchronized RecordDelta deletePod(String namespace, String name) {
        ObjectKey key = new ObjectKey(namespace, name);
        if (!podRecords.containsKey(key)) {
            return RecordDelta.EMPTY;
        }
        Change c = new Change();
        store(podRecords, key, replace(podRecords.getOrDefault(key, List.of()), List.of(), c));
        return c.delta();
    }

    // --- internals ------------------------------------------------------------------------------------------------

    private void unindex(EndpointSliceInfo slice) {
        Map<String, EndpointSliceInfo> m = slicesByService.get(slice.serviceKey());
        if (m != null) {
            m.remove(slice.name());
            if (m.isEmpty()) {
                slicesByService.remove(slice.serviceKey());
            }
        }
    }

    private void recomputeService(ObjectKey key, Change c) {
        ServiceInfo svc = services.get(key);
        List<Record> now;
        if (svc == null) {
            now = List.of();
        } else {
            Map<String, EndpointSliceInfo> m = slicesByService.get(key);
            Collection<EndpointSliceInfo> own = m == null ? List.of() : m.values();
            now = builder.serviceRecords(svc, own);
        }
        store(serviceRecords, key, replace(serviceRecords.getOrDefault(key, List.of()), now, c));
    }

    private static void store(Map<ObjectKey, List<Record>> map, ObjectKey key, List<Record> records) {
        if (records.isEmpty()) {
            map.remove(key);
        } else {
            map.put(key, records);
        }
    }

    /**
     * Replaces the records an owner produces ({@code before}) by {@code now}, keeping reference counts and noting what
     * enters or leaves the zone; returns what the owner now produces, sorted and without duplicates.
     *
     * <p>A record that stays is kept as the instance already counted (and already in the zone), not the equal one
     * just built: a Service's records are rebuilt whenever one of its slices changes (during the first sync, once per
     * slice), and keeping the new instances would hold every such record twice, once here and once in the zone.
     */
    private List<Record> replace(List<Record> before, Collection<Record> now, Change c) {
        TreeSet<Record> sorted = new TreeSet<>(now);
        if (sorted.size() == before.size() && sorted.containsAll(before)) {
            return before; // the same records: nothing to count, and the list already held stays
        }
        for (Record r : before) {
            if (!sorted.contains(r)) {
                c.touch(r, refCounts.containsKey(r));
                refCounts.computeIfPresent(r, (k, n) -> n == 1 ? null : n - 1);
            }
        }
        List<Record> after = new ArrayList<>(sorted.size());
        for (Record r : sorted) {
            if (Collections.binarySearch(before, r) < 0) { // before is sorted as the counts are
                c.touch(r, refCounts.containsKey(r));
                refCounts.merge(r, 1, Integer::sum);
            }
            // the instance counted: the one already held, or the equal record another owner produced first (shared)
            after.add(refCounts.ceilingKey(r));
        }
        return List.copyOf(after);
    }

    /** Presence of each touched record before the operation; the delta is the records whose presence changed. */
    private final class Change {
        private final Map<Record, Boolean> presentBefore = new LinkedHashMap<>();

        void touch(Record r, boolean present) {
            presentBefore.putIfAbsent(r, present);
        }

        RecordDelta delta() {
            List<Record> removed = new ArrayList<>();
            List<Record> added = new ArrayList<>();
            for (Map.Entry<Record, Boolean> e : presentBefore.entrySet()) {
                boolean now = refCounts.containsKey(e.getKey());
                if (e.getValue() && !now) {
                    removed.add(e.getKey());
                } else if (!e.getValue() && now) {
                    added.add(e.getKey());
                }
            }
            return removed.isEmpty() && added.isEmpty() ? RecordDelta.EMPTY : new RecordDelta(removed, added);
        }
    }
}
