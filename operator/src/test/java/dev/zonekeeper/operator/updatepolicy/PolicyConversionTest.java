package dev.zonekeeper.operator.updatepolicy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.update.Grant;
import dev.zonekeeper.dns.update.UpdatePolicy;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicy;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicySpec;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicySpec.Match;
import dev.zonekeeper.operator.config.ZoneSettings;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/** One DnsUpdatePolicy and its Secret's key text to the policy in force, or the reason a user can act on. */
class PolicyConversionTest {

    static final String SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXM=";
    static final String KEY = "acme-key:hmac-sha256:" + SECRET;
    static final ZoneSettings SETTINGS = ZoneSettings.parse(
            "cluster.local", List.of("example.test", "other.test"), Map.of("example.test", "certs,team-a,a-team"));

    static DnsUpdatePolicy policy(String ns, String name, String zone, String secret, DnsUpdatePolicySpec.Grant... g) {
        DnsUpdatePolicy p = new DnsUpdatePolicy();
        p.setMetadata(new ObjectMetaBuilder()
                .withNamespace(ns)
                .withName(name)
                .withGeneration(3L)
                .withUid("uid-" + name)
                .build());
        p.setSpec(new DnsUpdatePolicySpec(
                zone, secret == null ? null : new DnsUpdatePolicySpec.SecretReference(secret), null, List.of(g)));
        return p;
    }

    static DnsUpdatePolicySpec.Grant acme() {
        return new DnsUpdatePolicySpec.Grant(
                Match.SUBDOMAIN, "_acme-challenge.example.test", List.of(DnsRecordType.TXT));
    }

    @Test
    void aPolicyWithItsKeyIsInForceWithItsGrants() {
        PolicyVerdict v = PolicyConversion.convert(
                policy(
                        "certs",
                        "acme",
                        "example.test",
                        "acme-tsig",
                        acme(),
                        new DnsUpdatePolicySpec.Grant(Match.WILDCARD, "*.dyn.example.test.", List.of()),
                        new DnsUpdatePolicySpec.Grant(
                                Match.NAME, "WWW.example.test", List.of(DnsRecordType.A, DnsRecordType.AAAA))),
                Optional.of(KEY + "\n"),
                SETTINGS);

        assertThat(v.reason()).isEqualTo(PolicyVerdict.ACTIVE);
        assertThat(v.ready()).isTrue();
        assertThat(v.keyName()).isEqualTo("acme-key");
        assertThat(v.grants()).isEqualTo(3);
        assertThat(v.generation()).isEqualTo(3L);
        UpdatePolicy p = v.policy().orElseThrow();
        assertThat(p.namespace()).isEqualTo("certs");
        assertThat(p.name()).isEqualTo("acme");
        assertThat(p.zone()).isEqualTo(Name.fromConstantString("example.test."));
        assertThat(p.keyName()).isEqualTo(Name.fromConstantString("acme-key."));
        assertThat(p.grants())
                .containsExactly(
                        new Grant(
                                Grant.Match.SUBDOMAIN,
                                Name.fromConstantString("_acme-challenge.example.test."),
                                Set.of(Type.TXT)),
                        new Grant(Grant.Match.WILDCARD, Name.fromConstantString("*.dyn.example.test."), Set.of()),
                        new Grant(
                                Grant.Match.NAME,
                                Name.fromConstantString("www.example.test."),
                                Set.of(Type.A, Type.AAAA)));
        assertThat(v.message()).doesNotContain(SECRET);
    }

    @Test
    void everyUpdateAlgorithmIsAcceptedHmacMd5Included() {
        for (String alg :
                List.of("hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512")) {
            PolicyVerdict v = PolicyConversion.convert(
                    policy("certs", "acme", "example.test", "acme-tsig", acme()),
                    Optional.of("cert-manager:" + alg + ":" + SECRET),
                    SETTINGS);
            assertThat(v.reason()).as(alg).isEqualTo(PolicyVerdict.ACTIVE);
            assertThat(v.keyName()).isEqualTo("cert-manager");
        }
    }

    @Test
    void aMissingSecretOrKeySaysWhichSecret() {
        PolicyVerdict v = PolicyConversion.convert(
                policy("certs", "acme", "example.test", "acme-tsig", acme()), Optional.empty(), SETTINGS);
        assertThat(v.ready()).isFalse();
        assertThat(v.reason()).isEqualTo(PolicyVerdict.SECRET_NOT_FOUND);
        assertThat(v.message()).contains("certs/acme-tsig").contains("tsig.key");
    }

    @Test
    void anInvalidKeyIsRefusedWithoutShowingTheSecret() {
        for (String bad : List.of(
                "acme-key:hmac-sha256", "acme-key:hmac-foo:" + SECRET, "acme-key:hmac-sha256:!!!", "(not base64)")) {
            PolicyVerdict v = PolicyConversion.convert(
                    policy("certs", "acme", "example.test", "acme-tsig", acme()), Optional.of(bad), SETTINGS);
            assertThat(v.reason()).as(bad).isEqualTo(PolicyVerdict.KEY_INVALID);
            assertThat(v.message()).as(bad).contains("certs/acme-tsig").doesNotContain(SECRET);
        }
    }

