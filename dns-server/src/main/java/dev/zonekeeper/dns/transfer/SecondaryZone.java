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
    public record Settings(Duration timeout, Duration retryMin, Duration retryMax, Duration refreshMin,
                           Duration refreshMax) {
        public static final Settings DEFAULT = new Settings(Duration.ofSeconds(30), Duration.ofSeconds(1),
                Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ofHours(1));

        public Settings {
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

    private final Name origin;
    private final InetSocketAddress primary;
    private final TSIG key;
    private final Consumer<Zone> publish;
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
    private int failures;

    /**
     * @param publish called with every new complete version (on the transfer thread) before it becomes
     *                {@link #zone()}; if it throws, the version is dropped and the refresh counts as failed
     */
    public SecondaryZone(Name origin, InetSocketAddress primary, TSIG key, Consumer<Zone> publish,
                         TransferListener listener, Settings settings) {
        this.origin = Objects.requireNonNull(origin, "origin");
        this.primary = Objects.requireNonNull(primary, "primary");
        this.key = key;
        this.publish = Objects.requireNonNull(publish, "publish");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.client = new TransferClient(primary, key);
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "secondary-" + origin);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts transferring (the first AXFR at once). */
    public void start() {
        refreshSoon();
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
            LOG.warn("transfer of {} from {} failed ({} in a row, next try in {}): {}", origin, primary, failures,
                    delay, e.toString());
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
            } catch (ZoneTransferException e) {
                LOG.info("IXFR of {} from {} failed ({}); trying AXFR", origin, primary, e.getMessage());
                xfr = client.axfr(origin, settings.timeout());
            }
        }
        if (xfr.isAxfr()) {
            Zone zone = fromAxfr(xfr.axfr());
            if (have != null && zone.serial() == have.serial() && zone.records().equals(have.records())) {
                listener.onUpToDate(origin, zone.serial());
                return;
            }
            swapIn(zone);
            LOG.info("{} serial {} loaded by AXFR from {} ({} records)", origin, zone.serial(), primary,
                    zone.recordCount());
            listener.onTransfer(origin, TransferListener.Kind.AXFR, zone.serial(), zone.recordCount());
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
            LOG.debug("{} serial {} loaded by IXFR from {} ({} records changed)", origin, zone.serial(), primary,
                    changed);
            listener.onTransfer(origin, TransferListener.Kind.IXFR, zone.serial(), changed);
        } else {
            listener.onUpToDate(origin, have == null ? -1 : have.serial());
        }
    }

    private void swapIn(Zone zone) {
        publish.accept(zone);
        current = zone;
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
