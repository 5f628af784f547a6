package dev.zonekeeper.dns.update;

import dev.zonekeeper.dns.zone.Zone;
import java.util.Optional;
import org.xbill.DNS.Name;

/**
 * Where accepted updates go: the operator's DnsRecords in the Kubernetes API, or standalone mode's YAML files. The
 * {@link UpdateService} serialises the updates of one zone within this process; a store shared by several processes
 * (several operator replicas) detects races itself and throws {@link Conflict}.
 */
public interface UpdateStore {

    /** The zone as served now (prerequisites are evaluated on it), or empty when this process does not serve it. */
    Optional<Zone> current(Name zone);

    /**
     * Why the RRset {@code type} at {@code name} cannot be written under {@code policy}, or empty when it can: e.g.
     * the cluster generates it (Service and Pod records), another namespace's DnsRecord holds the name, or a
     * DnsRecord not written by an update holds it.
     */
    Optional<Refusal> ownership(UpdatePolicy policy, Name name, int type);

    /**
     * Writes all of {@code changes} or none of them, and returns once the change is served (the zone returned by
     * {@link #current} shows it).
     *
     * @throws Conflict when another writer changed one of the RRsets since {@link #current} was read; nothing of
     *     {@code changes} is left written
     * @throws UpdateStoreException when the store cannot be written (e.g. the API server is down); nothing is left
     *     written
     */
    void commit(UpdatePolicy policy, ChangeSet changes) throws Conflict, UpdateStoreException, InterruptedException;

    /** A refusal by the store, with the reason counted in metrics and said in the Event. */
    record Refusal(UpdateResult reason, String detail) {}

    /** Lost an optimistic-concurrency race; the update is evaluated again. */
    final class Conflict extends Exception {
        public Conflict(String message) {
            super(message);
        }
    }

    /** The store failed; the client gets SERVFAIL. */
    final class UpdateStoreException extends Exception {
        public UpdateStoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
