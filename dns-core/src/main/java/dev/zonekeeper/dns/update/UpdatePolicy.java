package dev.zonekeeper.dns.update;

import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;

/**
 * One DnsUpdatePolicy, wherever it was declared: the key {@code keyName} (its {@code key} verifies and signs) may
 * change, in {@code zone}, what its {@code grants} allow. {@code namespace} is where records written under this
 * policy live (the policy's own namespace; empty in standalone mode); {@code name} names the policy in Events,
 * metrics and logs.
 */
public record UpdatePolicy(String namespace, String name, Name zone, Name keyName, TSIG key, List<Grant> grants) {
    public UpdatePolicy {
        grants = List.copyOf(grants);
    }

    /** True when one of the grants allows the RRset {@code type} at {@code owner}. */
    public boolean allows(Name owner, int type) {
        for (Grant g : grants) {
            if (g.allows(owner, type)) {
                return true;
            }
        }
        return false;
    }
}
