package dev.zonekeeper.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.update.UpdateOutcome;
import dev.zonekeeper.dns.update.UpdatePolicy;
import dev.zonekeeper.dns.update.UpdateResult;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicy;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicySpec;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.operator.updatepolicy.UpdatePolicies;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

/** Refusals become Warning Events on the policy, a flood of them only a few. */
class UpdateEventsTest {

    private record Written(DnsUpdatePolicy about, String reason, String message) {}

    private static final Name ZONE = Name.fromConstantString("example.test.");

    private final List<Written> written = new CopyOnWriteArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final UpdatePolicies policies = new UpdatePolicies(
            ZoneSettings.parse("cluster.local", List.of("example.test"), Map.of("example.test", "certs")), p -> {});
    private final UpdateEvents events = new UpdateEvents(
            policies, (about, reason, message) -> written.add(new Written(about, reason, message)), now::get);

    private UpdatePolicy policy(String name) {
        DnsUpdatePolicy p = new DnsUpdatePolicy();
        p.setMetadata(new ObjectMetaBuilder()
                .withNamespace("certs")
                .withName(name)
                .withUid("uid-" + name)
                .withGeneration(1L)
                .build());
        p.setSpec(
                new DnsUpdatePolicySpec("example.test", new DnsUpdatePolicySpec.SecretReference("s"), null, List.of()));
        policies.upsertPolicy(p);
        return new UpdatePolicy("certs", name, ZONE, Name.fromConstantString("k."), null, List.of());
    }

    private static UpdateOutcome refused(UpdatePolicy p, UpdateResult result) {
        return new UpdateOutcome(ZONE, p, result, "www.example.test/A is outside the grants", 0, 1);
    }

    @Test
    void aRefusalIsAWarningOnThePolicy() {
        UpdatePolicy acme = policy("acme");
        events.outcome(refused(acme, UpdateResult.OUTSIDE_GRANT));
        events.outcome(refused(acme, UpdateResult.GENERATED_NAME));
        events.outcome(new UpdateOutcome(ZONE, acme, UpdateResult.APPLIED, "ok", 1, 1));
        events.outcome(refused(acme, UpdateResult.PREREQ_NXRRSET)); // the client's own business, no Event
        events.outcome(new UpdateOutcome(null, null, UpdateResult.BAD_KEY, "unknown key", 0, 1)); // no policy

        await().atMost(Duration.ofSeconds(10)).until(() -> written.size() == 2);
        Written first = written.get(0);
        assertThat(first.about().getMetadata().getName()).isEqualTo("acme");
        assertThat(first.about().getMetadata().getUid()).isEqualTo("uid-acme");
        assertThat(first.about().getKind()).isEqualTo("DnsUpdatePolicy");
        assertThat(first.reason()).isEqualTo("UpdateOutsideGrant");
        assertThat(first.message()).contains("outside_grant").contains("www.example.test/A");
        assertThat(written.get(1).reason()).isEqualTo("UpdateGeneratedName");
    }

    @Test
    void aLongDetailIsCut() {
        UpdatePolicy acme = policy("acme");
        events.outcome(new UpdateOutcome(ZONE, acme, UpdateResult.OUTSIDE_GRANT, "x".repeat(70_000), 0, 1));
        await().atMost(Duration.ofSeconds(10)).until(() -> written.size() == 1);
        assertThat(written.get(0).message()).hasSize(UpdateEvents.MAX_MESSAGE).endsWith("...");
    }

    @Test
    void aFloodOfRefusalsIsAFewEventsThatCountTheRest() {
        UpdatePolicy acme = policy("acme");
        UpdatePolicy other = policy("other");
        for (int i = 0; i < 1000; i++) {
            events.outcome(refused(acme, UpdateResult.OUTSIDE_GRANT));
        }
        events.outcome(refused(other, UpdateResult.OUTSIDE_GRANT)); // another policy has its own budget
        await().atMost(Duration.ofSeconds(10)).until(() -> written.size() == UpdateEvents.BURST + 1);
        assertThat(written.stream()
                        .filter(w -> w.about().getMetadata().getName().equals("other")))
                .hasSize(1);

        now.addAndGet(UpdateEvents.REFILL_NANOS); // one more Event's worth of time
        events.outcome(refused(acme, UpdateResult.OUTSIDE_GRANT));
        events.outcome(refused(acme, UpdateResult.OUTSIDE_GRANT));
        await().atMost(Duration.ofSeconds(10)).until(() -> written.size() == UpdateEvents.BURST + 2);
        assertThat(written.getLast().message()).contains("and " + (1000 - UpdateEvents.BURST) + " more");
        // the one after it waits for the next refill: exactly BURST + 2 were written (the executor is serial, and
        // the last call returned before the await saw the Event it queued)
        assertThat(written).hasSize(UpdateEvents.BURST + 2);
    }
}
