package dev.zonekeeper.dns.transfer;

import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.pcollections.HashTreePMap;
import org.pcollections.PMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;

/**
 * The zones a primary serves for transfer, each a {@link JournaledZone}. Readers ({@link #get}, used by the
 * {@link TransferServer} for every request) read one volatile snapshot and never lock; writers are serialized and,
 * after each change that bumped a serial, call the change listeners (e.g. {@link NotifySender}) on the writer's
 * thread.
 */
public final class PrimaryZones {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryZones.class);

    private final Object writeLock = new Object();
    private final List<Consumer<JournaledZone>> listeners = new CopyOnWriteArrayList<>();
    private final JournaledZone.Limits limits;
    private final Clock clock;
    private volatile PMap<Name, JournaledZone> zones = HashTreePMap.empty();

    public PrimaryZones() {
        this(JournaledZone.Limits.DEFAULT, Clock.systemUTC());
    }

    public PrimaryZones(JournaledZone.Limits limits, Clock clock) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The current version of the zone {@code origin}, or null when it is not served. */
    public JournaledZone get(Name origin) {
        return zones.get(origin);
    }

    /** The current versions of all zones. */
    public Collection<JournaledZone> all() {
        return zones.values();
    }

    /** The current zones as a {@link ZoneSet}. */
    public ZoneSet zoneSet() {
        List<Zone> list = new ArrayList<>();
        for (JournaledZone z : zones.values()) {
            list.add(z.zone());
        }
        return ZoneSet.of(list);
    }

    /**
     * Serves {@code zone}'s content. A zone not served yet starts at its own serial or at the clock (seconds since
     * 1970), whichever is ahead, so that a restarted primary is never behind its secondaries; for a served zone the
     * difference to the current content is journaled under a new serial. Returns the serial now served.
     */
    public long put(Zone zone) {
        Objects.requireNonNull(zone, "zone");
        return update(
                zone.origin(),
                current -> current == null
                        ? JournaledZone.of(atLeastClock(zone), limits)
                        : current.replaceContent(zone, clock));
    }

    private Zone atLeastClock(Zone zone) {
        long now = clock.instant().getEpochSecond() & 0xFFFFFFFFL;
        long ahead = (now - zone.serial()) & 0xFFFFFFFFL;
        if (ahead == 0 || ahead >= 0x80000000L) {
            return zone;
        }
        SOARecord s = zone.soa();
        return zone.apply(
                List.of(),
                List.of(new SOARecord(
                        s.getName(),
                        s.getDClass(),
                        s.getTTL(),
                        s.getHost(),
                        s.getAdmin(),
                        now,
                        s.getRefresh(),
                        s.getRetry(),
                        s.getExpire(),
                        s.getMinimum())));
    }

    /** Applies a change to the served zone {@code origin} (see {@link JournaledZone#applyChange}). */
    public long change(Name origin, Collection<org.xbill.DNS.Record> removed, Collection<org.xbill.DNS.Record> added) {
        return update(origin, current -> {
            if (current == null) {
                throw new IllegalArgumentException("zone " + origin + " is not served");
            }
            return current.applyChange(removed, added, clock);
        });
    }

    /** Stops serving {@code origin}. */
    public void remove(Name origin) {
        synchronized (writeLock) {
            zones = zones.minus(origin);
        }
    }

    /** Calls {@code listener} with the new version after every change of a zone. */
    public void addListener(Consumer<JournaledZone> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(Consumer<JournaledZone> listener) {
        listeners.remove(listener);
    }

    private long update(Name origin, UnaryOperator<JournaledZone> change) {
        synchronized (writeLock) {
            JournaledZone old = zones.get(origin);
            JournaledZone next = change.apply(old);
            if (next == old) {
                return old.serial();
            }
            zones = zones.plus(origin, next);
            for (Consumer<JournaledZone> listener : listeners) {
                try {
                    listener.accept(next);
                } catch (RuntimeException e) {
                    LOG.warn("listener {} failed on zone {} serial {}", listener, origin, next.serial(), e);
                }
            }
            return next.serial();
        }
    }
}
