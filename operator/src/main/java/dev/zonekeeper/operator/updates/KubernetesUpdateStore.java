package dev.zonekeeper.operator.updates;

import dev.zonekeeper.dns.transfer.JournaledZone;
import dev.zonekeeper.dns.transfer.PrimaryZones;
import dev.zonekeeper.dns.update.ChangeSet;
import dev.zonekeeper.dns.update.ChangeSet.RRsetChange;
import dev.zonekeeper.dns.update.UpdatePolicy;
import dev.zonekeeper.dns.update.UpdateResult;
import dev.zonekeeper.dns.update.UpdateStore;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordSpec;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.operator.records.DnsRecordServing;
import dev.zonekeeper.operator.records.RecordClaim;
import dev.zonekeeper.operator.zone.ZonePublisher;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import org.xbill.DNS.Name;
import org.xbill.DNS.Serial;
import org.xbill.DNS.Type;

/**
 * The operator's {@link UpdateStore}: an accepted update becomes DnsRecord objects, one per RRset (owner name and
 * type), in the namespace of the update's policy, named by {@link UpdateObjects#objectName} and labelled
 * {@value UpdateObjects#WRITTEN_BY_LABEL}={@value UpdateObjects#WRITTEN_BY_UPDATE} and
 * {@value UpdateObjects#KEY_LABEL}=(the key). The DnsRecords are then served like any other (the informers, the one
 * serving decision, the zone publisher), and {@link #commit} returns once the served zone shows every changed RRset.
 *
 * <p><b>Optimistic concurrency.</b> Every write is conditioned on what the update was evaluated against: an RRset the
 * update creates is a create (the API's AlreadyExists means another writer was first); one it changes or deletes is
 * read, compared with the RRset the update saw ({@link RRsetChange#before}), and written or deleted with that
 * object's {@code resourceVersion} as precondition (HTTP 409 means another writer was first). Each of those is a
 * {@link UpdateStore.Conflict}: the update is evaluated again, its prerequisites now seeing the other writer's records.
 * Several replicas, each with its own informers, thus never lose each other's values: of two updates of one RRset
 * exactly one writes first, the other is evaluated again on top of it.
 *
 * <p><b>All or nothing.</b> Kubernetes writes one object at a time. An update that touches one RRset (the usual
 * case: an ACME challenge's TXT record) is one write, atomic for every reader. One that touches several is several
 * writes in a row; when a later one fails (a conflict, the API server gone), the earlier ones are undone by
 * compensating writes, each conditioned on the {@code resourceVersion} the earlier write returned (so an undo never
 * overwrites a third writer), before the update fails. Until the whole update is written, readers may see part of it:
 * the zone changes with each write, a few milliseconds apart, so a query between two writes can see the first RRset
 * changed and the second not yet; each RRset on its own changes atomically. When the update is not served within
 * {@link Options#servedTimeout} (the DnsRecord is not accepted, the informers lag) it is undone the same way and
 * fails. An undo that cannot reach the API server is kept (bounded: {@link Options#maxPendingUndos}) and retried every
 * {@link Options#undoRetry} until it can; meanwhile every further commit fails (SERVFAIL) rather than build on a
 * half-written update, so when the API server comes back the partial writes are undone before anything else is
 * written.
 *
 * <p><b>Killed between two writes.</b> When the operator dies between two writes of one update, nothing undoes the
 * first: the client gets no answer and sends the update again (nsupdate, certbot, lego, cert-manager and ExternalDNS
 * all retry). The retry is evaluated on the zone as it then is, with the first write in it; adding a record that is
 * there and deleting one that is not are no-ops (RFC 2136 3.4.2), so the retry writes only what is missing, and the
 * result is the update applied once. An update whose prerequisites the partial write made false (e.g. "this RRset
 * must not exist" and it now does) is answered with that prerequisite's rcode on retry, and the partial write stays
 * until a client removes it: Kubernetes offers no transaction over several objects, and this store keeps no journal of
 * its own. Undos still waiting for the API server when the operator dies are lost the same way, with the same
 * outcome.
 *
 * <p><b>Failures.</b> The API server unreachable, or any answer other than success and the conflicts above, is an
 * {@link UpdateStore.UpdateStoreException} (the client gets SERVFAIL) with nothing of the update left written. The store
 * writes through its own client on the given one's configuration, without the client's request retries, so an update
 * fails fast instead of blocking the client for the retries' back-off.
 *
 * <p><b>Served.</b> {@link #commit} returns once this operator's zone (what its transfer server hands out) shows the
 * change; with {@link Options#transferWait}, also once a secondary (the DNS server sidecar, which forwards updates
 * here and answers clients) has transferred it, so that a client querying the sidecar right after the NOERROR sees the
 * change.
 *
 * <p>{@link #ownership} answers from this replica's informer caches only, never from the API.
 */
