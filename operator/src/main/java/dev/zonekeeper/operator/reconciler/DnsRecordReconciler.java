package dev.zonekeeper.operator.reconciler;

import dev.zonekeeper.operator.api.v1alpha1.Condition;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordStatus;
import dev.zonekeeper.operator.config.Leadership;
import dev.zonekeeper.operator.records.Decision;
import dev.zonekeeper.operator.records.DnsRecordPolicy;
import dev.zonekeeper.operator.records.DnsRecordServing;
import dev.zonekeeper.operator.records.RecordClaim;
import dev.zonekeeper.operator.zone.ZonePublisher;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.jboss.logging.Logger;

/**
 * Writes each DnsRecord's {@code status} (the {@code Ready} condition, {@code fqdn}, {@code observedGeneration},
 * {@code servedSerial}, {@code claimRevision}) and a Warning Event for every rejection, and nothing else. Writes only
 * while this replica holds the Lease ({@link Leadership}); JOSDK runs it on every replica. It decides nothing: what is
 * served is decided once, on every replica, by {@link DnsRecordServing} (fed by the zone pipeline's informer), and
 * whether a Service keeps a DnsRecord out of the zone by the {@link ZonePublisher}; status reports those decisions,
 * so status and zone agree.
 *
 * <p>Whether a DnsRecord is served depends on the others at the same name, so {@link DnsRecordServing} tells which
 * DnsRecords' decisions changed and those are reconciled again; so are the DnsRecords whose records the zone publisher
 * first serves (to write {@code servedSerial}) and those a Service takes the name of or gives it back to.
 */
@ControllerConfiguration(name = DnsRecordReconciler.NAME)
public class DnsRecordReconciler implements Reconciler<DnsRecord> {

    public static final String NAME = "dnsrecord";

    private static final Logger LOG = Logger.getLogger(DnsRecordReconciler.class);

    /** Status patches and Events written, by kind ({@code status}, {@code event}): only the Lease holder writes. */
    public static final String WRITES_METRIC = "zonekeeper.dnsrecord.writes";

    private final DnsRecordServing decisions;
    private final ZonePublisher publisher;
    private final Leadership leadership;
    private final Counter statusWrites;
    private final Counter eventWrites;
    /**
     * Triggered when a DnsRecord's decision changes, when the publisher first serves a DnsRecord's records (to write
     * servedSerial), when a Service takes a DnsRecord's name or gives it back, and for every DnsRecord when this replica
     * comes to hold the Lease.
     */
    private final Triggers<DnsRecord> triggers;

    @Inject
    public DnsRecordReconciler(
            DnsRecordServing decisions, ZonePublisher publisher, Leadership leadership, MeterRegistry meters) {
        this.decisions = decisions;
        this.publisher = publisher;
        this.leadership = leadership;
        this.statusWrites = Counter.builder(WRITES_METRIC)
                .tag("kind", "status")
                .description("DnsRecord status patches and Warning Events written by this replica (the Lease holder)")
                .register(meters);
        this.eventWrites = Counter.builder(WRITES_METRIC)
                .tag("kind", "event")
                .description("DnsRecord status patches and Warning Events written by this replica (the Lease holder)")
                .register(meters);
        // another replica may have written while this one did not hold the Lease: Triggers looks at every one again
        this.triggers = new Triggers<>("dnsrecord-triggers", leadership);
        decisions.addListener(triggers::trigger);
        publisher.addServedListener((namespace, name, serial) -> triggers.trigger(namespace, name));
        publisher.addShadowListener(triggers::trigger);
    }

    /**
     * Only the controller's own informer watches DnsRecords here. The zone pipeline keeps a second, slim watch
     * (ClusterInformers): JOSDK 5.2 offers no public way to be told of the controller informer's events (the primary
     * cache only reads; its handler and InformerManager are internal), and reconcile() sees no deletions without a
     * finalizer and runs rate-limited and retried, which would put the data path behind the status writer.
     */
    @Override
    public List<EventSource<?, DnsRecord>> prepareEventSources(EventSourceContext<DnsRecord> context) {
        return triggers.eventSources(context);
    }

    @Override
    public UpdateControl<DnsRecord> reconcile(DnsRecord resource, Context<DnsRecord> context) {
        if (!leadership.isLeader()) {
            return UpdateControl
                    .noUpdate(); // the Lease holder writes; this replica looks at everything again on gaining it
        }
        var meta = resource.getMetadata();
        Optional<Decision> decided = decisions.decision(RecordClaim.of(resource));
        if (decided.isEmpty()) {
            // the pipeline's informer has not delivered this version yet; its decision triggers this again when it has
            return UpdateControl.noUpdate();
        }
        // Services win over DnsRecords in the zone (ZonePublisher): say so rather than "serving"
        Decision decision = publisher
                .shadowingService(meta.getNamespace(), meta.getName())
                .map(service -> DnsRecordPolicy.ownedByService(decided.get(), service))
                .orElse(decided.get());

        DnsRecordStatus previous = resource.getStatus();
        DnsRecordStatus next = statusFor(
                decision,
                previous,
                meta.getGeneration(),
                publisher.servedSerial(meta.getNamespace(), meta.getName()),
                RecordClaim.claimRevisionToRecord(resource));
        if (next.equals(previous)) {
            return UpdateControl.noUpdate();
        }
        Optional<Condition> before = previous == null ? Optional.empty() : previous.condition(DnsRecordStatus.READY);
        boolean conditionChanged = before.map(c -> !decision.reason().name().equals(c.getReason())
                        || !decision.message().equals(c.getMessage()))
                .orElse(true);
        if (!decision.serving() && conditionChanged) {
            LOG.infof(
                    "DnsRecord %s/%s not served: %s: %s",
                    meta.getNamespace(), meta.getName(), decision.reason(), decision.message());
            WarningEvents.warn(context.getClient(), resource, decision.reason().name(), decision.message());
            eventWrites.increment();
        }
        statusWrites.increment();
        DnsRecord patch = new DnsRecord();
        patch.setMetadata(new ObjectMetaBuilder()
                .withName(meta.getName())
                .withNamespace(meta.getNamespace())
                .build());
        patch.setStatus(next);
        return UpdateControl.patchStatus(patch);
    }

    /**
     * The status for a decision; keeps lastTransitionTime while Ready's status stays. {@code servedSerial} is the serial
     * at which this replica's zones first served the current records; while they are not served yet, the one written
     * before is kept if the decision still serves (the served listener brings the new one).
     */
    static DnsRecordStatus statusFor(
            Decision decision,
            DnsRecordStatus previous,
            Long generation,
            OptionalLong servedSerial,
            String claimRevision) {
        String readyStatus = decision.serving() ? "True" : "False";
        Optional<Condition> before = previous == null ? Optional.empty() : previous.condition(DnsRecordStatus.READY);
        String since = before.filter(c -> readyStatus.equals(c.getStatus()))
                .map(Condition::getLastTransitionTime)
                .orElseGet(() -> Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        DnsRecordStatus status = new DnsRecordStatus();
        status.setConditions(List.of(new Condition(
                DnsRecordStatus.READY, readyStatus, decision.reason().name(), decision.message(), since, generation)));
        status.setFqdn(decision.fqdn().map(n -> n.toString()).orElse(null));
        status.setObservedGeneration(generation);
        status.setClaimRevision(claimRevision);
        if (decision.serving()) {
            if (servedSerial.isPresent()) {
                status.setServedSerial(servedSerial.getAsLong());
            } else if (previous != null) {
                status.setServedSerial(previous.getServedSerial());
            }
        }
        return status;
    }
}
