package dev.zonekeeper.operator.config;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Who writes DnsRecord status and Events: the holder of a Lease. Every replica serves its zones whether it holds the
 * Lease or not (each builds them from its own informers); only writes to the API need a single writer.
 *
 * <p>Losing the Lease never ends the process. An API server outage longer than the renew deadline takes the Lease
 * from every replica (none can renew it); exiting then, as JOSDK's leader election does, restarts the pod into a
 * process that cannot start while the API server is away, and takes its warm caches with it. Instead the replica stops
 * writing at once ({@link #isLeader()} turns false when the elector gives up renewing, {@code renewDeadline} after
 * the last renewal, which is before anyone else may take the Lease, {@code leaseDuration} after it) and competes
 * again, for as long as it runs: Fabric8's elector is single-use, so a new one is started whenever one ends. When it
 * holds the Lease again, the gain listeners run (the reconciler then re-reconciles every DnsRecord, since another
 * replica may have written in between).
 *
 * <p>With leader election off ({@link #always()}, one replica) this replica always writes.
 */
public final class Leadership implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Leadership.class);

    /** Client-go's and JOSDK's defaults. */
    public static final Duration LEASE_DURATION = Duration.ofSeconds(15);

    public static final Duration RENEW_DEADLINE = Duration.ofSeconds(10);
    public static final Duration RETRY_PERIOD = Duration.ofSeconds(2);

    /** Requests of the elector give up this soon, so a renewal that cannot reach the API server fails in time. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(4);

    private final KubernetesClient client;
    private final String leaseNamespace;
    private final String leaseName;
    private final String identity;
    private final List<Runnable> gainListeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService scheduler;
    private volatile boolean leader;
    private volatile boolean closed;
    /** {@link System#nanoTime()} when the last successful write of the Lease as its holder was sent. */
    private volatile long renewedNanos;

    private volatile boolean fenced;
    private boolean started;
    /** Whether the last Lease request failed: logged once per outage, not at every retry (Fabric8's own log is off). */
    private volatile boolean failing;

    private LeaderElector elector;
    private CompletableFuture<?> running;

    /** Leader election on the Lease {@code leaseNamespace/leaseName} as {@code identity}; call {@link #start()}. */
    public Leadership(KubernetesClient client, String leaseNamespace, String leaseName, String identity) {
        Objects.requireNonNull(client, "client");
        // an elector of its own: the shared client retries a refused connection for up to 100 s (10 attempts, doubling
        // from 100 ms), during which the elector could not notice that its renew deadline has passed
        this.client = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(client.getConfiguration())
                        .withRequestRetryBackoffLimit(0)
                        .withRequestTimeout((int) REQUEST_TIMEOUT.toMillis())
                        .withConnectionTimeout((int) REQUEST_TIMEOUT.toMillis())
                        .build())
                .build();
        this.leaseNamespace = Objects.requireNonNull(leaseNamespace, "leaseNamespace");
        this.leaseName = Objects.requireNonNull(leaseName, "leaseName");
        this.identity = Objects.requireNonNull(identity, "identity");
        // never renewed (nanoTime's origin is arbitrary: 0 is not "long ago")
        this.renewedNanos = System.nanoTime() - RENEW_DEADLINE.toNanos() - 1;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "leader-election");
            t.setDaemon(true);
            return t;
        });
    }

    private Leadership() {
        this.client = null;
        this.leaseNamespace = null;
        this.leaseName = null;
        this.identity = "(leader election off)";
        this.scheduler = null;
        this.leader = true;
    }

    /** No leader election: this replica always writes (one replica only). */
    public static Leadership always() {
        return new Leadership();
    }

    public String identity() {
        return identity;
    }

    /**
     * Whether this replica holds the Lease now, so may write status and Events: it acquired it and renewed it less than
     * {@code renewDeadline} ago (counted from when the renewal was sent). The second part fences writes at once when
     * renewals stall, whatever the elector's loop is waiting for; nobody else may take the Lease before
     * {@code leaseDuration} has passed.
     */
    public boolean isLeader() {
        if (!leader) {
            return false;
        }
        if (scheduler == null) {
            return true;
        }
        if (System.nanoTime() - renewedNanos < RENEW_DEADLINE.toNanos()) {
            return true;
        }
        fenced = true;
        return false;
    }

    /** Runs {@code listener} (on the elector's thread) every time this replica comes to hold the Lease. */
    public void addGainListener(Runnable listener) {
        gainListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Starts competing for the Lease, in the background: never waits for the API server. */
    public synchronized void start() {
        if (scheduler == null || closed || started) {
            return;
        }
        started = true;
        LOG.infof("%s competing for the Lease %s/%s", identity, leaseNamespace, leaseName);
        scheduler.execute(this::compete);
    }

    private synchronized void compete() {
        if (closed) {
            return;
        }
        LeaderElector next = client.leaderElector()
                .withConfig(new LeaderElectionConfig(
                        new RenewalClock(leaseNamespace, leaseName, identity),
                        LEASE_DURATION,
                        RENEW_DEADLINE,
                        RETRY_PERIOD,
                        new LeaderCallbacks(this::gained, this::lost, holder -> {}),
                        // released in close() only: releasing when a renewal failed cannot work while the API server is
                        // away
                        false,
                        leaseName))
                .build();
        elector = next;
        running = next.start();
        running.whenComplete((ok, error) -> {
            leader = false;
            if (closed) {
                return;
            }
            if (error != null && !(error instanceof java.util.concurrent.CancellationException)) {
                LOG.warnf("%s leader election ended (%s): competing again", identity, error.toString());
            }
            try {
                scheduler.schedule(this::compete, RETRY_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed meanwhile
            }
        });
    }

    private void gained() {
        if (closed) {
            return;
        }
        leader = true;
        if (System.nanoTime() - renewedNanos < RENEW_DEADLINE.toNanos()) {
            fenced = false;
            announce();
        } else {
            // the elector saw itself as holder in the Lease it read and is about to renew it: announced once written
            fenced = true;
        }
    }

    /** Now writing: every DnsRecord gets another look (the listeners), since writes were skipped or made elsewhere. */
    private void announce() {
        LOG.infof("%s holds the Lease %s/%s: writing DnsRecord status and Events", identity, leaseNamespace, leaseName);
        for (Runnable listener : gainListeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                LOG.warnf(e, "leadership listener failed");
            }
        }
    }

    private void lost() {
        boolean was = leader;
        leader = false;
        if (!was) {
            return;
        }
        if (!closed) {
            LOG.warnf(
                    "%s lost the Lease %s/%s (not renewed within %ss: the API server is unreachable or another replica "
                            + "took it): status and Events are not written until it holds the Lease again; its zones are still served",
                    identity, leaseNamespace, leaseName, RENEW_DEADLINE.toSeconds());
        }
    }

    /** The Lease, noting when each write as its holder was sent (see {@link #isLeader()}). */
    private final class RenewalClock extends LeaseLock {
        RenewalClock(String namespace, String name, String identity) {
            super(namespace, name, identity);
        }

        @Override
        public synchronized LeaderElectionRecord get(KubernetesClient client) {
            try {
                LeaderElectionRecord record = super.get(client);
                reached();
                return record;
            } catch (KubernetesClientException e) {
                throw failed(e);
            }
        }

        @Override
        public synchronized void create(KubernetesClient client, LeaderElectionRecord record) {
            long sent = System.nanoTime();
            try {
                super.create(client, record);
            } catch (KubernetesClientException e) {
                throw failed(e);
            }
            written(record, sent);
        }

        @Override
        public synchronized void update(KubernetesClient client, LeaderElectionRecord record) {
            long sent = System.nanoTime();
            try {
                super.update(client, record);
            } catch (KubernetesClientException e) {
                throw failed(e);
            }
            written(record, sent);
        }

        private KubernetesClientException failed(KubernetesClientException e) {
            if (!failing && e.getCode() != java.net.HttpURLConnection.HTTP_CONFLICT) {
                failing = true;
                LOG.warnf(
                        "%s cannot read or write the Lease %s/%s (%s): retrying every %ss",
                        identity, leaseNamespace, leaseName, e.getMessage(), RETRY_PERIOD.toSeconds());
            }
            return e;
        }

        private void reached() {
            if (failing) {
                failing = false;
                LOG.infof("%s reaches the Lease %s/%s again", identity, leaseNamespace, leaseName);
            }
        }

        private void written(LeaderElectionRecord record, long sent) {
            if (!identity.equals(record.getHolderIdentity())) {
                return;
            }
            renewedNanos = sent;
            if (fenced && leader) {
                // acquired from a Lease that still named this replica, or renewals stalled past the deadline and then
                // went
                // through before the elector gave up: writes were skipped meanwhile
                fenced = false;
                announce();
            }
        }
    }

    /** Stops competing and gives the Lease up if held, so another replica takes over at once. Idempotent. */
    @Override
    public void close() {
        LeaderElector last;
        boolean held;
        synchronized (this) {
            if (closed || scheduler == null) {
                closed = true;
                return;
            }
            closed = true;
            held = leader;
            leader = false;
            last = elector;
            if (running != null) {
                running.cancel(true);
            }
            scheduler.shutdownNow();
        }
        try {
            if (held && last != null) {
                LOG.infof("%s gives the Lease up: the operator is shutting down", identity);
                last.release();
            }
        } catch (KubernetesClientException e) {
            LOG.infof(
                    "%s could not give the Lease up (%s); it expires in %ss",
                    identity, e.getMessage(), LEASE_DURATION.toSeconds());
        } finally {
            client.close();
        }
    }
}
