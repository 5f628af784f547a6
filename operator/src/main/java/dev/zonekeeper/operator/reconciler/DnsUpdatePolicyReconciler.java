package dev.zonekeeper.operator.reconciler;

import dev.zonekeeper.operator.api.v1alpha1.Condition;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicy;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicyStatus;
import dev.zonekeeper.operator.config.Leadership;
import dev.zonekeeper.operator.updatepolicy.PolicyVerdict;
import dev.zonekeeper.operator.updatepolicy.UpdatePolicies;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Writes each DnsUpdatePolicy's {@code status} (the {@code Ready} condition, the key name, the number of grants in
 * force, {@code observedGeneration}) and a Warning Event when it stops being in force. Decides nothing: the verdicts
 * are made on every replica by {@link UpdatePolicies} (fed by the zone pipeline's informers), and only the Lease
 * holder writes them, as for DnsRecords.
 */
@ControllerConfiguration(name = DnsUpdatePolicyReconciler.NAME)
public class DnsUpdatePolicyReconciler implements Reconciler<DnsUpdatePolicy> {

    public static final String NAME = "dnsupdatepolicy";

    private static final Logger LOG = Logger.getLogger(DnsUpdatePolicyReconciler.class);

    private final UpdatePolicies policies;
    private final Leadership leadership;
    private final Triggers<DnsUpdatePolicy> triggers;

    @Inject
    public DnsUpdatePolicyReconciler(UpdatePolicies policies, Leadership leadership) {
        this.policies = policies;
        this.leadership = leadership;
        this.triggers = new Triggers<>("dnsupdatepolicy-triggers", leadership);
        policies.addListener(triggers::trigger);
    }

    @Override
    public List<EventSource<?, DnsUpdatePolicy>> prepareEventSources(EventSourceContext<DnsUpdatePolicy> context) {
        return triggers.eventSources(context);
    }

    @Override
    public UpdateControl<DnsUpdatePolicy> reconcile(DnsUpdatePolicy resource, Context<DnsUpdatePolicy> context) {
        if (!leadership.isLeader()) {
            return UpdateControl.noUpdate();
        }
        var meta = resource.getMetadata();
        Optional<PolicyVerdict> verdict = policies.verdict(meta.getNamespace(), meta.getName());
        if (verdict.isEmpty() || !java.util.Objects.equals(verdict.get().generation(), meta.getGeneration())) {
            return UpdateControl
                    .noUpdate(); // the pipeline's informer has not seen this version: its verdict triggers us
        }
        PolicyVerdict v = verdict.get();
        DnsUpdatePolicyStatus previous = resource.getStatus();
        DnsUpdatePolicyStatus next = statusFor(v, previous);
        if (next.equals(previous)) {
            return UpdateControl.noUpdate();
        }
        Optional<Condition> before =
                previous == null ? Optional.empty() : previous.condition(DnsUpdatePolicyStatus.READY);
        boolean conditionChanged = before.map(
                        c -> !v.reason().equals(c.getReason()) || !v.message().equals(c.getMessage()))
                .orElse(true);
        if (!v.ready() && conditionChanged) {
            LOG.infof(
                    "DnsUpdatePolicy %s/%s not in force: %s: %s",
                    meta.getNamespace(), meta.getName(), v.reason(), v.message());
            WarningEvents.warn(context.getClient(), resource, v.reason(), v.message());
        }
        DnsUpdatePolicy patch = new DnsUpdatePolicy();
        patch.setMetadata(new ObjectMetaBuilder()
                .withName(meta.getName())
                .withNamespace(meta.getNamespace())
                .build());
        patch.setStatus(next);
        return UpdateControl.patchStatus(patch);
    }

    /** The status for a verdict; keeps lastTransitionTime while Ready's status stays. */
    static DnsUpdatePolicyStatus statusFor(PolicyVerdict v, DnsUpdatePolicyStatus previous) {
        String readyStatus = v.ready() ? "True" : "False";
        Optional<Condition> before =
                previous == null ? Optional.empty() : previous.condition(DnsUpdatePolicyStatus.READY);
        String since = before.filter(c -> readyStatus.equals(c.getStatus()))
                .map(Condition::getLastTransitionTime)
                .orElseGet(() -> Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        DnsUpdatePolicyStatus status = new DnsUpdatePolicyStatus();
        status.setConditions(List.of(new Condition(
                DnsUpdatePolicyStatus.READY, readyStatus, v.reason(), v.message(), since, v.generation())));
        status.setObservedGeneration(v.generation());
        status.setKeyName(v.keyName());
        status.setGrants(v.grants());
        return status;
    }
}