public final class KubernetesUpdateStore implements UpdateStore, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(KubernetesUpdateStore.class);

    /**
     * @param servedTimeout how long {@link #commit} waits for the served zone to show the change
     * @param settleTimeout after a conflict, how long to wait for the served zone to show the other writer's change, so
     *     the update's next evaluation sees it
     * @param undoRetry how often an undo that could not be written is tried again
     * @param maxPendingUndos undos kept for retrying; beyond, they are dropped (logged)
     * @param transferWait once the zone shows the change, how long to wait further for a secondary (the DNS server
     *     sidecar) to have transferred it ({@link #transferred}), so that the NOERROR means the sidecar answers with
     *     the change; zero does not wait. Past it the update still succeeds (it is written and served here; the
     *     secondary catches up)
     */
    public record Options(
            Duration servedTimeout,
            Duration settleTimeout,
            Duration undoRetry,
            int maxPendingUndos,
            Duration transferWait) {
        public static final Options DEFAULT =
                new Options(Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(1), 1000, Duration.ZERO);

        public Options {
            Objects.requireNonNull(servedTimeout, "servedTimeout");
            Objects.requireNonNull(settleTimeout, "settleTimeout");
            Objects.requireNonNull(undoRetry, "undoRetry");
            Objects.requireNonNull(transferWait, "transferWait");
            if (maxPendingUndos < 1) {
                throw new IllegalArgumentException("maxPendingUndos must be positive");
            }
        }

        /** Without waiting for a secondary. */
        public Options(Duration servedTimeout, Duration settleTimeout, Duration undoRetry, int maxPendingUndos) {
            this(servedTimeout, settleTimeout, undoRetry, maxPendingUndos, Duration.ZERO);
        }

        /** These options, waiting up to {@code wait} for a secondary's transfer. */
        public Options withTransferWait(Duration wait) {
            return new Options(servedTimeout, settleTimeout, undoRetry, maxPendingUndos, wait);
        }
    }

    /** A fault-injection point for tests: called before each write of a commit (index 0 is the first). */
    @FunctionalInterface
    public interface WriteHook {
        void beforeWrite(int index, RRsetChange change);
    }

    private final KubernetesClient api;
    private final boolean ownsClient;
    private final ZoneSettings settings;
    private final PrimaryZones zones;
    private final ZonePublisher publisher;
    private final DnsRecordServing dnsRecords;
    private final Options options;
    private final List<Waiter> waiters = new CopyOnWriteArrayList<>();
    private final Consumer<JournaledZone> zoneListener = this::zoneChanged;
    /** The highest serial a secondary has transferred, per zone; its monitor wakes {@link #awaitTransferred}. */
    private final Map<Name, Long> transferredSerials = new java.util.concurrent.ConcurrentHashMap<>();
    /** Undos that could not be written yet, in the order to write them; guarded by itself. */
    private final Deque<Undo> pendingUndos = new ArrayDeque<>();

    private final java.util.concurrent.atomic.AtomicLong conflicts = new java.util.concurrent.atomic.AtomicLong();
    private final Thread undoThread;
    private volatile WriteHook hook = (index, change) -> {};
    private volatile boolean closed;

    /**
     * @param client the operator's client; the store writes through a client of the same configuration without
     *     request retries
     * @param settings the served zones and which namespaces may write them
     * @param zones the served zones ({@code ZonePipeline.zones()})
     * @param publisher the zone publisher (which zone holds a name, which Service owns one)
     * @param dnsRecords the serving decision over every DnsRecord (who holds a name)
     */
    public KubernetesUpdateStore(
            KubernetesClient client,
            ZoneSettings settings,
            PrimaryZones zones,
            ZonePublisher publisher,
            DnsRecordServing dnsRecords,
            Options options) {
        Objects.requireNonNull(client, "client");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.zones = Objects.requireNonNull(zones, "zones");
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.dnsRecords = Objects.requireNonNull(dnsRecords, "dnsRecords");
        this.options = Objects.requireNonNull(options, "options");
        Config config = client.getConfiguration();
        if (config != null) {
            // fail fast: the client's default retries a refused connection for ~100 s, the DNS client waits seconds
            this.api = new KubernetesClientBuilder()
                    .withConfig(new ConfigBuilder(config)
                            .withRequestRetryBackoffLimit(0)
                            .build())
                    .build();
            this.ownsClient = true;
        } else {
            this.api = client;
            this.ownsClient = false;
        }
        zones.addListener(zoneListener);
        undoThread = new Thread(this::retryUndos, "update-undo");
        undoThread.setDaemon(true);
        undoThread.start();
    }

    /** Sets the fault-injection hook (tests only). */
    public void writeHook(WriteHook hook) {
        this.hook = Objects.requireNonNull(hook, "hook");
    }

    /** Conflicts with another writer so far (each made the update be evaluated again). */
    public long conflicts() {
        return conflicts.get();
    }

    /** How many undos wait for the API server. */
    public int pendingUndos() {
        synchronized (pendingUndos) {
            return pendingUndos.size();
        }
    }

    // --- UpdateStore -------------------------------------------------------------------------------------------------

    @Override
    public Optional<Zone> current(Name zone) {
        if (!publisher.published()) {
            return Optional.empty();
        }
        JournaledZone served = zones.get(zone);
        return served == null ? Optional.empty() : Optional.of(served.zone());
    }

    @Override
    public Optional<Refusal> ownership(UpdatePolicy policy, Name name, int type) {
        String typeName = Type.string(type);
        Name origin = servedOrigin(name);
        if (name.equals(origin) && (type == Type.SOA || type == Type.NS)) {
            return refuse(UpdateResult.GENERATED_NAME, "the " + typeName + " records of the zone apex are generated");
        }
        if (UpdateObjects.recordType(type).isEmpty()) {
            return refuse(UpdateResult.UNSUPPORTED, "a DnsRecord cannot hold " + typeName + " records");
        }
        if (!UpdateObjects.nameFits(name)) {
            return refuse(UpdateResult.UNSUPPORTED, name + " cannot be a DnsRecord's name");
        }
        String namespace = policy.namespace();
        if (settings.inClusterDomain(name)) {
            Name own = settings.namespaceDomain(namespace);
            if (!name.subdomain(own) || name.equals(own)) {
                return refuse(
                        UpdateResult.GENERATED_NAME,
                        name + " is in the cluster domain " + settings.clusterDomain() + ", whose names the cluster "
                                + "generates; namespace " + namespace + " may write only names under " + own);
            }
        } else {
            Optional<Name> zone = settings.zoneOf(name);
            if (zone.isEmpty()) {
                return refuse(UpdateResult.ZONE_NOT_ALLOWED, name + " is in no zone DnsRecords may write");
            }
            if (!settings.mayWrite(zone.get(), namespace)) {
                return refuse(
                        UpdateResult.ZONE_NOT_ALLOWED,
                        "namespace " + namespace + " may not write zone " + zone.get() + " (zonekeeper.zone-writers)");
            }
        }
        Optional<String> service = publisher.serviceOwning(name);
        if (service.isPresent()) {
            return refuse(UpdateResult.GENERATED_NAME, name + " belongs to Service " + service.get());
        }
        String ours = UpdateObjects.objectName(name, type);
        boolean fromDnsRecord = false;
        for (RecordClaim claim : dnsRecords.claimsAt(name)) {
            if (!claim.namespace().equals(namespace)) {
                return refuse(
                        UpdateResult.OWNED_ELSEWHERE,
                        name + " is held by DnsRecord " + claim.key() + " of another namespace");
            }
            if (claim.type() != null && type == Type.value(claim.type().name())) {
                if (!claim.resourceName().equals(ours)) {
                    return refuse(
                            UpdateResult.OWNED_ELSEWHERE,
                            typeName + " at " + name + " is held by DnsRecord " + claim.key()
                                    + ", which no update wrote");
                }
                fromDnsRecord = true;
            }
        }
        if (!fromDnsRecord && origin != null) {
            JournaledZone served = zones.get(origin);
            if (served != null && !served.zone().rrset(name, type).isEmpty()) {
                return refuse(
                        UpdateResult.GENERATED_NAME,
                        typeName + " at " + name + " is generated by the cluster, not held by a DnsRecord");
            }
        }
        return Optional.empty();
    }

    @Override
    public void commit(UpdatePolicy policy, ChangeSet changes)
            throws Conflict, UpdateStoreException, InterruptedException {
        if (changes.isEmpty()) {
            return;
        }
        // everything that can be refused without the API first, so a bad change writes nothing
        List<DnsRecordSpec> specs = new ArrayList<>();
        for (RRsetChange change : changes.changes()) {
            try {
                specs.add(
                        change.deletes()
                                ? null
                                : UpdateObjects.spec(change.name(), change.type(), change.ttl(), change.after()));
            } catch (IllegalArgumentException e) {
                throw new UpdateStoreException(e.getMessage(), e);
            }
        }
        drainUndos();
        List<Undo> done = new ArrayList<>();
        try {
            for (int i = 0; i < specs.size(); i++) {
                RRsetChange change = changes.changes().get(i);
                hook.beforeWrite(i, change);
                done.add(write(policy, change, specs.get(i)));
            }
        } catch (Conflict e) {
            conflicts.incrementAndGet();
            undo(done, changes.changes());
            throw e;
        } catch (UpdateStoreException e) {
            undo(done, changes.changes());
            throw e;
        } catch (RuntimeException e) {
            undo(done, changes.changes());
            throw new UpdateStoreException("update failed: " + e, e);
        }
        try {
            if (!awaitServed(changes.changes(), options.servedTimeout())) {
                undo(done, changes.changes());
                throw new UpdateStoreException(
                        "the change was written but not served within "
                                + options.servedTimeout().toMillis() + " ms: undone (see the DnsRecords' status)",
                        null);
            }
        } catch (InterruptedException e) {
            keep(reversed(done)); // shutting down: the undo thread (or the client's retry) finishes it
            throw e;
        }
        awaitTransferred(changes.changes());
    }

    /**
     * A secondary has transferred {@code zone} at {@code serial}: register as the transfer server's served listener
     * ({@code TransferServer.addServedListener(store::transferred)}) to use {@link Options#transferWait}.
     */
    public void transferred(Name zone, long serial) {
        transferredSerials.merge(zone, serial, (a, b) -> Serial.compare(a, b) >= 0 ? a : b);
        synchronized (transferredSerials) {
            transferredSerials.notifyAll();
        }
    }

    /** Waits (up to {@link Options#transferWait}) until a secondary has every zone the change is served in. */
    private void awaitTransferred(List<RRsetChange> changes) throws InterruptedException {
        if (options.transferWait().isZero()) {
            return;
        }
        Map<Name, Long> need = new HashMap<>();
        for (RRsetChange c : changes) {
            Name origin = servedOrigin(c.name());
            JournaledZone zone = origin == null ? null : zones.get(origin);
            if (zone != null) {
                need.put(origin, zone.serial()); // this serial or a later one shows the change
            }
        }
        long deadline = System.nanoTime() + options.transferWait().toNanos();
        synchronized (transferredSerials) {
            while (true) {
                need.entrySet().removeIf(e -> {
                    Long have = transferredSerials.get(e.getKey());
                    return have != null && Serial.compare(have, e.getValue()) >= 0;
                });
                long left = deadline - System.nanoTime();
                if (need.isEmpty() || left <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(transferredSerials, left);
            }
        }
        if (!need.isEmpty()) {
            LOG.debugf("answering before a secondary transferred %s (waited %s)", need, options.transferWait());
        }
    }

    @Override
    public void close() {
        closed = true;
        zones.removeListener(zoneListener);
        undoThread.interrupt();
        if (ownsClient) {
            api.close();
        }
    }

    // --- writes ------------------------------------------------------------------------------------------------------

    private Undo write(UpdatePolicy policy, RRsetChange change, DnsRecordSpec spec)
            throws Conflict, UpdateStoreException {
        String namespace = policy.namespace();
        String name = UpdateObjects.objectName(change.name(), change.type());
        var objects = api.resources(DnsRecord.class).inNamespace(namespace);
        if (change.creates()) {
            DnsRecord record = new DnsRecord();
            record.setMetadata(new ObjectMetaBuilder()
                    .withNamespace(namespace)
                    .withName(name)
                    .withLabels(labels(policy))
                    .withAnnotations(annotations(policy))
                    .build());
            record.setSpec(spec);
            try {
                DnsRecord created = objects.resource(record).create();
                return new Undo.Created(namespace, name, created.getMetadata().getResourceVersion());
            } catch (KubernetesClientException e) {
                if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                    DnsRecord other = get(namespace, name);
                    settle(change, other == null ? null : other.getSpec());
                    throw new Conflict(change.name() + " " + Type.string(change.type())
                            + " was created by another writer meanwhile");
                }
                throw failed("create", namespace, name, e);
            }
        }
        DnsRecord existing = get(namespace, name);
        if (existing == null) {
            settle(change, null);
            throw new Conflict(
                    change.name() + " " + Type.string(change.type()) + " was deleted by another writer meanwhile");
        }
        if (!UpdateObjects.writtenByUpdate(existing)) {
            throw new UpdateStoreException(
                    "DnsRecord " + namespace + "/" + name + " was not written by an update: not overwritten", null);
        }
        if (!holds(existing.getSpec(), change)) {
            settle(change, existing.getSpec());
            throw new Conflict(
                    change.name() + " " + Type.string(change.type()) + " was changed by another writer meanwhile");
        }
        String version = existing.getMetadata().getResourceVersion();
        try {
            if (change.deletes()) {
                objects.withName(name).lockResourceVersion(version).delete();
                return new Undo.Deleted(existing);
            }
            DnsRecord changed = copy(existing);
            changed.getMetadata().getLabels().putAll(labels(policy));
            changed.getMetadata().setAnnotations(merged(changed.getMetadata().getAnnotations(), annotations(policy)));
            changed.setSpec(spec);
            DnsRecord updated =
                    objects.resource(changed).lockResourceVersion(version).update();
            return new Undo.Updated(updated, existing);
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT || e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                throw new Conflict(
                        change.name() + " " + Type.string(change.type()) + " was changed by another writer meanwhile");
            }
            throw failed(change.deletes() ? "delete" : "update", namespace, name, e);
        }
    }

    private DnsRecord get(String namespace, String name) throws UpdateStoreException {
        try {
            return api.resources(DnsRecord.class)
                    .inNamespace(namespace)
                    .withName(name)
                    .get();
        } catch (KubernetesClientException e) {
            throw failed("read", namespace, name, e);
        }
    }

    /** Whether the DnsRecord's spec holds exactly the RRset the update was evaluated against. */
    private static boolean holds(DnsRecordSpec spec, RRsetChange change) {
        Optional<Set<org.xbill.DNS.Record>> records = UpdateObjects.recordsOf(spec);
        if (records.isEmpty() || !records.get().equals(new HashSet<>(change.before()))) {
            return false;
        }
        for (org.xbill.DNS.Record r : change.before()) {
            if (r.getTTL() != spec.getTtl().longValue() || !r.getName().equals(change.name())) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, String> labels(UpdatePolicy policy) {
        Map<String, String> labels = new HashMap<>();
        labels.put(UpdateObjects.WRITTEN_BY_LABEL, UpdateObjects.WRITTEN_BY_UPDATE);
        labels.put(UpdateObjects.KEY_LABEL, UpdateObjects.labelValue(policy.keyName()));
        return labels;
    }

    private static Map<String, String> annotations(UpdatePolicy policy) {
        Map<String, String> annotations = new HashMap<>();
        annotations.put(UpdateObjects.KEY_ANNOTATION, policy.keyName().toString());
        annotations.put(UpdateObjects.POLICY_ANNOTATION, policy.name());
        return annotations;
    }

    private static Map<String, String> merged(Map<String, String> a, Map<String, String> b) {
        Map<String, String> out = new HashMap<>(a == null ? Map.of() : a);
        out.putAll(b);
        return out;
    }

    /** A copy of {@code record}'s metadata and spec (status is not written through the main resource anyway). */
    private static DnsRecord copy(DnsRecord record) {
        DnsRecord copy = new DnsRecord();
        ObjectMeta meta = new ObjectMetaBuilder(record.getMetadata()).build();
        meta.setLabels(new HashMap<>(meta.getLabels() == null ? Map.of() : meta.getLabels()));
        copy.setMetadata(meta);
        DnsRecordSpec spec = record.getSpec();
        copy.setSpec(
                spec == null
                        ? null
                        : new DnsRecordSpec(spec.getName(), spec.getType(), spec.getTtl(), spec.getValues()));
        return copy;
    }

    private static UpdateStoreException failed(
            String what, String namespace, String name, KubernetesClientException e) {
        String why = e.getCode() == 0
                ? "the API server cannot be reached (" + rootMessage(e) + ")"
                : "the API server answered " + e.getCode() + " " + e.getStatus().getReason() + ": "
                        + e.getStatus().getMessage();
        return new UpdateStoreException("cannot " + what + " DnsRecord " + namespace + "/" + name + ": " + why, e);
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.toString();
    }

    // --- undo --------------------------------------------------------------------------------------------------------

    /** What undoes one write, conditioned on the version that write produced. */
    private sealed interface Undo {
        String describe();

        /** An object this store created: delete it, if still at the version created. */
        record Created(String namespace, String name, String version) implements Undo {
            public String describe() {
                return "delete " + namespace + "/" + name + "@" + version;
            }
        }

        /** An object this store changed: put its old spec back, if still at the version written. */
        record Updated(DnsRecord written, DnsRecord previous) implements Undo {
            public String describe() {
                return "restore " + written.getMetadata().getNamespace() + "/"
                        + written.getMetadata().getName() + "@"
                        + written.getMetadata().getResourceVersion();
            }
        }

        /** An object this store deleted: create it again, unless another writer did meanwhile. */
        record Deleted(DnsRecord previous) implements Undo {
            public String describe() {
                return "recreate " + previous.getMetadata().getNamespace() + "/"
                        + previous.getMetadata().getName();
            }
        }
    }

    private static List<Undo> reversed(List<Undo> done) {
        List<Undo> out = new ArrayList<>(done);
        java.util.Collections.reverse(out);
        return out;
    }

    private enum Undone {
        /** Written. */
        DONE,
        /** Another writer changed the object since: its write stands, the undo's precondition failed. */
        SUPERSEDED,
        /** The API server could not be reached, or failed. */
        FAILED
    }

    /**
     * Undoes {@code done} (the first writes of {@code changes}) in reverse order; what cannot reach the API is kept for
     * retrying. Then waits (bounded) until the served zone shows the undone RRsets as they were: after a conflict the
     * update is evaluated again at once, and must not find its own undone write still served (it would take the value
     * for present and leave it out).
     */
    private void undo(List<Undo> done, List<RRsetChange> changes) {
        Map<RRsetChange, Set<org.xbill.DNS.Record>> restored = new HashMap<>();
        for (int i = done.size() - 1; i >= 0; i--) {
            Undone result = tryUndo(done.get(i));
            if (result == Undone.FAILED) {
                keep(reversed(done.subList(0, i + 1)));
                break;
            }
            if (result == Undone.DONE) {
                RRsetChange c = changes.get(i);
                long ttl = c.before().isEmpty() ? 0 : c.before().get(0).getTTL();
                restored.put(
                        new RRsetChange(c.name(), c.type(), ttl, List.of(), c.before()), new HashSet<>(c.before()));
            }
        }
        if (!restored.isEmpty()) {
            try {
                await(restored, options.settleTimeout());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Writes one undo. */
    private Undone tryUndo(Undo undo) {
        try {
            switch (undo) {
                case Undo.Created c ->
                    api.resources(DnsRecord.class)
                            .inNamespace(c.namespace())
                            .withName(c.name())
                            .lockResourceVersion(c.version())
                            .delete();
                case Undo.Updated u -> {
                    DnsRecord back = copy(u.written());
                    back.getMetadata().setLabels(u.previous().getMetadata().getLabels());
                    back.getMetadata().setAnnotations(u.previous().getMetadata().getAnnotations());
                    back.setSpec(copy(u.previous()).getSpec());
                    api.resources(DnsRecord.class)
                            .inNamespace(back.getMetadata().getNamespace())
                            .resource(back)
                            .lockResourceVersion(u.written().getMetadata().getResourceVersion())
                            .update();
                }
                case Undo.Deleted d -> {
                    DnsRecord again = new DnsRecord();
                    ObjectMeta was = d.previous().getMetadata();
                    again.setMetadata(new ObjectMetaBuilder()
                            .withNamespace(was.getNamespace())
                            .withName(was.getName())
                            .withLabels(was.getLabels())
                            .withAnnotations(was.getAnnotations())
                            .build());
                    again.setSpec(copy(d.previous()).getSpec());
                    api.resources(DnsRecord.class)
                            .inNamespace(was.getNamespace())
                            .resource(again)
                            .create();
                }
            }
            LOG.infof("undid a partly written update: %s", undo.describe());
            return Undone.DONE;
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT || e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                LOG.infof("not undoing %s: another writer changed it since (%d)", undo.describe(), e.getCode());
                return Undone.SUPERSEDED;
            }
            LOG.debugf(e, "undo %s failed", undo.describe());
            return Undone.FAILED;
        }
    }

    private void keep(List<Undo> undos) {
        synchronized (pendingUndos) {
            for (Undo undo : undos) {
                if (pendingUndos.size() >= options.maxPendingUndos()) {
                    LOG.errorf(
                            "too many undos waiting for the API server (%d): dropping %s, which leaves an update"
                                    + " partly written",
                            pendingUndos.size(), undo.describe());
                    continue;
                }
                pendingUndos.addLast(undo);
            }
            LOG.warnf("%d undo(s) of a partly written update wait for the API server", pendingUndos.size());
            pendingUndos.notifyAll();
        }
    }

    /**
     * Writes the waiting undos first, so nothing builds on a half-written update.
     *
     * @throws UpdateStoreException when some are still waiting (the API server cannot be reached)
     */
    private void drainUndos() throws UpdateStoreException {
        synchronized (pendingUndos) {
            while (!pendingUndos.isEmpty()) {
                if (tryUndo(pendingUndos.peekFirst()) == Undone.FAILED) {
                    throw new UpdateStoreException(
                            "an earlier update is partly written and cannot be undone yet: the API server cannot be"
                                    + " reached",
                            null);
                }
                pendingUndos.removeFirst();
            }
        }
    }

    private void retryUndos() {
        while (!closed) {
            try {
                synchronized (pendingUndos) {
                    while (pendingUndos.isEmpty() && !closed) {
                        pendingUndos.wait();
                    }
                }
                Thread.sleep(options.undoRetry().toMillis());
                try {
                    drainUndos();
                } catch (UpdateStoreException e) {
                    // still unreachable: next round
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    // --- served ------------------------------------------------------------------------------------------------------

    /** The most specific served zone holding {@code name}, or null. */
    private Name servedOrigin(Name name) {
        for (Name origin : publisher.origins()) {
            if (name.subdomain(origin)) {
                return origin;
            }
        }
        return null;
    }

    /** Waits until the served zones show each of {@code changes}; false on timeout. */
    private boolean awaitServed(List<RRsetChange> changes, Duration timeout) throws InterruptedException {
        Map<RRsetChange, Set<org.xbill.DNS.Record>> want = new HashMap<>();
        for (RRsetChange c : changes) {
            want.put(c, new HashSet<>(c.after()));
        }
        return await(want, timeout);
    }

    /**
     * After a conflict: waits (bounded) until the served zone shows what the other writer wrote ({@code spec}, or
     * nothing), so the update's next evaluation starts from it.
     */
    private void settle(RRsetChange change, DnsRecordSpec spec) {
        Set<org.xbill.DNS.Record> records =
                spec == null ? Set.of() : UpdateObjects.recordsOf(spec).orElse(null);
        if (records == null) {
            return;
        }
        RRsetChange target = new RRsetChange(
                change.name(), change.type(), spec == null ? 0 : spec.getTtl(), List.of(), List.copyOf(records));
        try {
            await(Map.of(target, records), options.settleTimeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean await(Map<RRsetChange, Set<org.xbill.DNS.Record>> want, Duration timeout)
            throws InterruptedException {
        Waiter waiter = new Waiter(want);
        waiters.add(waiter);
        try {
            for (JournaledZone zone : zones.all()) {
                waiter.check(zone.zone());
            }
            return waiter.done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            waiters.remove(waiter);
        }
    }

    private void zoneChanged(JournaledZone zone) {
        for (Waiter waiter : waiters) {
            waiter.check(zone.zone());
        }
    }

    /** RRsets a commit waits to see served, crossed off as zone versions show them. */
    private final class Waiter {
        private final Map<RRsetChange, Set<org.xbill.DNS.Record>> pending;
        final CountDownLatch done = new CountDownLatch(1);

        Waiter(Map<RRsetChange, Set<org.xbill.DNS.Record>> want) {
            this.pending = new HashMap<>(want);
        }

        synchronized void check(Zone zone) {
            pending.entrySet()
                    .removeIf(e -> zone.origin().equals(servedOrigin(e.getKey().name()))
                            && shows(zone, e.getKey(), e.getValue()));
            if (pending.isEmpty()) {
                done.countDown();
            }
        }
    }

    private static boolean shows(Zone zone, RRsetChange change, Set<org.xbill.DNS.Record> want) {
        Set<org.xbill.DNS.Record> served = zone.rrset(change.name(), change.type());
        if (served.size() != want.size() || !want.containsAll(served)) {
            return false;
        }
        for (org.xbill.DNS.Record r : served) {
            if (r.getTTL() != change.ttl()) {
                return false;
            }
        }
        return true;
    }

    private static Optional<Refusal> refuse(UpdateResult reason, String detail) {
        return Optional.of(new Refusal(reason, detail));
    }
}
