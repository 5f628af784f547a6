package dev.zonekeeper.operator.records;

import java.util.Map;

/**
 * The DnsRecords currently accepted for serving, keyed by {@code namespace/name}. The DnsRecord reconciler publishes
 * and withdraws; the zone builder reads {@link #snapshot()} and listens for changes. Implementations are thread-safe.
 */
public interface RecordRegistry {

  /** Adds or replaces the records of one DnsRecord. Listeners are told only when something changed. */
  void publish(PublishedRecordSet recordSet);

  /** Removes the records of the DnsRecord {@code namespace/name}, if any. */
  void withdraw(String namespace, String name);

  /** An immutable view of everything published, with a version that grows on every change. */
  Snapshot snapshot();

  /** Registers a listener called (on the publishing thread) after every change. */
  void addListener(Runnable listener);

  /**
   * An immutable state of the registry.
   *
   * @param version grows by one on every change
   * @param recordSets by {@code namespace/name}
   */
  record Snapshot(long version, Map<String, PublishedRecordSet> recordSets) {
    public Snapshot {
      recordSets = Map.copyOf(recordSets);
    }
  }
}
