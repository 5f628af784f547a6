package dev.zonekeeper.operator.updatepolicy;

import dev.zonekeeper.dns.update.UpdateOutcome;
import dev.zonekeeper.dns.update.UpdateResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.Name;

/**
 * The operator's update metrics: {@code zonekeeper_updates_total{result,zone}} counts every UPDATE by how it ended
 * ({@link UpdateResult#label()}: {@code applied} or the reason it was rejected), and
 * {@code zonekeeper_update_duration_seconds{zone}} is the time from receiving an applied update to answering it, which
 * the service does only once the change is served. The {@code zone} label is a served zone or {@value #OTHER_ZONE}:
 * a request names any zone it likes, and a label per name would let a client grow the metrics without bound.
 */
public final class UpdateMetrics {

    public static final String UPDATES = "zonekeeper.updates";
    public static final String DURATION = "zonekeeper.update.duration";
    public static final String DROPPED = "zonekeeper.updates.dropped";
    /** The zone label of requests for a zone not served (or none parsed). */
    public static final String OTHER_ZONE = "other";

    private final MeterRegistry registry;
    private final Set<Name> served;
    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

    public UpdateMetrics(MeterRegistry registry, Collection<Name> servedZones) {
        this.registry = registry;
        this.served = Set.copyOf(servedZones);
    }

    /** Counts one outcome (the UpdateService's listener). */
    public void record(UpdateOutcome outcome) {
        String zone = zoneLabel(outcome.zone());
        String result = outcome.result().label();
        counters.computeIfAbsent(
                        result + '|' + zone,
                        k -> Counter.builder(UPDATES)
                                .description(
                                        "UPDATE requests by result (applied, or the reason for the rejection) and zone")
                                .tag("result", result)
                                .tag("zone", zone)
                                .register(registry))
                .increment();
        if (outcome.result() == UpdateResult.APPLIED) {
            timers.computeIfAbsent(
                            zone,
                            z -> Timer.builder(DURATION)
                                    .description(
                                            "Time from receiving an UPDATE to answering it once its change is served")
                                    .tag("zone", z)
                                    .publishPercentileHistogram()
                                    .minimumExpectedValue(Duration.ofMillis(1))
                                    .maximumExpectedValue(Duration.ofSeconds(60))
                                    .register(registry))
                    .record(Math.max(0, outcome.nanos()), TimeUnit.NANOSECONDS);
        }
    }

    /**
     * {@code zonekeeper_updates_dropped_total}: UDP UPDATEs the transfer server dropped unanswered because its update
     * workers were all busy (they never reach the service, so {@link #record} does not see them).
     */
    public void dropped(java.util.function.LongSupplier count) {
        io.micrometer.core.instrument.FunctionCounter.builder(DROPPED, count, c -> c.getAsLong())
                .description("UDP UPDATE requests dropped because every update worker was busy and the queue full")
                .register(registry);
    }

    String zoneLabel(Name zone) {
        return zone != null && served.contains(zone) ? zone.toString(true) : OTHER_ZONE;
    }
}