    @Test
    void keyFileIsForStandaloneModeOnly() {
        DnsUpdatePolicy p = policy("certs", "acme", "example.test", null, acme());
        p.getSpec().setKeyFile("/etc/zonekeeper/acme.key");
        PolicyVerdict v = PolicyConversion.convert(p, Optional.of(KEY), SETTINGS);
        assertThat(v.reason()).isEqualTo(PolicyVerdict.KEY_FILE_NOT_SUPPORTED);
        assertThat(v.message()).contains("standalone").contains("keySecretRef");

        // with both, the Secret is used and the file ignored, as the message says
        p.getSpec().setKeySecretRef(new DnsUpdatePolicySpec.SecretReference("acme-tsig"));
        PolicyVerdict both = PolicyConversion.convert(p, Optional.of(KEY), SETTINGS);
        assertThat(both.ready()).isTrue();
        assertThat(both.message()).contains("keyFile is ignored");
    }

    @Test
    void theZoneMustBeServedAndWritableByTheNamespace() {
        PolicyVerdict notServed = PolicyConversion.convert(
                policy("certs", "acme", "elsewhere.test", "acme-tsig", acme()), Optional.of(KEY), SETTINGS);
        assertThat(notServed.reason()).isEqualTo(PolicyVerdict.ZONE_NOT_SERVED);
        assertThat(notServed.message()).contains("elsewhere.test");

        PolicyVerdict notAllowed = PolicyConversion.convert(
                policy("intruder", "acme", "example.test", "acme-tsig", acme()), Optional.of(KEY), SETTINGS);
        assertThat(notAllowed.reason()).isEqualTo(PolicyVerdict.NOT_ALLOWED);
        assertThat(notAllowed.message()).contains("intruder").contains("zonekeeper.zone-writers");

        PolicyVerdict noWriters = PolicyConversion.convert(
                policy(
                        "certs",
                        "acme",
                        "other.test",
                        "acme-tsig",
                        new DnsUpdatePolicySpec.Grant(Match.NAME, "a.other.test", List.of())),
                Optional.of(KEY),
                SETTINGS);
        assertThat(noWriters.reason()).isEqualTo(PolicyVerdict.NOT_ALLOWED);
    }

    @Test
    void grantsMustLieInTheZoneAndMatchTheirShape() {
        List<DnsUpdatePolicySpec.Grant> bad = List.of(
                new DnsUpdatePolicySpec.Grant(Match.SUBDOMAIN, "_acme-challenge.other.test", List.of()),
                new DnsUpdatePolicySpec.Grant(Match.WILDCARD, "dyn.example.test", List.of()),
                new DnsUpdatePolicySpec.Grant(Match.SUBDOMAIN, "*.dyn.example.test", List.of()),
                new DnsUpdatePolicySpec.Grant(null, "a.example.test", List.of()),
                new DnsUpdatePolicySpec.Grant(Match.NAME, "bad..name", List.of()));
        for (DnsUpdatePolicySpec.Grant g : bad) {
            PolicyVerdict v = PolicyConversion.convert(
                    policy("certs", "acme", "example.test", "acme-tsig", acme(), g), Optional.of(KEY), SETTINGS);
            assertThat(v.reason()).as(g.getName()).isEqualTo(PolicyVerdict.GRANT_INVALID);
            assertThat(v.message()).as(g.getName()).startsWith("grants[1]: ");
        }
        PolicyVerdict none = PolicyConversion.convert(
                policy("certs", "acme", "example.test", "acme-tsig"), Optional.of(KEY), SETTINGS);
        assertThat(none.reason()).isEqualTo(PolicyVerdict.GRANT_INVALID);
    }

    @Test
    void inTheClusterDomainOnlyTheNamespacesOwnNamesCanBeGranted() {
        PolicyVerdict own = PolicyConversion.convert(
                policy(
                        "certs",
                        "svc",
                        "cluster.local",
                        "acme-tsig",
                        new DnsUpdatePolicySpec.Grant(Match.SUBDOMAIN, "dyn.certs.svc.cluster.local", List.of())),
                Optional.of(KEY),
                SETTINGS);
        assertThat(own.ready()).isTrue();
        PolicyVerdict foreign = PolicyConversion.convert(
                policy(
                        "certs",
                        "svc",
                        "cluster.local",
                        "acme-tsig",
                        new DnsUpdatePolicySpec.Grant(Match.SUBDOMAIN, "kube-system.svc.cluster.local", List.of())),
                Optional.of(KEY),
                SETTINGS);
        assertThat(foreign.reason()).isEqualTo(PolicyVerdict.GRANT_INVALID);
    }
}
