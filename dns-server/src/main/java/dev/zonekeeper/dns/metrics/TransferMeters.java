package dev.zonekeeper.dns.metrics;

import dev.zonekeeper.dns.transfer.TransferListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.xbill.DNS.Name;

/**
 * The sidecar's zone transfers as Micrometer meters, per zone:
 * <ul>
 *   <li>{@code zonekeeper_dns_transfers_total{zone,kind}}: versions received, {@code kind} AXFR or IXFR;</li>
 *   <li>{@code zonekeeper_dns_transfer_failures_total{zone}}: failed transfers or refresh checks (the last good
 *       version stays served);</li>
 *   <li>{@code zonekeeper_dns_zone_serial{zone}}: the SOA serial served, absent until the first transfer.</li>
 * </ul>
 * The counters of the zones given to the constructor exist from the start at 0, so a dashboard sees them before the
 * first event.
 */
public final class TransferMeters implements TransferListener {
    private final MeterRegistry registry;
    private final Map<String, Counter> transfers = new ConcurrentHashMap<>();
    private final Map<String, Counter> failures = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> serials = new ConcurrentHashMap<>();

    public TransferMeters(MeterRegistry registry, Collection<Name> zones) {
        this.registry = registry;
        for (Name zone : zones) {
            for (Kind kind : Kind.values()) {
                transfers(zone, kind);
            }
            failures(zone);
        }
    }

    private static String tag(Name zone) {
        return zone.toString().toLowerCase(Locale.ROOT);
    }

    private Counter transfers(Name zone, Kind kind) {
        String z = tag(zone);
        return transfers.computeIfAbsent(
                z + "|" + kind,
                k -> Counter.builder("zonekeeper.dns.transfers")
                        .description("Zone versions received from the primary, by zone and transfer kind")
                        .tag("zone", z)
                        .tag("kind", kind.name())
                        .register(registry));
    }

    private Counter failures(Name zone) {
        String z = tag(zone);
        return failures.computeIfAbsent(
                z,
                k -> Counter.builder("zonekeeper.dns.transfer.failures")
                        .description(
                                "Failed zone transfers or refresh checks, by zone; the last good version stays served")
                        .tag("zone", z)
                        .register(registry));
    }

    private void serial(Name zone, long serial) {
        if (serial < 0) {
            return;
        }
        serials.computeIfAbsent(tag(zone), z -> {
                    AtomicLong v = new AtomicLong();
                    Gauge.builder("zonekeeper.dns.zone.serial", v, AtomicLong::get)
                            .description("SOA serial of the zone version served")
                            .tag("zone", z)
                            .register(registry);
                    return v;
                })
                .set(serial);
    }

    @Override
    public void onTransfer(Name zone, Kind kind, long serial, int recordsChanged) {
        transfers(zone, kind).increment();
        serial(zone, serial);
    }

    @Override
    public void onFailure(Name zone, Exception cause) {
        failures(zone).increment();
    }

    @Override
    public void onUpToDate(Name zone, long serial) {
        serial(zone, serial);
    }
}
