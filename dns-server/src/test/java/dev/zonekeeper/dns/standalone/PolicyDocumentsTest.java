package dev.zonekeeper.dns.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.update.Grant;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/** {@code kind: DnsUpdatePolicy} documents under {@code --records}: what is accepted, and every refusal's message. */
class PolicyDocumentsTest {
    private static final Set<Name> ZONES = Set.of(Name.fromConstantString("example.test."));
    private static final String SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXM=";

    @TempDir
    Path dir;

    private LoadResult load(String spec) throws IOException {
        Files.writeString(dir.resolve("key"), "acme:hmac-md5:" + SECRET + "\n");
        Files.writeString(dir.resolve("big.key"), "x".repeat(PolicyDocuments.MAX_KEY_FILE_BYTES + 1));
        Files.writeString(dir.resolve("bad.key"), "acme:hmac-sha256:not base64!\n");
        Files.writeString(
                dir.resolve("p.yaml"),
                "apiVersion: zonekeeper.dev/v1alpha1\nkind: DnsUpdatePolicy\nmetadata: {name: acme}\nspec:\n" + spec);
        return new ManifestDirectory(dir, ZONES).load();
    }

    @Test
    void aPolicyWithAnMd5KeyFileRelativeToTheManifest() throws IOException {
        LoadResult r = load("""
                  zone: example.test
                  keyFile: key
                  grants:
                    - {match: subdomain, name: _acme-challenge.example.test, types: [TXT]}
                    - {match: wildcard, name: '*.dyn.example.test'}
                    - {match: acme-challenge, name: example.test, types: [TXT]}
                """);

        assertThat(r.rejections()).isEmpty();
        assertThat(r.policiesRejected()).isZero();
        PolicyDocument p = r.policies().getFirst();
        assertThat(p.name()).isEqualTo("acme");
        assertThat(p.keyName()).isEqualTo(Name.fromConstantString("acme."));
        assertThat(p.algorithm()).isEqualTo(TSIG.HMAC_MD5);
        assertThat(p.toString()).doesNotContain(SECRET);
        assertThat(p.grants())
                .containsExactly(
                        new Grant(
                                Grant.Match.SUBDOMAIN,
                                Name.fromConstantString("_acme-challenge.example.test."),
                                Set.of(Type.TXT)),
                        new Grant(Grant.Match.WILDCARD, Name.fromConstantString("*.dyn.example.test."), Set.of()),
                        new Grant(
                                Grant.Match.ACME_CHALLENGE,
                                Name.fromConstantString("example.test."),
                                Set.of(Type.TXT)));
        assertThat(p.policy().zone()).isEqualTo(Name.fromConstantString("example.test."));
    }

    static Stream<Arguments> refused() {
        String grants = "  grants: [{match: name, name: a.example.test}]\n";
        return Stream.of(
                Arguments.of("  keyFile: key\n" + grants, "spec.zone is required"),
                Arguments.of("  zone: other.test\n  keyFile: key\n" + grants, "is not a served zone"),
                Arguments.of("  zone: example.test\n" + grants, "spec.keyFile is required"),
                Arguments.of("  zone: example.test\n  keyFile: missing\n" + grants, "does not exist"),
                Arguments.of("  zone: example.test\n  keyFile: big.key\n" + grants, "not a key file"),
                Arguments.of("  zone: example.test\n  keyFile: bad.key\n" + grants, "not valid base64"),
                Arguments.of("  zone: example.test\n  keyFile: key\n", "spec.grants must list at least one grant"),
                Arguments.of(
                        "  zone: example.test\n  keyFile: key\n  grants: [{match: all, name: a.example.test}]\n",
                        "match must be name, subdomain, wildcard or acme-challenge"),
                Arguments.of(
                        "  zone: example.test\n  keyFile: key\n  grants: [{match: name, name: a.other.test}]\n",
                        "is not in the zone"),
                Arguments.of(
                        "  zone: example.test\n  keyFile: key\n  grants: [{match: wildcard, name: a.example.test}]\n",
                        "must start with '*.'"),
                Arguments.of(
                        "  zone: example.test\n  keyFile: key\n  grants: [{match: subdomain, name: '*.example.test'}]\n",
                        "must not start with '*.' for match: subdomain"),
                Arguments.of(
                        "  zone: example.test\n  keyFile: key\n  grants: [{match: name, name: a.example.test, types: [SOA]}]\n",
                        "'SOA' is not one of"),
                Arguments.of(
                        "  zone: example.test\n  keyFile: key\n  grants: [{match: name, name: a.example.test, x: 1}]\n",
                        ".x is not a known field"),
                Arguments.of(
                        "  zone: example.test\n  keyFile: key\n  surprise: 1\n" + grants,
                        "spec.surprise is not a known field"),
                Arguments.of(
                        "  zone: example.test\n  keyFile: key\n  grants: ["
                                + "{match: name, name: a.example.test}, ".repeat(PolicyDocuments.MAX_GRANTS)
                                + "{match: name, name: a.example.test}]\n",
                        "more than " + PolicyDocuments.MAX_GRANTS));
    }

    @ParameterizedTest
    @MethodSource("refused")
    void refusedWithAMessageNamingTheField(String spec, String message) throws IOException {
        LoadResult r = load(spec);

        assertThat(r.policies()).isEmpty();
        assertThat(r.policiesRejected()).isEqualTo(1);
        assertThat(r.rejections()).singleElement().satisfies(rej -> {
            assertThat(rej.toLogLine()).contains(message);
            assertThat(rej.toLogLine()).doesNotContain(SECRET);
        });
    }

    /** A cluster's policy (key in a Secret) beside the standalone manifests is skipped, not refused or used. */
    @Test
    void aPolicyWithOnlyAKeySecretRefIsIgnored() throws IOException {
        LoadResult r = load("  zone: example.test\n  keySecretRef: {name: acme-tsig}\n"
                + "  grants: [{match: name, name: a.example.test}]\n");

        assertThat(r.policies()).isEmpty();
        assertThat(r.policiesRejected()).isZero();
        assertThat(r.rejections()).isEmpty();
        assertThat(r.ignoredDocuments()).isEqualTo(1);
    }

    @Test
    void policiesAreNotCountedAsIgnoredDocumentsAndRecordsStillLoad() throws IOException {
        LoadResult r = load("  zone: example.test\n  keyFile: key\n  grants: [{match: name, name: a.example.test}]\n");
        Files.writeString(
                dir.resolve("r.yaml"),
                "apiVersion: zonekeeper.dev/v1alpha1\nkind: DnsRecord\nmetadata: {name: a}\n"
                        + "spec: {name: a.example.test, type: A, values: ['192.0.2.1']}\n");
        LoadResult both = new ManifestDirectory(dir, ZONES).load();

        assertThat(r.ignoredDocuments()).isZero();
        assertThat(both.policies()).hasSize(1);
        assertThat(both.records()).hasSize(1);
        assertThat(both.recordFiles()).containsExactly(Path.of("r.yaml"));
        assertThat(List.copyOf(both.policies())).isEqualTo(List.copyOf(r.policies())); // equal by value
    }
}
