package dev.zonekeeper.operator.informers;

import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.discovery.EndpointSliceInfo;
import dev.zonekeeper.operator.discovery.PodInfo;
import dev.zonekeeper.operator.discovery.ServiceInfo;
import dev.zonekeeper.operator.records.DnsRecordServing;
import dev.zonekeeper.operator.records.RecordClaim;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Watches Services, EndpointSlices ({@code discovery.k8s.io/v1}), Pods and (optionally) DnsRecords in all namespaces with Fabric8 shared
 * informers (list and watch only) and feeds their projections ({@link Projections}) to a {@link ClusterSink}.
 *
 * <p>The caches hold only each object's projection and version ({@link ProjectionStore}), and the initial lists are
 * read in pages of {@value #LIST_PAGE} objects, so neither the caches nor the first sync hold a cluster's Pods as
 * Fabric8 objects (an unpaged list of 150,000 Pods also outlasts the client's 10 s request timeout, and the informer
 * gives up). An update whose projection equals the previous one is dropped at once. Events are handled
 * level-triggered: a handler re-reads the object's current state from the informer's cache, so a late, stale
 * notification can never put an older version back. Once every informer has synced, the whole content of the caches
 * is delivered once more (idempotent) before {@link ClusterSink#synced()}, so the sink has the complete state even if
 * some notifications of the initial lists are still queued.
 */
public final class ClusterInformers implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ClusterInformers.class);

    /**
     * Objects per page of the informers' list requests (the API server's continue tokens): without a limit the
     * first list of 150,000 Pods is one response of hundreds of megabytes, parsed whole.
     */
    static final long LIST_PAGE = 500;

    private final ClusterSink sink;
    private final List<Feed<?, ?>> feeds = new ArrayList<>();
    private volatile boolean synced;

    /** Creates (but does not start) the three informers on {@code client}, without DnsRecords. */
    public ClusterInformers(KubernetesClient client, ClusterSink sink) {
        this(client, sink, null);
    }

    /**
     * Creates (but does not start) the informers on {@code client}; with {@code dnsRecords}, a fourth one on all
     * DnsRecords feeds it, and the first sync also waits for the DnsRecords, so the zones are never published without
     * them.
     */
    public ClusterInformers(KubernetesClient client, ClusterSink sink, DnsRecordServing dnsRecords) {
        this(client, sink, dnsRecords, true);
    }

    /**
     * As {@link #ClusterInformers(KubernetesClient, ClusterSink, DnsRecordServing)}; with {@code pods} false no Pod is
     * watched (and the sink never hears of one), as with CoreDNS's {@code pods disabled}.
     */
    public ClusterInformers(KubernetesClient client, ClusterSink sink, DnsRecordServing dnsRecords, boolean pods) {
        this.sink = Objects.requireNonNull(sink, "sink");
        feeds.add(new Feed<Service, ServiceInfo>(
                "Service",
                client.services().inAnyNamespace().withLimit(LIST_PAGE).runnableInformer(0),
                Projections::service,
                Stubs.ServiceStub::new,
                sink::upsertService,
                sink::deleteService));
        feeds.add(new Feed<EndpointSlice, EndpointSliceInfo>(
                "EndpointSlice",
                client.discovery()
                        .v1()
                        .endpointSlices()
                        .inAnyNamespace()
                        .withLimit(LIST_PAGE)
                        .runnableInformer(0),
                Projections::endpointSlice,
                Stubs.EndpointSliceStub::new,
                sink::upsertEndpointSlice,
                sink::deleteEndpointSlice));
        if (pods) {
            feeds.add(new Feed<Pod, PodInfo>(
                    "Pod",
                    client.pods().inAnyNamespace().withLimit(LIST_PAGE).runnableInformer(0),
                    Projections::pod,
                    Stubs.PodStub::new,
                    sink::upsertPod,
                    sink::deletePod));
        }
        if (dnsRecords != null) {
            feeds.add(new Feed<DnsRecord, RecordClaim>(
                    "DnsRecord",
                    client.resources(DnsRecord.class)
                            .inAnyNamespace()
                            .withLimit(LIST_PAGE)
                            .runnableInformer(0),
                    RecordClaim::of,
                    Stubs.DnsRecordStub::new,
                    (claim, receivedNanos) -> dnsRecords.upsert(claim),
                    (namespace, name, receivedNanos) -> dnsRecords.delete(namespace, name)));
        }
    }

    /**
     * Starts the informers. The returned stage completes once all have synced and {@link ClusterSink#synced()} has been
     * called. If the API server cannot be reached, the informers keep retrying and the stage stays pending.
     */
    public CompletionStage<Void> start() {
        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (Feed<?, ?> feed : feeds) {
            started.add(feed.start());
        }
        // not on the HTTP client's event loop, which completes the informers' futures: the first publication is big
        return CompletableFuture.allOf(started.toArray(new CompletableFuture<?>[0]))
                .thenRunAsync(
                        () -> {
                            for (Feed<?, ?> feed : feeds) {
                                feed.deliverAll();
                            }
                            synced = true;
                            LOG.infof("informers synced: %s", summary());
                            sink.synced();
                            // The initial lists (pages of JSON, the Fabric8 objects made of them, the first zone build)
                            // leave garbage
                            // several times the size of what is kept: collect it once, so the heap and the resident
                            // memory settle at what
                            // the caches and the zones need (the collector gives the freed heap back, see the chart's
                            // javaOpts).
                            System.gc();
                        },
                        task -> {
                            Thread t = new Thread(task, "zone-first-sync");
                            t.setDaemon(true);
                            t.start();
                        });
    }

    /** Whether every informer has synced and the sink has been told. */
    public boolean synced() {
        return synced;
    }

    /** Objects per kind in the caches, e.g. {@code Service=12, EndpointSlice=12, Pod=40}. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        for (Feed<?, ?> feed : feeds) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(feed.kind)
                    .append('=')
                    .append(feed.informer.getStore().listKeys().size());
        }
        return sb.toString();
    }

    @Override
    public void close() {
        for (Feed<?, ?> feed : feeds) {
            feed.informer.stop();
        }
    }

    @FunctionalInterface
    private interface Upsert<P> {
        void upsert(P projection, long receivedNanos);
    }

    @FunctionalInterface
    private interface Delete {
        void delete(String namespace, String name, long receivedNanos);
    }

    /** One informer and how its objects reach the sink. */
    private static final class Feed<T extends HasMetadata, P> implements ResourceEventHandler<T> {
        final String kind;
        final SharedIndexInformer<T> informer;
        final ProjectionStore<T, P> store;
        final Function<T, P> project;
        final Upsert<P> upsert;
        final Delete delete;

        Feed(
                String kind,
                SharedIndexInformer<T> informer,
                Function<T, P> project,
                Function<P, T> stub,
                Upsert<P> upsert,
                Delete delete) {
            this.kind = kind;
            this.project = project;
            this.upsert = upsert;
            this.delete = delete;
            this.store = new ProjectionStore<>(project, stub);
            this.informer = informer.removeNamespaceIndex()
                    .itemStore(store)
                    // Fabric8 gives up for good when the first list fails (a timeout on a big cluster, the API server
                    // restarting): the zones would then never be published. Keep retrying (with Fabric8's back-off)
                    // unless the
                    // objects cannot be read at all.
                    .exceptionHandler((started, error) -> {
                        boolean retry = !ExceptionHandler.isDeserializationException(error);
                        LOG.warnf(
                                "%s informer: %s failed (%s)%s",
                                kind,
                                started ? "watch" : "initial list",
                                error.toString(),
                                retry ? ", retrying" : ", giving up: the objects cannot be read");
                        return retry;
                    });
            this.informer.addEventHandler(this);
        }

        CompletableFuture<Void> start() {
            return informer.start().toCompletableFuture();
        }

        @Override
        public void onAdd(T obj) {
            refresh(obj, System.nanoTime());
        }

        @Override
        public void onUpdate(T oldObj, T newObj) {
            long now = System.nanoTime();
            if (oldObj != null && sameProjection(oldObj, newObj)) {
                return; // nothing DNS cares about changed (labels, annotations, status.loadBalancer...)
            }
            refresh(newObj, now);
        }

        @Override
        public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            refresh(obj, System.nanoTime());
        }

        /** The old object of an update is a stub of the cache, which carries its projection. */
        private boolean sameProjection(T old, T b) {
            try {
                @SuppressWarnings("unchecked")
                P before = old instanceof ProjectionStore.Stub<?> stub ? (P) stub.projection() : project.apply(old);
                return before != null && before.equals(project.apply(b));
            } catch (RuntimeException e) {
                return false;
            }
        }

        /** Delivers the object's current state from the cache (level-triggered), or its deletion. */
        private void refresh(T obj, long receivedNanos) {
            String namespace = obj.getMetadata().getNamespace();
            String name = obj.getMetadata().getName();
            ProjectionStore.Entry<P> current = store.entry(Cache.namespaceKeyFunc(namespace, name));
            try {
                if (current == null) {
                    delete.delete(namespace, name, receivedNanos);
                } else if (current.projection() == null) {
                    LOG.warnf("%s %s/%s skipped: %s", kind, namespace, name, current.error());
                } else {
                    upsert.upsert(current.projection(), receivedNanos);
                }
            } catch (RuntimeException e) {
                LOG.warnf(e, "%s %s/%s skipped: %s", kind, namespace, name, e.getMessage());
            }
        }

        /** Delivers every cached object (after the initial sync). */
        void deliverAll() {
            long now = System.nanoTime();
            store.entries().forEach(entry -> {
                if (entry.projection() == null) {
                    return; // logged when its event was handled
                }
                try {
                    upsert.upsert(entry.projection(), now);
                } catch (RuntimeException e) {
                    LOG.warnf(e, "%s skipped: %s", kind, e.getMessage());
                }
            });
        }
    }
}
