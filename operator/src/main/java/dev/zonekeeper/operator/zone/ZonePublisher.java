package dev.zonekeeper.operator.zone;

import dev.zonekeeper.dns.transfer.JournaledZone;
import dev.zonekeeper.dns.transfer.PrimaryZones;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneApex;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.operator.discovery.ClusterZoneBuilder;
import dev.zonekeeper.operator.discovery.ClusterZoneState;
import dev.zonekeeper.operator.discovery.EndpointSliceInfo;
import dev.zonekeeper.operator.discovery.PodInfo;
import dev.zonekeeper.operator.discovery.RecordDelta;
import dev.zonekeeper.operator.discovery.ServiceInfo;
import dev.zonekeeper.operator.informers.ClusterSink;
import dev.zonekeeper.operator.records.PublishedRecordSet;
import dev.zonekeeper.operator.zone.ProgrammingLatency.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jboss.logging.Logger;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;

/**
 * Keeps the served zones ({@link PrimaryZones}, which the {@code TransferServer} hands to the DNS server sidecar) in
 * step with the cluster and the accepted DnsRecords. Zones served: the cluster domain, the reverse zones
 * {@code in-addr.arpa.} and {@code ip6.arpa.} (as CoreDNS's default Corefile serves them with the kubernetes plugin),
 * and every extra zone of {@code zonekeeper.zones}. Each record goes into the most specific of them that contains its
 * name.
 *
 * <ul>
 *   <li><b>First full sync.</b> Until {@link #synced()}, changes only build up state and no zone is served at all, so
 *       the sidecar answers SERVFAIL (zone not loaded) instead of a wrong NXDOMAIN. After it, the zones are never
 *       emptied because the API server is away: the informers keep their caches and only real deletions remove
 *       records.
 *   <li><b>Changes cost their size.</b> Every informer event goes through {@link ClusterZoneState}, whose record
 *       delta is applied with {@link PrimaryZones#change} (one new serial per changed zone, journaled for IXFR).
 *   <li><b>Services win over DnsRecords.</b> A DnsRecord whose name is a Service's name or lies below it
 *       ({@code <svc>.<ns>.svc.<domain>}, its SRV names, its endpoint names) is not put into the zone while the
 *       Service exists; the zone holds the Service's data (the reconciler reports the conflict).
 *   <li><b>Shared records.</b> A record produced by several sources (a DnsRecord and a Service, two DnsRecords) is
 *       counted and leaves the zone with its last source. Counting compares records as DNS does, without the TTL.
 *   <li><b>Served serial.</b> For every DnsRecord in a zone, the zone serial that first served its current records
 *       ({@link #servedSerial}); listeners hear about new ones, so the reconciler can write
 *       {@code status.servedSerial}.
 * </ul>
 *
 * <p>Thread-safe: every change is serialised, and the state change and the zone change happen together.
 */
public final class ZonePublisher implements ClusterSink {

    private static final Logger LOG = Logger.getLogger(ZonePublisher.class);

    public static final Name IN_ADDR_ARPA = Name.fromConstantString("in-addr.arpa.");
    public static final Name IP6_ARPA = Name.fromConstantString("ip6.arpa.");

    /** Told when a DnsRecord's records are first served at a serial (again after they change). */
    @FunctionalInterface
    public interface ServedListener {
        void served(String namespace, String name, long serial);
    }

    private final ClusterZoneBuilder builder;
    private final ClusterZoneState cluster;
    private final PrimaryZones zones;
    private final ProgrammingLatency latency;
    /** Served origins, most specific (most labels) first. */
    private final List<Name> origins;

    /**
     * Sources per record (records compared without TTL) other than the cluster state: DnsRecords and the NS records of
     * the extra zones; only records with at least one. A record is served when the cluster state holds it (which counts
     * its own sources: {@link ClusterZoneState#contains}) or it has a source here; the cluster's records, which are most
     * (one per pod with pod records on), are not counted twice.
     */
    private final Map<org.xbill.DNS.Record, Integer> refs = new HashMap<>();

    private final Set<Name> serviceNames = new HashSet<>();
    private final Map<String, PublishedRecordSet> dnsRecords = new HashMap<>();
    /** What each DnsRecord currently contributes to {@link #refs} (empty while a Service wins). */
    private final Map<String, List<org.xbill.DNS.Record>> contributed = new HashMap<>();

