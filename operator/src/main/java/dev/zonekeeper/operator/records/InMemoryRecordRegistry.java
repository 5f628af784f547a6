package dev.zonekeeper.operator.records;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jboss.logging.Logger;
import org.pcollections.HashTreePMap;
import org.pcollections.PMap;

/**
 * A {@link RecordRegistry} held in memory; changes are serialised, snapshots are lock-free. The snapshots are
 * persistent maps: a change costs O(log n), not a copy of every DnsRecord.
 */
@ApplicationScoped
public class InMemoryRecordRegistry implements RecordRegistry {

    private static final Logger LOG = Logger.getLogger(InMemoryRecordRegistry.class);

    private final Object lock = new Object();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile Snapshot current = new Snapshot(0, HashTreePMap.empty());

    @Override
    public void publish(PublishedRecordSet recordSet) {
        Objects.requireNonNull(recordSet, "recordSet");
        synchronized (lock) {
            if (recordSet.equals(current.recordSets().get(recordSet.key()))) {
                return;
            }
            current = new Snapshot(current.version() + 1, map().plus(recordSet.key(), recordSet));
        }
        fireChanged(recordSet.key());
    }

    @Override
    public void withdraw(String namespace, String name) {
        String key = namespace + "/" + name;
        synchronized (lock) {
            if (!current.recordSets().containsKey(key)) {
                return;
            }
            current = new Snapshot(current.version() + 1, map().minus(key));
        }
        fireChanged(key);
    }

    @Override
    public Snapshot snapshot() {
        return current;
    }

    @Override
    public void addListener(Listener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @SuppressWarnings("unchecked")
    private PMap<String, PublishedRecordSet> map() {
        return (PMap<String, PublishedRecordSet>) current.recordSets();
    }

    private void fireChanged(String key) {
        for (Listener listener : listeners) {
            try {
                listener.changed(key);
            } catch (RuntimeException e) {
                LOG.warn("record registry listener failed", e);
            }
        }
    }
}
