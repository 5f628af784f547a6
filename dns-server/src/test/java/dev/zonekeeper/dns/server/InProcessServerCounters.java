package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.metrics.DnsMetrics;

/** Totals of the server's counters read back by the fuzz tests. */
final class InProcessServerCounters {
    private InProcessServerCounters() {}

    /** Every {@code zonekeeper.dns.dropped} counter added up. */
    static double dropped(DnsMetrics metrics) {
        double total = 0;
        for (double c : metrics.counts("zonekeeper.dns.dropped").values()) {
            total += c;
        }
        return total;
    }
}
