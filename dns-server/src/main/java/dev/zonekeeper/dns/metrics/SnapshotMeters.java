package dev.zonekeeper.dns.metrics;

import dev.zonekeeper.dns.transfer.SecondaryZone;
import dev.zonekeeper.dns.transfer.ZoneSnapshots;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.Name;

/**
 * The sidecar's zone snapshots ({@code --snapshot-dir}) as meters, per zone:
 * <ul>
 *   <li>{@code zonekeeper_dns_zone_from_snapshot{zone}}: 1 while the zone served comes from a snapshot the primary
 *       has not confirmed since the start, 0 otherwise;</li>
 *   <li>{@code zonekeeper_dns_zone_snapshot_age_seconds{zone}}: how long ago the primary last confirmed that
 *       snapshot (0 when the zone comes from the primary);</li>
 *   <li>{@code zonekeeper_dns_zone_snapshots_refused_total{zone,reason}}: snapshots not loaded (corrupt, truncated,
 *       foreign, too_large, expired, unreadable);</li>
 *   <li>{@code zonekeeper_dns_zone_snapshot_write_failures_total{zone}}: snapshots that could not be written.</li>
 * </ul>
 */
public final class SnapshotMeters implements ZoneSnapshots.Listener {
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public SnapshotMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    private static String tag(Name zone) {
        return zone.toString().toLowerCase(Locale.ROOT);
    }

    /** The gauges of one zone kept as a secondary. */
    public void register(SecondaryZone zone) {
        String z = tag(zone.origin());
        Gauge.builder("zonekeeper.dns.zone.from.snapshot", zone, s -> s.fromSnapshot() ? 1 : 0)
                .description("1 while the zone served comes from a snapshot not yet confirmed by the primary")
                .tag("zone", z)
                .register(registry);
        Gauge.builder("zonekeeper.dns.zone.snapshot.age", zone, SecondaryZone::snapshotAgeSeconds)
                .description("Seconds since the primary last confirmed the snapshot served (0: from the primary)")
                .baseUnit("seconds")
                .tag("zone", z)
                .register(registry);
        writeFailures(z);
        for (ZoneSnapshots.Refusal r : ZoneSnapshots.Refusal.values()) {
            refused(z, r);
        }
    }

    private Counter refused(String zone, ZoneSnapshots.Refusal reason) {
        return counters.computeIfAbsent(
                zone + "|" + reason,
                k -> Counter.builder("zonekeeper.dns.zone.snapshots.refused")
                        .description("Zone snapshots not loaded, by reason")
                        .tag("zone", zone)
                        .tag("reason", reason.label())
                        .register(registry));
    }

    private Counter writeFailures(String zone) {
        return counters.computeIfAbsent(
                zone + "|write",
                k -> Counter.builder("zonekeeper.dns.zone.snapshot.write.failures")
                        .description("Zone snapshots that could not be written")
                        .tag("zone", zone)
                        .register(registry));
    }

    @Override
    public void refused(Name zone, ZoneSnapshots.Refusal reason) {
        refused(tag(zone), reason).increment();
    }

    @Override
    public void writeFailed(Name zone) {
        writeFailures(tag(zone)).increment();
    }
}
