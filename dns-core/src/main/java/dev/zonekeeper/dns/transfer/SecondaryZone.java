package dev.zonekeeper.dns.transfer;

import dev.zonekeeper.dns.zone.Zone;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.ZoneTransferException;

/**
 * One zone kept as a secondary of a primary: the first version by AXFR, then changes by IXFR (RFC 1995) from the
 * serial it holds, with the primary's choice of a full zone in IXFR form or a fallback to AXFR when IXFR is refused.
 * Transfers are TSIG-signed and verified message by message ({@link TransferClient}, which keeps one TCP connection
 * to the primary open for all of this zone's transfers); a version is published only when the transfer is complete
 * and the deltas chain from the held serial to the announced one.
 *
 * <p>A refresh runs at start, on {@link #refreshSoon()} (a NOTIFY) and every SOA refresh interval (bounded by the
 * settings). While the primary is away, the zone keeps its last version and retries with a doubling delay, capped.
 * The SOA expire timer is deliberately not enforced: a sidecar keeps answering from its last zone.
 */
public final class SecondaryZone implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(SecondaryZone.class);

    /**
     * @param timeout    the longest one transfer may take
     * @param retryMin   the delay after the first failure, doubled after each further one
     * @param retryMax   the longest delay between retries
     * @param refreshMin lower bound of the polling interval (the SOA refresh value)
     * @param refreshMax upper bound of the polling interval
     */
    public record Settings(
            Duration timeout,
            Duration retryMin,
            Duration retryMax,
            Duration refreshMin,
            Duration refreshMax,
            long maxBytes) {

        public static final Settings DEFAULT = new Settings(
                Duration.ofSeconds(30),
                Duration.ofSeconds(1),
                Duration.ofSeconds(60),
                Duration.ofSeconds(10),
                Duration.ofHours(1));

        public Settings(
                Duration timeout, Duration retryMin, Duration retryMax, Duration refreshMin, Duration refreshMax) {
            // a transfer may bring as much as a snapshot file may hold
            this(timeout, retryMin, retryMax, refreshMin, refreshMax, ZoneSnapshots.DEFAULT_MAX_BYTES);
        }

        /** These settings with transfers bounded to {@code bytes}. */
        public Settings withMaxBytes(long bytes) {
            return new Settings(timeout, retryMin, retryMax, refreshMin, refreshMax, bytes);
        }

        public Settings {
            if (maxBytes <= 0) {
                throw new IllegalArgumentException("secondary settings: maxBytes must be positive");
            }
            for (Duration d : new Duration[] {timeout, retryMin, retryMax, refreshMin, refreshMax}) {
                if (d == null || d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("secondary settings must be positive durations");
                }
            }
            if (retryMax.compareTo(retryMin) < 0 || refreshMax.compareTo(refreshMin) < 0) {
                throw new IllegalArgumentException("secondary settings: a maximum is below its minimum");
            }
        }
    }

    /**
     * How long after start a primary that refuses connections or does not have the zone yet (NOTAUTH) is the normal
     * start of a pod (the operator starts, syncs, then publishes), logged at DEBUG; after it, or once the zone has
     * been transferred, every failure is a WARN.
     */
    static final Duration START_GRACE = Duration.ofMinutes(2);

    private final Name origin;
    private final InetSocketAddress primary;
    private final TSIG key;
    private final Consumer<Zone> publish;
    private final Runnable unpublish;
    private final ZoneSnapshots snapshots;
    private final Duration snapshotMaxAge;
    private final long startNanos = System.nanoTime();
    private final TransferListener listener;
    private final Settings settings;
    private final ScheduledExecutorService executor;
    /** The kept connection to the primary; used only on the executor's thread. */
    private final TransferClient client;

    private final Object scheduleLock = new Object();
    private ScheduledFuture<?> next;
    private volatile boolean pending;
    private volatile boolean closed;
    private volatile Zone current;
    /** When the primary last confirmed the zone served, while it is served from a snapshot; null otherwise. */
    private volatile java.time.Instant snapshotConfirmed;

    private volatile boolean transferred;
    private boolean waitingLogged;
    private int failures;

    /**
     * @param publish called with every new complete version (on the transfer thread) before it becomes
     *                {@link #zone()}; if it throws, the version is dropped and the refresh counts as failed
     */
    public SecondaryZone(
            Name origin,
            InetSocketAddress primary,
            TSIG key,
            Consumer<Zone> publish,
            TransferListener listener,
            Settings settings) {
        this(origin, primary, key, publish, () -> {}, listener, settings, null, Duration.ZERO);
    }

    /**
     * @param unpublish  called (on the transfer thread) when a zone served from a snapshot passes
     *                   {@code snapshotMaxAge} with the primary still away: it must stop being served
     * @param snapshots  where the zone is saved after every transfer and loaded from by {@link #loadSnapshot}; null:
     *                   no snapshots
     */
    public SecondaryZone(
            Name origin,
            InetSocketAddress primary,
            TSIG key,
            Consumer<Zone> publish,
            Runnable unpublish,
            TransferListener listener,
            Settings settings,
            ZoneSnapshots snapshots,
            Duration snapshotMaxAge) {
        this.unpublish = Objects.requireNonNull(unpublish, "unpublish");
        this.snapshots = snapshots;
        this.snapshotMaxAge = Objects.requireNonNull(snapshotMaxAge, "snapshotMaxAge");
        this.origin = Objects.requireNonNull(origin, "origin");
        this.primary = Objects.requireNonNull(primary, "primary");
        this.key = key;
        this.publish = Objects.requireNonNull(publish, "publish");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.client = new TransferClient(primary, key, settings.maxBytes());
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "secondary-" + origin);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts transferring (the first AXFR at once, or an IXFR from the snapshot's serial). */
    public void start() {
        refreshSoon();
    }

    /**
     * Before {@link #start}: serves the zone's valid snapshot, if any, at once (the transfers then catch up by IXFR
     * from its serial). Returns whether one was loaded.
     */
    public boolean loadSnapshot() {
        if (snapshots == null || current != null) {
            return false;
        }
        ZoneSnapshots.Loaded loaded = snapshots.load(origin);
        if (loaded == null) {
            return false;
        }
        Zone zone = loaded.zone();
        try {
            publish.accept(zone);
        } catch (RuntimeException e) {
            LOG.warn("serving the snapshot of {} failed", origin, e);
            return false;
        }
        snapshotConfirmed = loaded.confirmed();
        current = zone;
        LOG.info(
                "{} serial {} served from its snapshot ({} records, last confirmed by the primary {} s ago) until "
                        + "the primary answers",
                origin,
                zone.serial(),
                zone.recordCount(),
                snapshotAgeSeconds());
        listener.onUpToDate(origin, zone.serial());
        return true;
    }

    /** Whether the zone served now came from a snapshot and the primary has not confirmed it since the start. */
    public boolean fromSnapshot() {
        return snapshotConfirmed != null;
    }

    /** Seconds since the primary last confirmed the zone served from a snapshot; 0 when it comes from the primary. */
    public long snapshotAgeSeconds() {
        java.time.Instant c = snapshotConfirmed;
        return c == null
                ? 0
                : Math.max(0, Duration.between(c, java.time.Instant.now()).toSeconds());
    }

    /** Asks for a refresh as soon as possible (on NOTIFY). */
    public void refreshSoon() {
        pending = true;
        reschedule(Duration.ZERO);
    }

    public Name origin() {
        return origin;
    }

    /** Whether a first complete version has been transferred (until then the zone should get SERVFAIL). */
    public boolean hasLoaded() {
        return current != null;
    }

    /** The version served now, or null before the first transfer. */
    public Zone zone() {
        return current;
    }

    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
        client.close();
    }

    private void reschedule(Duration delay) {
        synchronized (scheduleLock) {
            if (closed) {
                return;
            }
            if (next != null) {
                next.cancel(false);
            }
            next = executor.schedule(this::refresh, delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void refresh() {
        if (closed) {
            return;
        }
        pending = false;
        Duration delay;
        try {
            transfer();
            failures = 0;
            long refresh = current == null ? 0 : current.soa().getRefresh();
            delay = clamp(Duration.ofSeconds(refresh), settings.refreshMin(), settings.refreshMax());
        } catch (Exception e) {
            failures++;
            delay = backoff(failures);
            if (!transferred && primaryNotReadyYet(e) && System.nanoTime() - startNanos < START_GRACE.toNanos()) {
                // The pod's normal start: the operator is not listening yet, or has not published the zone.
                if (!waitingLogged) {
                    waitingLogged = true;
                    LOG.info("waiting for the primary {} to publish {} ({})", primary, origin, e.getMessage());
                }
                LOG.debug(
                        "transfer of {} from {} failed ({} in a row, next try in {}): {}",
                        origin,
                        primary,
                        failures,
                        delay,
                        e.toString());
            } else {
                LOG.warn(
                        "transfer of {} from {} failed ({} in a row, next try in {}): {}",
                        origin,
                        primary,
                        failures,
                        delay,
                        e.toString());
            }
            expireSnapshot();
            try {
                listener.onFailure(origin, e);
            } catch (RuntimeException le) {
                LOG.warn("transfer listener failed", le);
            }
        }
        synchronized (scheduleLock) {
            // pending is read under the lock: a refreshSoon() between reading it and rescheduling would otherwise
            // have its immediate refresh replaced by the next poll, up to refreshMax later
            reschedule(pending ? Duration.ZERO : delay);
        }
    }

    /** Connection refused, or NOTAUTH without a TSIG error: the primary is starting, not misconfigured. */
    private static boolean primaryNotReadyYet(Exception e) {
        return e instanceof java.net.ConnectException
                || e instanceof TransferClient.RefusedByPrimary r && r.zoneNotPublishedYet();
    }

    /** A zone served from a snapshot the primary has not confirmed for longer than the maximum age stops. */
    private void expireSnapshot() {
        java.time.Instant c = snapshotConfirmed;
        if (c == null || Duration.between(c, java.time.Instant.now()).compareTo(snapshotMaxAge) <= 0) {
            return;
        }
        LOG.warn(
                "{} served from a snapshot last confirmed {} s ago, longer than --snapshot-max-age {} s, and the "
                        + "primary {} is still away: names in it get SERVFAIL until it answers",
                origin,
                snapshotAgeSeconds(),
                snapshotMaxAge.toSeconds(),
                primary);
        try {
            unpublish.run();
        } catch (RuntimeException e) {
            LOG.warn("unpublishing {} failed", origin, e);
            return;
        }
        current = null;
        snapshotConfirmed = null;
    }

    private Duration backoff(int failures) {
        Duration d = settings.retryMin();
        for (int i = 1; i < failures && d.compareTo(settings.retryMax()) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return clamp(d, settings.retryMin(), settings.retryMax());
    }

    private static Duration clamp(Duration d, Duration min, Duration max) {
        return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
    }

    private void transfer() throws IOException, ZoneTransferException {
        Zone have = current;
        TransferClient.Response xfr;
        if (have == null) {
            xfr = client.axfr(origin, settings.timeout());
        } else {
            try {
                xfr = client.ixfr(origin, have.serial(), settings.timeout());
            } catch (TransferClient.RefusedByPrimary e) {
                if (e.zoneNotPublishedYet() || e.tsigError != org.xbill.DNS.Rcode.NOERROR) {
                    throw e; // an AXFR would be refused the same way
                }
                LOG.info("IXFR of {} from {} refused ({}); trying AXFR", origin, primary, e.getMessage());
                xfr = client.axfr(origin, settings.timeout());
            } catch (ZoneTransferException e) {
                LOG.info("IXFR of {} from {} failed ({}); trying AXFR", origin, primary, e.getMessage());
                xfr = client.axfr(origin, settings.timeout());
            }
        }
        if (xfr.isAxfr()) {
            takeAxfr(have, xfr);
        } else if (xfr.isIxfr()) {
            Zone zone = have;
            int changed = 0;
            for (TransferClient.Delta delta : xfr.deltas()) {
                if (delta.start() != zone.serial()) {
                    throw new ZoneTransferException("IXFR of " + origin + " does not chain: delta from serial "
                            + delta.start() + " but the zone is at " + zone.serial());
                }
                List<org.xbill.DNS.Record> removed = withoutSoa(delta.deletes());
                List<org.xbill.DNS.Record> added = delta.adds();
                try {
                    zone = zone.apply(removed, added);
                } catch (IllegalArgumentException e) {
                    throw new ZoneTransferException("IXFR of " + origin + " has an invalid delta: " + e.getMessage());
                }
                if (zone.serial() != delta.end()) {
                    throw new ZoneTransferException("IXFR of " + origin + " delta to serial " + delta.end()
                            + " left the zone at " + zone.serial());
                }
                changed += removed.size() + added.size() - 1;
            }
            swapIn(zone);
            LOG.debug(
                    "{} serial {} loaded by IXFR from {} ({} records changed)",
                    origin,
                    zone.serial(),
                    primary,
                    changed);
            listener.onTransfer(origin, TransferListener.Kind.IXFR, zone.serial(), changed);
        } else if (have != null && xfr.serial() != have.serial()) {
            // "Nothing newer" from a primary whose serial is not ours: it is behind us (restarted, its serials start
            // lower than those of the snapshot or version we hold), and its zone is the truth: take it whole.
            LOG.info(
                    "{}: the primary {} has serial {}, behind ours ({}); transferring its zone by AXFR",
                    origin,
                    primary,
                    xfr.serial(),
                    have.serial());
            TransferClient.Response full = client.axfr(origin, settings.timeout());
            if (!full.isAxfr()) {
                throw new ZoneTransferException("AXFR of " + origin + " returned no zone");
            }
            takeAxfr(have, full);
        } else {
            if (have != null) {
                confirmed();
            }
            listener.onUpToDate(origin, have == null ? -1 : have.serial());
        }
    }

    private void takeAxfr(Zone have, TransferClient.Response xfr) throws ZoneTransferException {
        Zone zone = fromAxfr(xfr.axfr());
        if (have != null && zone.serial() == have.serial() && zone.records().equals(have.records())) {
            confirmed();
            listener.onUpToDate(origin, zone.serial());
            return;
        }
        swapIn(zone);
        LOG.info(
                "{} serial {} loaded by AXFR from {} ({} records)", origin, zone.serial(), primary, zone.recordCount());
        listener.onTransfer(origin, TransferListener.Kind.AXFR, zone.serial(), zone.recordCount());
    }

    /** The primary said the zone served is current. */
    private void confirmed() {
        transferred = true;
        if (snapshotConfirmed != null) {
            LOG.info(
                    "{} serial {} from the snapshot confirmed current by the primary {}",
                    origin,
                    current == null ? -1 : current.serial(),
                    primary);
        }
        snapshotConfirmed = null;
        if (snapshots != null) {
            snapshots.confirm(origin);
        }
    }

    private void swapIn(Zone zone) {
        publish.accept(zone);
        current = zone;
        transferred = true;
        snapshotConfirmed = null;
        if (snapshots != null) {
            snapshots.save(zone);
        }
    }

    /** The zone from an AXFR's records (its SOA first; the closing SOA is not included). */
    private Zone fromAxfr(List<org.xbill.DNS.Record> records) throws ZoneTransferException {
        if (records.isEmpty() || records.get(0).getType() != Type.SOA) {
            throw new ZoneTransferException("AXFR of " + origin + " does not start with an SOA record");
        }
        for (org.xbill.DNS.Record r : records) {
            if (!r.getName().subdomain(origin)) {
                throw new ZoneTransferException("AXFR of " + origin + " holds a record outside the zone: " + r);
            }
        }
        try {
            return Zone.of(origin, records);
        } catch (IllegalArgumentException e) {
            throw new ZoneTransferException("AXFR of " + origin + " is not a valid zone: " + e.getMessage());
        }
    }

    private static List<org.xbill.DNS.Record> withoutSoa(List<org.xbill.DNS.Record> records) {
        List<org.xbill.DNS.Record> out = new ArrayList<>(records.size());
        for (org.xbill.DNS.Record r : records) {
            if (r.getType() != Type.SOA) {
                out.add(r);
            }
        }
        return out;
    }
}
