package dev.zonekeeper.dns.zone;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the zones currently served. Readers call {@link #current()} (a volatile read, never a lock) and work on that
 * immutable snapshot for the whole query. Writers ({@link #replace}, {@link #update}) are serialized; each change
 * bumps {@link #version()} and then tells the listeners, in the order of the changes, on the writer's thread.
 */
public final class ZoneStore {
    private static final Logger LOG = LoggerFactory.getLogger(ZoneStore.class);

    private final Object writeLock = new Object();
    private final List<Consumer<ZoneSet>> listeners = new CopyOnWriteArrayList<>();
    private volatile ZoneSet current;
    private volatile long version;

    public ZoneStore() {
        this(ZoneSet.empty());
    }

    public ZoneStore(ZoneSet initial) {
        this.current = Objects.requireNonNull(initial, "initial");
    }

    /** The zones served now. */
    public ZoneSet current() {
        return current;
    }

    /** Starts at 0 and grows by one with every change. */
    public long version() {
        return version;
    }

    /** Serves {@code zones} from now on. Replacing the set by the very same instance is not a change. */
    public void replace(ZoneSet zones) {
        Objects.requireNonNull(zones, "zones");
        update(old -> zones);
    }

    /**
     * Replaces the zones by {@code change} applied to the current ones, atomically with respect to other writers. If
     * {@code change} returns the same instance, nothing changes; if it throws, the zones stay as they were.
     */
    public void update(UnaryOperator<ZoneSet> change) {
        synchronized (writeLock) {
            ZoneSet old = current;
            ZoneSet next = Objects.requireNonNull(change.apply(old), "update returned null");
            if (next == old) {
                return;
            }
            current = next;
            version = version + 1;
            for (Consumer<ZoneSet> listener : listeners) {
                try {
                    listener.accept(next);
                } catch (RuntimeException e) {
                    LOG.warn("zone store listener {} failed", listener, e);
                }
            }
        }
    }

    /** Calls {@code listener} with the new zones after every change (not with the current ones). */
    public void addListener(Consumer<ZoneSet> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(Consumer<ZoneSet> listener) {
        listeners.remove(listener);
    }
}
