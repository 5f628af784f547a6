package dev.zonekeeper.operator.records;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jboss.logging.Logger;

/** A {@link RecordRegistry} held in memory; changes are serialised, snapshots are lock-free. */
@ApplicationScoped
public class InMemoryRecordRegistry implements RecordRegistry {

  private static final Logger LOG = Logger.getLogger(InMemoryRecordRegistry.class);

  private final Object lock = new Object();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile Snapshot current = new Snapshot(0, Map.of());

  @Override
  public void publish(PublishedRecordSet recordSet) {
    Objects.requireNonNull(recordSet, "recordSet");
    synchronized (lock) {
      if (recordSet.equals(current.recordSets().get(recordSet.key()))) {
        return;
      }
      Map<String, PublishedRecordSet> next = new HashMap<>(current.recordSets());
      next.put(recordSet.key(), recordSet);
      current = new Snapshot(current.version() + 1, next);
    }
    fireChanged();
  }

  @Override
  public void withdraw(String namespace, String name) {
    String key = namespace + "/" + name;
    synchronized (lock) {
      if (!current.recordSets().containsKey(key)) {
        return;
      }
      Map<String, PublishedRecordSet> next = new HashMap<>(current.recordSets());
      next.remove(key);
      current = new Snapshot(current.version() + 1, next);
    }
    fireChanged();
  }

  @Override
  public Snapshot snapshot() {
    return current;
  }

  @Override
  public void addListener(Runnable listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  private void fireChanged() {
    for (Runnable listener : listeners) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        LOG.warn("record registry listener failed", e);
      }
    }
  }
}
