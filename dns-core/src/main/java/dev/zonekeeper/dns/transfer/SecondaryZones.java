package dev.zonekeeper.dns.transfer;

import dev.zonekeeper.dns.zone.ZoneStore;
import java.io.Closeable;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;

/**
 * The sidecar's secondary: one {@link SecondaryZone} per zone, all from one primary, publishing every new version
 * into a {@link ZoneStore}. Feed it NOTIFYs with {@link #onNotify} (it is a {@link NotifyListener.Handler}).
 */
public final class SecondaryZones implements Closeable, NotifyListener.Handler {
    private final Map<Name, SecondaryZone> zones = new LinkedHashMap<>();
    private final ZoneSnapshots snapshots;

    public SecondaryZones(
            InetSocketAddress primary,
            TSIG key,
            Collection<Name> origins,
            ZoneStore store,
            TransferListener listener,
            SecondaryZone.Settings settings) {
        this(primary, key, origins, store, listener, settings, null, Duration.ZERO);
    }

    /**
     * @param snapshots      where each zone is saved after every transfer and loaded from by {@link #loadSnapshots};
     *                       null: no snapshots
     * @param snapshotMaxAge how long a zone loaded from a snapshot is served without the primary confirming it
     */
    public SecondaryZones(
            InetSocketAddress primary,
            TSIG key,
            Collection<Name> origins,
            ZoneStore store,
            TransferListener listener,
            SecondaryZone.Settings settings,
            ZoneSnapshots snapshots,
            Duration snapshotMaxAge) {
        Objects.requireNonNull(store, "store");
        this.snapshots = snapshots;
        for (Name origin : origins) {
            if (!origin.isAbsolute()) {
                throw new IllegalArgumentException("zone name must be absolute: " + origin);
            }
            zones.put(
                    origin,
                    new SecondaryZone(
                            origin,
                            primary,
                            key,
                            zone -> store.update(set -> set.with(zone)),
                            () -> store.update(set -> set.without(origin)),
                            listener,
                            settings,
                            snapshots,
                            snapshotMaxAge));
        }
    }

    /** Before {@link #start}: serves every zone's valid snapshot at once; returns how many were loaded. */
    public int loadSnapshots() {
        int n = 0;
        for (SecondaryZone z : zones.values()) {
            if (z.loadSnapshot()) {
                n++;
            }
        }
        return n;
    }

    /** Starts the first transfer of every zone. */
    public void start() {
        zones.values().forEach(SecondaryZone::start);
    }

    /** Whether {@code origin} is kept here and has its first complete version. */
    public boolean hasLoaded(Name origin) {
        SecondaryZone z = zones.get(origin);
        return z != null && z.hasLoaded();
    }

    /** Whether every zone has its first complete version (for readiness). */
    public boolean allLoaded() {
        return zones.values().stream().allMatch(SecondaryZone::hasLoaded);
    }

    /** The zone kept for {@code origin}, or null. */
    public SecondaryZone get(Name origin) {
        return zones.get(origin);
    }

    public Collection<SecondaryZone> all() {
        return zones.values();
    }

    @Override
    public boolean onNotify(Name zone, long serial) {
        SecondaryZone z = zones.get(zone);
        if (z == null) {
            return false;
        }
        z.refreshSoon();
        return true;
    }

    @Override
    public void close() {
        zones.values().forEach(SecondaryZone::close);
        if (snapshots != null) {
            snapshots.close(); // the last versions transferred are written before the process ends
        }
    }
}
