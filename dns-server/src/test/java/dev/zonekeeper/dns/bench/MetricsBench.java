package dev.zonekeeper.dns.bench;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.TransportKind;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.lang.management.ManagementFactory;

/**
 * Cost of the per-query metrics calls (query, fast path, response) on a Netty thread, as the event loop makes them.
 * Usage: taskset -c 0 e2e/bench/probe.sh metrics
 */
public class MetricsBench {
    public static void main(String[] args) throws Exception {
        DnsMetrics m = new DnsMetrics();
        Thread t = new FastThreadLocalThread(() -> {
            var mx = ManagementFactory.getThreadMXBean();
            for (int round = 0; round < 8; round++) {
                int n = 5_000_000;
                long c0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < n; i++) {
                    long start = System.nanoTime();
                    m.query(TransportKind.UDP, (i & 3) == 0 ? 28 : 1);
                    m.fastPath(true);
                    m.response(i % 5 == 0 ? 3 : 0, start);
                }
                long c1 = mx.getCurrentThreadCpuTime();
                System.out.printf(
                        "round %d: %.1f ns per query (3 calls + 2 nanoTime)%n", round, (c1 - c0) / (double) n);
            }
        });
        t.start();
        t.join();
        System.out.println(m.scrape()
                .lines()
                .filter(l -> l.contains("duration_seconds_count") || l.contains("answer_cache_total{result=\"hit\"}"))
                .toList());
    }
}
