package dev.zonekeeper.operator.updatepolicy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.update.UpdateOutcome;
import dev.zonekeeper.dns.update.UpdateResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

/** Updates are counted by result and zone, the zone label bounded by the served zones. */
class UpdateMetricsTest {

    private static final Name ZONE = Name.fromConstantString("example.test.");

    @Test
    void countsByResultAndZoneAndTimesAppliedUpdates() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        UpdateMetrics metrics = new UpdateMetrics(registry, List.of(ZONE));

        metrics.record(new UpdateOutcome(ZONE, null, UpdateResult.APPLIED, "ok", 1, 2_000_000));
        metrics.record(new UpdateOutcome(ZONE, null, UpdateResult.APPLIED, "ok", 1, 4_000_000));
        metrics.record(new UpdateOutcome(ZONE, null, UpdateResult.OUTSIDE_GRANT, "no", 0, 1_000));
        metrics.record(new UpdateOutcome(null, null, UpdateResult.BAD_SIGNATURE, "no", 0, 1_000));
        for (int i = 0; i < 50; i++) { // a client naming zones at will adds no series
            metrics.record(new UpdateOutcome(
                    Name.fromConstantString("z" + i + ".test."), null, UpdateResult.ZONE_NOT_ALLOWED, "no", 0, 1));
        }

        assertThat(registry.get(UpdateMetrics.UPDATES)
                        .tag("result", "applied")
                        .tag("zone", "example.test")
                        .counter()
                        .count())
                .isEqualTo(2);
        assertThat(registry.get(UpdateMetrics.UPDATES)
                        .tag("result", "outside_grant")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get(UpdateMetrics.UPDATES)
                        .tag("result", "bad_signature")
                        .tag("zone", "other")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get(UpdateMetrics.UPDATES)
                        .tag("result", "zone_not_allowed")
                        .counters())
                .hasSize(1)
                .allSatisfy(c -> assertThat(c.count()).isEqualTo(50));
        assertThat(registry.get(UpdateMetrics.DURATION)
                        .tag("zone", "example.test")
                        .timer()
                        .count())
                .as("only applied updates are timed")
                .isEqualTo(2);
        assertThat(registry.find(UpdateMetrics.DURATION).timers()).hasSize(1);
    }

    @Test
    void droppedUdpUpdatesAreCounted() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong(3);
        new UpdateMetrics(registry, List.of(ZONE)).dropped(dropped::get);
        dropped.addAndGet(4);
        assertThat(registry.get(UpdateMetrics.DROPPED).functionCounter().count())
                .isEqualTo(7);
    }
}
