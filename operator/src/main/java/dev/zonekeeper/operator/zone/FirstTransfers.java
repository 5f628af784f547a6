package dev.zonekeeper.operator.zone;

import dev.zonekeeper.dns.transfer.TransferServer;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.xbill.DNS.Name;

/**
 * Runs an action once, when every one of a set of zones has been transferred to a secondary at least once. The
 * operator uses it to collect garbage once more after start-up: after the first sync every DNS server fetches each zone
 * whole (AXFR), and encoding 170,000 records leaves garbage the size of the zones, promoted into the old generation by
 * the young collections meanwhile; Serial GC gives heap back only after a full collection, so without one the heap
 * stays that much larger (about 20 MiB with 10,000 Services) until the old generation fills. Thread-safe.
 */
public final class FirstTransfers implements TransferServer.ServedListener {
    private final Set<Name> waiting;
    private final Runnable action;
    private boolean done;

    public FirstTransfers(Collection<Name> zones, Runnable action) {
        this.waiting = new HashSet<>(zones);
        this.action = action;
    }

    @Override
    public void served(Name zone, long serial) {
        synchronized (this) {
            if (done || !waiting.remove(zone) || !waiting.isEmpty()) {
                return;
            }
            done = true;
        }
        action.run();
    }

    /** Whether the action has run. */
    synchronized boolean done() {
        return done;
    }
}
