package dev.zonekeeper.operator.zone;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.xbill.DNS.Name;
import org.xbill.DNS.Serial;

/**
 * The metric {@code zonekeeper_programming_duration_seconds{kind}}: how long a change of a Service, EndpointSlice,
 * Pod or DnsRecord took to reach the DNS server, measured from the moment the operator's informer delivered the
 * event (for DnsRecords: the moment the serving decision accepted it) to the moment the {@code TransferServer} finished
 * sending the secondary a transfer that includes the change's serial. The leg from the API server to the informer
 * (watch latency) is not included: Kubernetes timestamps have a resolution of one second, too coarse for it.
 *
 * <p>Only changes that changed a served zone are measured (an update that changes no record needs no programming),
 * and only after the first full sync. Changes whose serial is never transferred (no secondary) are kept up to
 * {@link #MAX_PENDING} per zone, the oldest dropped first. Thread-safe.
 */
public final class ProgrammingLatency {

    /** What kind of object changed. */
    public enum Kind {
        Service,
        EndpointSlice,
        Pod,
        DnsRecord
    }

    /** Pending changes kept per zone while no secondary transfers them. */
    public static final int MAX_PENDING = 10_000;

    public static final String METRIC = "zonekeeper.programming.duration";

    private record Pending(long serial, Kind kind, long receivedNanos) {}

    private final Map<Kind, Timer> timers = new EnumMap<>(Kind.class);
    private final LongSupplier nanoTime;
    private final Map<Name, ArrayDeque<Pending>> pending = new HashMap<>();

    public ProgrammingLatency(MeterRegistry registry) {
        this(registry, System::nanoTime);
    }

    public ProgrammingLatency(MeterRegistry registry, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        for (Kind kind : Kind.values()) {
            timers.put(
                    kind,
                    Timer.builder(METRIC)
                            .description(
                                    "Time from an informer event (or an accepted DnsRecord) to the DNS server having transferred "
                                            + "the zone serial that contains the change; the API server to informer leg is not included")
                            .tag("kind", kind.name())
                            .publishPercentileHistogram()
                            .minimumExpectedValue(Duration.ofMillis(1))
                            .maximumExpectedValue(Duration.ofSeconds(60))
                            .register(registry));
        }
    }

    /** A change that arrived at {@code receivedNanos} is in {@code zone} from {@code serial} on. */
    public synchronized void changed(Name zone, long serial, Kind kind, long receivedNanos) {
        ArrayDeque<Pending> queue = pending.computeIfAbsent(zone, z -> new ArrayDeque<>());
        queue.addLast(new Pending(serial, kind, receivedNanos));
        while (queue.size() > MAX_PENDING) {
            queue.removeFirst();
        }
    }

    /** A secondary has received {@code zone} at {@code serial}: every change up to that serial is programmed. */
    public void served(Name zone, long serial) {
        long now = nanoTime.getAsLong();
        List<Pending> done = new ArrayList<>();
        synchronized (this) {
            ArrayDeque<Pending> queue = pending.get(zone);
            if (queue == null) {
                return;
            }
            while (!queue.isEmpty() && Serial.compare(queue.peekFirst().serial(), serial) <= 0) {
                done.add(queue.removeFirst());
            }
        }
        for (Pending p : done) {
            timers.get(p.kind()).record(Math.max(0, now - p.receivedNanos()), TimeUnit.NANOSECONDS);
        }
    }

    /** Changes not yet transferred, over all zones. */
    public synchronized int pending() {
        return pending.values().stream().mapToInt(ArrayDeque::size).sum();
    }

    /** The timer of {@code kind} (for tests and diagnostics). */
    public Timer timer(Kind kind) {
        return timers.get(kind);
    }
}