    private final Map<String, Long> servedSerials = new ConcurrentHashMap<>();
    private final List<ServedListener> servedListeners = new CopyOnWriteArrayList<>();
    /** Accepted DnsRecords left out of the zone because a Service owns their name, and that Service's name. */
    private final Map<String, Name> shadowed = new HashMap<>();

    private final List<java.util.function.BiConsumer<String, String>> shadowListeners = new CopyOnWriteArrayList<>();
    private volatile boolean published;

    /**
     * @param settings the cluster domain and the extra zones
     * @param builder builds the cluster records (its domain must be the settings' cluster domain)
     * @param zones where the zones are served
     * @param latency where programming durations go
     */
    public ZonePublisher(
            ZoneSettings settings, ClusterZoneBuilder builder, PrimaryZones zones, ProgrammingLatency latency) {
        this.builder = Objects.requireNonNull(builder, "builder");
        this.zones = Objects.requireNonNull(zones, "zones");
        this.latency = Objects.requireNonNull(latency, "latency");
        if (!builder.domain().equals(settings.clusterDomain())) {
            throw new IllegalArgumentException(
                    "builder domain " + builder.domain() + " is not the cluster domain " + settings.clusterDomain());
        }
        List<Name> all = new ArrayList<>();
        all.add(builder.domain());
        for (Name extra : settings.zones()) {
            if (!all.contains(extra)) {
                all.add(extra);
            }
        }
        for (Name reverse : List.of(IN_ADDR_ARPA, IP6_ARPA)) {
            if (!all.contains(reverse)) {
                all.add(reverse);
            }
        }
        all.sort(Comparator.comparingInt(Name::labels).reversed());
        this.origins = List.copyOf(all);
        this.cluster = new ClusterZoneState(builder);

        Batch batch = new Batch();
        for (Name origin : origins) {
            if (!origin.equals(builder.domain())) {
                addRef(ZoneApex.ns(origin, builder.domain(), builder.ttl()), batch);
            }
        }
    }

    /** The served zone origins, most specific first. */
    public List<Name> origins() {
        return origins;
    }

    /** Whether the zones are served (the first full sync happened). */
    public boolean published() {
        return published;
    }

    /** The serial that first served the current records of DnsRecord {@code namespace/name}, if they are served. */
    public OptionalLong servedSerial(String namespace, String name) {
        Long serial = servedSerials.get(namespace + "/" + name);
        return serial == null ? OptionalLong.empty() : OptionalLong.of(serial);
    }

