package dev.zonekeeper.operator.records;

import java.util.Map;
import org.pcollections.PMap;

/**
 * The DnsRecords currently accepted for serving, keyed by {@code namespace/name}. {@link DnsRecordServing} publishes
 * and withdraws; the zone builder reads {@link #snapshot()} and listens for changes. Implementations are thread-safe.
 */
public interface RecordRegistry {

    /** Adds or replaces the records of one DnsRecord. Listeners are told only when something changed. */
    void publish(PublishedRecordSet recordSet);

    /** Removes the records of the DnsRecord {@code namespace/name}, if any. */
    void withdraw(String namespace, String name);

    /** An immutable view of everything published, with a version that grows on every change. */
    Snapshot snapshot();

    /**
     * Registers a listener called (on the publishing thread) after every change, with the {@code namespace/name} of the
     * DnsRecord whose records changed; its current records are in {@link #snapshot()} (absent when withdrawn).
     */
    void addListener(Listener listener);

    /** Told which DnsRecord changed, so that only its records need another look. */
    @FunctionalInterface
    interface Listener {
        void changed(String key);
    }

    /**
     * An immutable state of the registry.
     *
     * @param version grows by one on every change
     * @param recordSets by {@code namespace/name}
     */
    record Snapshot(long version, Map<String, PublishedRecordSet> recordSets) {
        public Snapshot {
            // a persistent map is immutable already (and shares structure with the previous version): no copy
            recordSets = recordSets instanceof PMap ? recordSets : Map.copyOf(recordSets);
        }
    }
}
