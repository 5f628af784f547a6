package dev.zonekeeper.operator.records;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import dev.zonekeeper.operator.config.ZoneSettings;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DnsRecordServingTest {

    private static final ZoneSettings ZONES =
            ZoneSettings.parse("cluster.local", List.of("example.com"), Map.of("example.com", "*"));
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final InMemoryRecordRegistry registry = new InMemoryRecordRegistry();
    private final DnsRecordServing serving = new DnsRecordServing(new DnsRecordPolicy(ZONES), registry);

    private static RecordClaim claim(
            String ns, String name, int age, String owner, DnsRecordType type, String... values) {
        return new RecordClaim(ns, name, T0.plusSeconds(age), owner, type, 30, List.of(values));
    }

    @Test
    void theOlderRecordOwnsTheNameAndTheYoungerTakesOverWhenItIsDeleted() {
        serving.upsert(claim("b", "young", 10, "www.example.com", DnsRecordType.A, "192.0.2.2"));
        serving.upsert(claim("a", "old", 0, "www.example.com", DnsRecordType.A, "192.0.2.1"));

        assertThat(registry.snapshot().recordSets()).containsOnlyKeys("a/old");

        serving.delete("a", "old");

        assertThat(registry.snapshot().recordSets()).containsOnlyKeys("b/young");
    }

    /** Issue 13 point 13: created in the same second, in whatever order the events arrive, the first created wins. */
    @Test
    void inABurstWithinOneSecondTheFirstCreatedOwnsTheNameWhateverTheEventOrder() {
        List<RecordClaim> burst = new ArrayList<>();
        String[] names = {"e", "d", "c", "b", "a"}; // created in this order: by name the last would win
        for (int i = 0; i < names.length; i++) {
            burst.add(new RecordClaim(
                    "team",
                    names[i],
                    T0,
                    "burst.example.com",
                    DnsRecordType.A,
                    30,
                    List.of("192.0.2." + (i + 1)),
                    1000L + i));
        }
        Random random = new Random(13);
        for (int round = 0; round < 20; round++) {
            InMemoryRecordRegistry own = new InMemoryRecordRegistry();
            DnsRecordServing replica = new DnsRecordServing(new DnsRecordPolicy(ZONES), own);
            List<RecordClaim> order = new ArrayList<>(burst);
            Collections.shuffle(order, random);
            order.forEach(replica::upsert);
            assertThat(own.snapshot().recordSets())
                    .as("arrival order %s", order)
                    .containsOnlyKeys("team/e");
        }
    }

    @Test
    void renamingARecordFreesItsOldName() {
        serving.upsert(claim("a", "old", 0, "www.example.com", DnsRecordType.A, "192.0.2.1"));
        serving.upsert(claim("b", "young", 10, "www.example.com", DnsRecordType.A, "192.0.2.2"));
        serving.upsert(claim("a", "old", 0, "api.example.com", DnsRecordType.A, "192.0.2.1"));

        assertThat(registry.snapshot().recordSets()).containsOnlyKeys("a/old", "b/young");
        assertThat(registry.snapshot().recordSets().get("a/old").owner()).hasToString("api.example.com.");
    }

    @Test
    void aRecordTurnedInvalidIsWithdrawnAndFreesTheName() {
        serving.upsert(claim("a", "old", 0, "www.example.com", DnsRecordType.A, "192.0.2.1"));
        serving.upsert(claim("b", "young", 10, "www.example.com", DnsRecordType.A, "192.0.2.2"));
        serving.upsert(claim("a", "old", 0, "www.example.com", DnsRecordType.A, "192.0.2.300"));

        assertThat(registry.snapshot().recordSets()).containsOnlyKeys("b/young");
    }

    /** Two replicas that receive the same DnsRecords in different orders serve the same records. */
    @Test
    void theOutcomeDoesNotDependOnTheOrderOfEvents() {
        List<RecordClaim> claims = List.of(
                claim("a", "www", 0, "www.example.com", DnsRecordType.A, "192.0.2.1"),
                claim("b", "www", 5, "www.example.com", DnsRecordType.A, "192.0.2.2"),
                claim("c", "www", 5, "www.example.com", DnsRecordType.AAAA, "2001:db8::1"),
                claim("a", "alias", 1, "alias.example.com", DnsRecordType.CNAME, "www.example.com."),
                claim("b", "alias", 0, "alias.example.com", DnsRecordType.TXT, "\"older\""),
                claim("c", "bad", 0, "bad.example.com", DnsRecordType.A, "nope"),
                claim("d", "mx", 3, "example.com", DnsRecordType.MX, "10 mail.example.com."));
        Map<String, PublishedRecordSet> expected = null;
        Random random = new Random(42);
        for (int round = 0; round < 20; round++) {
            List<RecordClaim> order = new ArrayList<>(claims);
            Collections.shuffle(order, random);
            InMemoryRecordRegistry replica = new InMemoryRecordRegistry();
            DnsRecordServing decisions = new DnsRecordServing(new DnsRecordPolicy(ZONES), replica);
            order.forEach(decisions::upsert);
            if (expected == null) {
                expected = replica.snapshot().recordSets();
                assertThat(expected).containsOnlyKeys("a/www", "c/www", "b/alias", "d/mx");
            } else {
                assertThat(replica.snapshot().recordSets())
                        .as("order %s", order)
                        .isEqualTo(expected);
            }
        }
    }

    /** The decision is made here once; the reconciler reads it, and hears which DnsRecords to look at again. */
    @Test
    void holdsTheDecisionAboutEveryRecordAndTellsWhoseDecisionChanged() {
        List<String> changed = new ArrayList<>();
        serving.addListener((ns, name) -> changed.add(ns + "/" + name));
        RecordClaim old = claim("a", "old", 0, "www.example.com", DnsRecordType.A, "192.0.2.1");
        RecordClaim young = claim("b", "young", 10, "www.example.com", DnsRecordType.A, "192.0.2.2");
        serving.upsert(old);
        serving.upsert(young);

        assertThat(serving.decision(old).orElseThrow().reason()).isEqualTo(Reason.Serving);
        Decision conflict = serving.decision(young).orElseThrow();
        assertThat(conflict.reason()).isEqualTo(Reason.Conflict);
        assertThat(conflict.message()).contains("a/old");
        assertThat(changed).containsExactly("a/old", "b/young");
        // a version of the spec this replica has not seen yet has no decision
        assertThat(serving.decision(claim("b", "young", 10, "www.example.com", DnsRecordType.A, "192.0.2.3")))
                .isEmpty();

        changed.clear();
        serving.delete("a", "old");
        assertThat(changed).containsExactly("a/old", "b/young");
        assertThat(serving.decision(old)).isEmpty();
        assertThat(serving.decision(young).orElseThrow().reason()).isEqualTo(Reason.Serving);
    }

    @Test
    void aRecordRejectedOnItsOwnHasItsReason() {
        RecordClaim bad = claim("c", "bad", 0, "bad.example.com", DnsRecordType.A, "nope");
        serving.upsert(bad);

        assertThat(serving.decision(bad).orElseThrow().reason()).isEqualTo(Reason.InvalidValue);
        assertThat(registry.snapshot().recordSets()).isEmpty();
    }
}
