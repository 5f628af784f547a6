package dev.zonekeeper.operator.reconciler;

import dev.zonekeeper.dns.update.UpdateOutcome;
import dev.zonekeeper.dns.update.UpdateResult;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicy;
import dev.zonekeeper.operator.updatepolicy.UpdatePolicies;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Warning Events on a DnsUpdatePolicy for the updates signed with its key that were refused for a reason its owner
 * can act on (outside the grants, a generated name, a name owned elsewhere, a zone not served). A flood of refused
 * updates must not become a flood of Events: each policy gets at most {@link #BURST} Events, refilled at one per
 * {@link #REFILL_NANOS}; the refusals dropped meanwhile are counted into the next Event's message. Events are written
 * by one background thread from a bounded queue (the update path never waits for the API server); when the queue is
 * full the Event is dropped, counted into the next one of that policy as well. Any replica writes them: the refusal
 * happened where the update was received.
 */
public final class UpdateEvents implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(UpdateEvents.class);

    static final int BURST = 5;
    static final long REFILL_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** Policies whose buckets are remembered; the least recently refused are forgotten first. */
    static final int MAX_POLICIES = 10_000;
    /** Longer Event messages are cut (the API server's Event message limit is 1 KiB of what kubectl shows). */
    static final int MAX_MESSAGE = 1024;

    private static final Set<UpdateResult> REPORTED = EnumSet.of(
            UpdateResult.OUTSIDE_GRANT,
            UpdateResult.GENERATED_NAME,
            UpdateResult.OWNED_ELSEWHERE,
            UpdateResult.ZONE_NOT_ALLOWED,
            UpdateResult.UNSUPPORTED);

    /** Where an Event goes: the client in production, a list in tests. */
    @FunctionalInterface
    public interface Writer {
        void warn(DnsUpdatePolicy about, String reason, String message);
    }

    private static final class Bucket {
        double tokens = BURST;
        long refilledAt;
        long suppressed;
    }

    private final UpdatePolicies policies;
    private final Writer writer;
    private final LongSupplier nanoTime;
    private final ThreadPoolExecutor executor;
    private final Map<String, Bucket> buckets = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
            return size() > MAX_POLICIES;
        }
    };

    public UpdateEvents(KubernetesClient client, UpdatePolicies policies) {
        this(
                policies,
                (about, reason, message) -> WarningEvents.warn(client, about, reason, message),
                System::nanoTime);
    }

    UpdateEvents(UpdatePolicies policies, Writer writer, LongSupplier nanoTime) {
        this.policies = policies;
        this.writer = writer;
        this.nanoTime = nanoTime;
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(64), r -> {
            Thread t = new Thread(r, "update-events");
            t.setDaemon(true);
            return t;
        });
    }

    /** The UpdateService's listener: an Event for a refusal worth one, within the policy's budget. */
    public void outcome(UpdateOutcome outcome) {
        if (outcome.policy() == null || !REPORTED.contains(outcome.result())) {
            return;
        }
        String namespace = outcome.policy().namespace();
        String name = outcome.policy().name();
        long suppressed;
        synchronized (buckets) {
            Bucket b = buckets.computeIfAbsent(namespace + '/' + name, k -> {
                Bucket fresh = new Bucket();
                fresh.refilledAt = nanoTime.getAsLong();
                return fresh;
            });
            long now = nanoTime.getAsLong();
            b.tokens = Math.min(BURST, b.tokens + (double) (now - b.refilledAt) / REFILL_NANOS);
            b.refilledAt = now;
            if (b.tokens < 1) {
                b.suppressed++;
                return;
            }
            b.tokens -= 1;
            suppressed = b.suppressed;
            b.suppressed = 0;
        }
        var ref = policies.ref(namespace, name);
        if (ref.isEmpty()) {
            return; // deleted meanwhile
        }
        DnsUpdatePolicy about = new DnsUpdatePolicy();
        about.setMetadata(new ObjectMetaBuilder()
                .withNamespace(namespace)
                .withName(name)
                .withUid(ref.get().uid())
                .withResourceVersion(ref.get().resourceVersion())
                .build());
        String message = "update refused (" + outcome.result().label() + ")"
                + (outcome.zone() == null ? "" : " in zone " + outcome.zone().toString(true)) + ": "
                + outcome.detail()
                + (suppressed > 0 ? " (and " + suppressed + " more refused update(s) not reported)" : "");
        if (message.length() > MAX_MESSAGE) { // the detail quotes names from the request
            message = message.substring(0, MAX_MESSAGE - 3) + "...";
        }
        String text = message;
        String reason = reason(outcome.result());
        try {
            executor.execute(() -> writer.warn(about, reason, text));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            synchronized (buckets) {
                Bucket b = buckets.get(namespace + '/' + name);
                if (b != null) {
                    b.suppressed += 1 + suppressed;
                }
            }
            LOG.debugf("update Event on %s/%s dropped: the Event queue is full", namespace, name);
        }
    }

    /** The Event reason: CamelCase, as Kubernetes reasons are. */
    static String reason(UpdateResult result) {
        return switch (result) {
            case OUTSIDE_GRANT -> "UpdateOutsideGrant";
            case GENERATED_NAME -> "UpdateGeneratedName";
            case OWNED_ELSEWHERE -> "UpdateOwnedElsewhere";
            case ZONE_NOT_ALLOWED -> "UpdateZoneNotServed";
            case UNSUPPORTED -> "UpdateUnsupported";
            default -> "UpdateRefused";
        };
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