    public void addServedListener(ServedListener listener) {
        servedListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Told (with the DnsRecord's namespace and name) when an accepted DnsRecord is left out of the zone because a
     * Service took its name, or is served again because the Service went, so its status can say so.
     */
    public void addShadowListener(java.util.function.BiConsumer<String, String> listener) {
        shadowListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * The Service ({@code namespace/name}) whose names include {@code owner} (its name or a name below it), if any: such
     * a name is served from the Service, never from a DnsRecord.
     */
    public synchronized Optional<String> serviceOwning(Name owner) {
        Name service = owningServiceName(owner);
        return service == null ? Optional.empty() : Optional.of(serviceKey(service));
    }

    /**
     * The Service ({@code namespace/name}) that keeps the accepted DnsRecord {@code namespace/name} out of the zone
     * because it owns the DnsRecord's name, if any: what the zones serve, for the reconciler to report.
     */
    public synchronized Optional<String> shadowingService(String namespace, String name) {
        return Optional.ofNullable(shadowed.get(namespace + "/" + name)).map(ZonePublisher::serviceKey);
    }

    private static String serviceKey(Name service) {
        return service.getLabelString(1) + "/" + service.getLabelString(0);
    }

    // --- cluster state (ClusterSink) --------------------------------------------------------------------------------

    @Override
    public synchronized void upsertService(ServiceInfo service, long receivedNanos) {
        Batch batch = new Batch();
        Name name = builder.serviceName(service.namespace(), service.name());
        if (serviceNames.add(name)) {
            reevaluateDnsRecordsUnder(name, batch); // the Service takes its names from DnsRecords first
        }
        apply(cluster.upsertService(service), batch);
        commit(batch, Kind.Service, receivedNanos);
    }

    @Override
    public synchronized void deleteService(String namespace, String name, long receivedNanos) {
        Batch batch = new Batch();
        apply(cluster.deleteService(namespace, name), batch);
        Name serviceName;
        try {
            serviceName = builder.serviceName(namespace, name);
        } catch (IllegalArgumentException e) {
            serviceName = null;
        }
        if (serviceName != null && serviceNames.remove(serviceName)) {
            reevaluateDnsRecordsUnder(serviceName, batch);
        }
        commit(batch, Kind.Service, receivedNanos);
    }

    @Override
    public synchronized void upsertEndpointSlice(EndpointSliceInfo slice, long receivedNanos) {
        applyAndCommit(cluster.upsertEndpointSlice(slice), Kind.EndpointSlice, receivedNanos);
    }

    @Override
    public synchronized void deleteEndpointSlice(String namespace, String name, long receivedNanos) {
        applyAndCommit(cluster.deleteEndpointSlice(namespace, name), Kind.EndpointSlice, receivedNanos);
    }

    @Override
    public synchronized void upsertPod(PodInfo pod, long receivedNanos) {
        applyAndCommit(cluster.upsertPod(pod), Kind.Pod, receivedNanos);
    }

    @Override
    public synchronized void deletePod(String namespace, String name, long receivedNanos) {
        applyAndCommit(cluster.deletePod(namespace, name), Kind.Pod, receivedNanos);
    }

    /** Publishes every zone with everything gathered so far; later changes flow incrementally. Idempotent. */
    @Override
    public synchronized void synced() {
        if (published) {
            return;
        }
        Map<Name, List<org.xbill.DNS.Record>> content = new LinkedHashMap<>();
        for (Name origin : origins) {
            List<org.xbill.DNS.Record> records = new ArrayList<>();
            records.add(soa(origin));
            content.put(origin, records);
        }
        List<org.xbill.DNS.Record> all = cluster.records();
        for (org.xbill.DNS.Record r : refs.keySet()) {
            if (!cluster.contains(r)) {
                all.add(r);
            }
        }
        for (org.xbill.DNS.Record r : all) {
            Name origin = zoneFor(r.getName());
            if (origin != null) {
                content.get(origin).add(r);
            }
        }
        for (Map.Entry<Name, List<org.xbill.DNS.Record>> e : content.entrySet()) {
            long serial = zones.put(Zone.of(e.getKey(), e.getValue()));
            LOG.infof(
                    "serving zone %s at serial %d (%d records)",
                    e.getKey(), serial, e.getValue().size());
        }
        published = true;
        for (Map.Entry<String, List<org.xbill.DNS.Record>> e : contributed.entrySet()) {
            if (!e.getValue().isEmpty()) {
                markServed(e.getKey(), dnsRecords.get(e.getKey()));
            }
        }
    }

    // --- DnsRecords
    // ---------------------------------------------------------------------------------------------------

    /**
     * Brings the DnsRecords in line with {@code accepted} (the record registry's current content, by
     * {@code namespace/name}); only those that changed are touched.
     */
    public synchronized void dnsRecordsChanged(Map<String, PublishedRecordSet> accepted, long receivedNanos) {
        Batch batch = new Batch();
        for (String key : new ArrayList<>(dnsRecords.keySet())) {
            if (!accepted.containsKey(key)) {
                dnsRecords.remove(key);
                recomputeDnsRecord(key, batch);
            }
        }
        for (Map.Entry<String, PublishedRecordSet> e : accepted.entrySet()) {
            if (!e.getValue().equals(dnsRecords.get(e.getKey()))) {
                dnsRecords.put(e.getKey(), e.getValue());
                recomputeDnsRecord(e.getKey(), batch);
            }
        }
        commit(batch, Kind.DnsRecord, receivedNanos);
    }

    /**
     * One DnsRecord's accepted records changed: {@code recordSet} is what is accepted now for {@code key}
     * ({@code namespace/name}), or null when it is withdrawn. Costs the size of that DnsRecord, not of all of them.
     */
    public synchronized void dnsRecordChanged(String key, PublishedRecordSet recordSet, long receivedNanos) {
        if (recordSet == null ? !dnsRecords.containsKey(key) : recordSet.equals(dnsRecords.get(key))) {
            return;
        }
        Batch batch = new Batch();
        if (recordSet == null) {
            dnsRecords.remove(key);
        } else {
            dnsRecords.put(key, recordSet);
        }
        recomputeDnsRecord(key, batch);
        commit(batch, Kind.DnsRecord, receivedNanos);
    }

    private void reevaluateDnsRecordsUnder(Name serviceName, Batch batch) {
        for (Map.Entry<String, PublishedRecordSet> e : dnsRecords.entrySet()) {
            if (e.getValue().owner().subdomain(serviceName)) {
                recomputeDnsRecord(e.getKey(), batch);
            }
        }
    }

    /** The name of the Service that owns {@code owner}, or null. */
    private Name owningServiceName(Name owner) {
        if (serviceNames.isEmpty() || !owner.subdomain(builder.domain())) {
            return null;
        }
        for (int skip = 0; skip < owner.labels() - builder.domain().labels(); skip++) {
            Name candidate = new Name(owner, skip);
            if (serviceNames.contains(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private void recomputeDnsRecord(String key, Batch batch) {
        PublishedRecordSet set = dnsRecords.get(key);
        Name owningService = set == null ? null : owningServiceName(set.owner());
        boolean owned = owningService != null;
        if (!Objects.equals(owningService, owned ? shadowed.put(key, owningService) : shadowed.remove(key))) {
            batch.shadowChanged.add(key);
        }
        List<org.xbill.DNS.Record> want = set == null || owned ? List.of() : set.records();
        List<org.xbill.DNS.Record> had = contributed.getOrDefault(key, List.of());
        if (sameWithTtl(had, want)) {
            if (want.isEmpty()) {
                servedSerials.remove(key);
            }
            return;
        }
        for (org.xbill.DNS.Record r : had) {
            removeRef(r, batch);
        }
        for (org.xbill.DNS.Record r : want) {
            addRef(r, batch);
        }
        if (want.isEmpty()) {
            contributed.remove(key);
            servedSerials.remove(key);
        } else {
            contributed.put(key, want);
            batch.served.put(key, set);
        }
    }

    private static boolean sameWithTtl(List<org.xbill.DNS.Record> a, List<org.xbill.DNS.Record> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).equals(b.get(i)) || a.get(i).getTTL() != b.get(i).getTTL()) {
                return false;
            }
        }
        return true;
    }

    private void markServed(String key, PublishedRecordSet set) {
        Name origin = set == null ? null : zoneFor(set.owner());
        JournaledZone zone = origin == null ? null : zones.get(origin);
        if (zone == null) {
            return;
        }
        long serial = zone.serial();
        servedSerials.put(key, serial);
        for (ServedListener listener : servedListeners) {
            try {
                listener.served(set.namespace(), set.resourceName(), serial);
            } catch (RuntimeException e) {
                LOG.warnf(e, "served-serial listener failed for %s", key);
            }
        }
    }

    // --- records, reference counts and zone changes ----------------------------------------------------------------

    /** The most specific served zone containing {@code name}, or null. */
    Name zoneFor(Name name) {
        for (Name origin : origins) {
            if (name.subdomain(origin)) {
                return origin;
            }
        }
        return null;
    }

    /** Every zone's SOA names the cluster domain's server and hostmaster, as the cluster zone's does. */
    private SOARecord soa(Name origin) {
        return ZoneApex.soa(origin, builder.domain(), builder.ttl(), 0);
    }

    /** One change of the cluster state in a batch of its own, committed at once. */
    private void applyAndCommit(RecordDelta delta, Kind kind, long receivedNanos) {
        Batch batch = new Batch();
        apply(delta, batch);
        commit(batch, kind, receivedNanos);
    }

    /**
     * A change of the cluster state, already made: a record it added or removed enters or leaves the zone unless
     * another source (a DnsRecord) also gives it.
     */
    private void apply(RecordDelta delta, Batch batch) {
        for (org.xbill.DNS.Record r : delta.removed()) {
            if (!refs.containsKey(r)) {
                batch.remove(zoneFor(r.getName()), r);
            }
        }
        for (org.xbill.DNS.Record r : delta.added()) {
            if (!refs.containsKey(r)) {
                batch.add(zoneFor(r.getName()), r);
            }
        }
    }

    /** One more source other than the cluster state gives {@code r}. */
    private void addRef(org.xbill.DNS.Record r, Batch batch) {
        if (refs.merge(r, 1, Integer::sum) == 1 && !cluster.contains(r)) {
            batch.add(zoneFor(r.getName()), r);
        }
    }

    /** One source other than the cluster state gives {@code r} no more. */
    private void removeRef(org.xbill.DNS.Record r, Batch batch) {
        Integer n = refs.get(r);
        if (n == null) {
            return;
        }
        if (n == 1) {
            refs.remove(r);
            if (!cluster.contains(r)) {
                batch.remove(zoneFor(r.getName()), r);
            }
        } else {
            refs.put(r, n - 1);
        }
    }

    /** Applies the batch to the served zones (nothing before the first sync): one new serial per changed zone. */
    private void commit(Batch batch, Kind kind, long receivedNanos) {
        if (!published) {
            notifyShadowChanged(batch);
            return;
        }
        // Forward zones first: each commit announces itself (NOTIFY) before the next zone is changed, and the name a
        // client waits for is a forward one; the PTR records of the same change follow a fraction of a millisecond
        // later.
        List<Map.Entry<Name, ZoneChange>> ordered = new ArrayList<>(batch.changes.entrySet());
        ordered.sort(Comparator.comparing(e -> isReverse(e.getKey())));
        for (Map.Entry<Name, ZoneChange> e : ordered) {
            ZoneChange change = e.getValue();
            if (change.isEmpty()) {
                continue;
            }
            JournaledZone before = zones.get(e.getKey());
            long serial = zones.change(e.getKey(), change.removed.values(), change.added.values());
            if (before == null || serial != before.serial()) {
                latency.changed(e.getKey(), serial, kind, receivedNanos);
            }
        }
        for (Map.Entry<String, PublishedRecordSet> e : batch.served.entrySet()) {
            markServed(e.getKey(), e.getValue());
        }
        notifyShadowChanged(batch);
    }

    private void notifyShadowChanged(Batch batch) {
        for (String key : batch.shadowChanged) {
            int slash = key.indexOf('/');
            for (java.util.function.BiConsumer<String, String> listener : shadowListeners) {
                try {
                    listener.accept(key.substring(0, slash), key.substring(slash + 1));
                } catch (RuntimeException e) {
                    LOG.warnf(e, "shadow listener failed for %s", key);
                }
            }
        }
    }

    private static boolean isReverse(Name zone) {
        return zone.subdomain(IN_ADDR_ARPA) || zone.subdomain(IP6_ARPA);
    }

    /** A record compared as DNS does, plus its TTL. */
    private record Keyed(org.xbill.DNS.Record record) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Keyed
                    && ((Keyed) o).record.equals(record)
                    && ((Keyed) o).record.getTTL() == record.getTTL();
        }

        @Override
        public int hashCode() {
            return record.hashCode() * 31 + Long.hashCode(record.getTTL());
        }
    }

    /** The net change to one zone within a batch. */
    private static final class ZoneChange {
        final Map<Keyed, org.xbill.DNS.Record> removed = new LinkedHashMap<>();
        final Map<Keyed, org.xbill.DNS.Record> added = new LinkedHashMap<>();

        boolean isEmpty() {
            return removed.isEmpty() && added.isEmpty();
        }
    }

    /** Changes gathered while handling one event, applied together. */
    private static final class Batch {
        final Map<Name, ZoneChange> changes = new LinkedHashMap<>();
        final Map<String, PublishedRecordSet> served = new LinkedHashMap<>();
        /** DnsRecords a Service started or stopped shadowing. */
        final Set<String> shadowChanged = new java.util.LinkedHashSet<>();

        void add(Name origin, org.xbill.DNS.Record r) {
            if (origin == null) {
                return;
            }
            ZoneChange c = changes.computeIfAbsent(origin, o -> new ZoneChange());
            Keyed k = new Keyed(r);
            if (c.removed.remove(k) == null) {
                c.added.put(k, r);
            }
        }

        void remove(Name origin, org.xbill.DNS.Record r) {
            if (origin == null) {
                return;
            }
            ZoneChange c = changes.computeIfAbsent(origin, o -> new ZoneChange());
            Keyed k = new Keyed(r);
            if (c.added.remove(k) == null) {
                c.removed.put(k, r);
            }
        }
    }
}
