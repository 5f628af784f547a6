package dev.zonekeeper.operator.updatepolicy;

import static dev.zonekeeper.operator.updatepolicy.PolicyConversionTest.KEY;
import static dev.zonekeeper.operator.updatepolicy.PolicyConversionTest.SETTINGS;
import static dev.zonekeeper.operator.updatepolicy.PolicyConversionTest.acme;
import static dev.zonekeeper.operator.updatepolicy.PolicyConversionTest.policy;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.update.UpdatePolicy;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

/** The policies in force follow the objects and their Secrets; one key name means one key. */
class UpdatePoliciesTest {

    private final List<List<UpdatePolicy>> pushed = new CopyOnWriteArrayList<>();
    private final List<String> changed = new ArrayList<>();
    private final UpdatePolicies policies = new UpdatePolicies(SETTINGS, pushed::add);

    {
        policies.addListener((ns, name) -> changed.add(ns + "/" + name));
    }

    private static final Name ZONE = Name.fromConstantString("example.test.");
    private static final Name KEY_NAME = Name.fromConstantString("acme-key.");

    @Test
    void aPolicyComesIntoForceWithItsSecretAndLeavesWithIt() {
        policies.upsertPolicy(policy("certs", "acme", "example.test", "acme-tsig", acme()));
        assertThat(policies.inForce()).isEmpty();
        assertThat(policies.referencedSecrets()).containsExactly(List.of("certs", "acme-tsig"));
        assertThat(policies.verdict("certs", "acme").orElseThrow().reason()).isEqualTo(PolicyVerdict.SECRET_NOT_FOUND);

        policies.secret("certs", "acme-tsig", Optional.of(KEY));
        assertThat(policies.inForce()).extracting(UpdatePolicy::name).containsExactly("acme");
        assertThat(pushed.getLast()).extracting(UpdatePolicy::name).containsExactly("acme");
        assertThat(policies.inForce().getFirst().keyName()).isEqualTo(KEY_NAME);
        assertThat(policies.inForce().getFirst().zone()).isEqualTo(ZONE);
        assertThat(policies.ref("certs", "acme").orElseThrow().uid()).isEqualTo("uid-acme");

        policies.secret("certs", "acme-tsig", Optional.empty());
        assertThat(policies.inForce()).isEmpty();
        assertThat(pushed.getLast()).isEmpty();
        assertThat(changed).containsExactly("certs/acme", "certs/acme", "certs/acme");
    }

    @Test
    void aSecretOfAnotherNamespaceIsNotUsed() {
        policies.upsertPolicy(policy("certs", "acme", "example.test", "acme-tsig", acme()));
        policies.secret("team-a", "acme-tsig", Optional.of(KEY));
        assertThat(policies.inForce()).isEmpty();
    }

    @Test
    void deletingThePolicyTakesItOutOfForce() {
        policies.upsertPolicy(policy("certs", "acme", "example.test", "acme-tsig", acme()));
        policies.secret("certs", "acme-tsig", Optional.of(KEY));
        policies.deletePolicy("certs", "acme");
        assertThat(policies.inForce()).isEmpty();
        assertThat(policies.verdict("certs", "acme")).isEmpty();
        assertThat(policies.referencedSecrets()).isEmpty();
    }

    @Test
    void aSecondKeyOfTheSameNameIsRefusedTheFirstStays() {
        DnsUpdatePolicy first = policy("certs", "acme", "example.test", "acme-tsig", acme());
        first.getMetadata().setCreationTimestamp("2026-01-01T00:00:00Z");
        DnsUpdatePolicy second = policy("team-a", "takeover", "example.test", "mine", acme());
        second.getMetadata().setCreationTimestamp("2026-02-01T00:00:00Z");
        // a namespace that sorts first, created later, with another secret under the same key name
        DnsUpdatePolicy third = policy("a-team", "takeover", "example.test", "mine", acme());
        third.getMetadata().setCreationTimestamp("2026-03-01T00:00:00Z");
        policies.upsertPolicy(first);
        policies.upsertPolicy(second);
        policies.upsertPolicy(third);
        policies.secret("certs", "acme-tsig", Optional.of(KEY));
        policies.secret("team-a", "mine", Optional.of("acme-key:hmac-sha256:b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA=="));
        policies.secret("a-team", "mine", Optional.of("acme-key:hmac-sha512:" + PolicyConversionTest.SECRET));

        assertThat(policies.inForce()).extracting(UpdatePolicy::namespace).containsExactly("certs");
        for (String ns : List.of("team-a", "a-team")) {
            PolicyVerdict v = policies.verdict(ns, "takeover").orElseThrow();
            assertThat(v.reason()).isEqualTo(PolicyVerdict.KEY_CONFLICT);
            assertThat(v.message()).contains("certs/acme");
        }
    }

    @Test
    void theSameKeyMayServeSeveralPolicies() {
        policies.upsertPolicy(policy("certs", "acme", "example.test", "acme-tsig", acme()));
        policies.upsertPolicy(policy("team-a", "acme", "example.test", "copy", acme()));
        policies.secret("certs", "acme-tsig", Optional.of(KEY));
        policies.secret("team-a", "copy", Optional.of(" " + KEY + "\n"));
        assertThat(policies.inForce()).hasSize(2);
    }
}
