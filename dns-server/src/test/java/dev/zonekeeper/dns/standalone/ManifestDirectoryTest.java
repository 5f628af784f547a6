package dev.zonekeeper.dns.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

class ManifestDirectoryTest {

    static final Set<Name> ZONES = Set.of(name("example.test."), name("cluster.local."));

    @TempDir
    Path dir;

    @Test
    void loadsEveryDnsRecordOfEveryYamlFileInSortedPathOrder() throws IOException {
        write("b.yml", dnsRecord("b", "b.example.test.", "A", 60, "192.0.2.2"));
        write(
                "a.yaml",
                dnsRecord("a1", "a.example.test.", "A", null, "192.0.2.1") + "---\n"
                        + dnsRecord("a2", "a.example.test.", "TXT", null, "hello world"));
        write("nested/deeper/c.yaml", dnsRecord("c", "c.cluster.local", "AAAA", null, "2001:db8::3"));
        write("notes.txt", dnsRecord("txt", "t.example.test.", "A", null, "192.0.2.9"));

        LoadResult result = load();

        assertThat(result.rejections()).isEmpty();
        assertThat(result.records())
                .extracting(ManifestDirectoryTest::line)
                .containsExactly(
                        "a.example.test. 30 A 192.0.2.1",
                        "a.example.test. 30 TXT \"hello world\"",
                        "b.example.test. 60 A 192.0.2.2",
                        "c.cluster.local. 30 AAAA 2001:db8:0:0:0:0:0:3");
        assertThat(result.ignoredDocuments()).isZero();
    }

    @Test
    void documentsOfOtherKindsAndVersionsAreCountedAndIgnored() throws IOException {
        write("mixed.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings}
                data: {a: b}
                ---
                # a Helm values file has no kind at all
                replicaCount: 2
                ---
                apiVersion: zonekeeper.dev/v1beta9
                kind: DnsRecord
                metadata: {name: future}
                spec: {name: future.example.test., type: A, values: [192.0.2.7]}
                ---
                - a list, not a mapping
                ---
                ---
                """ + dnsRecord("kept", "kept.example.test.", "A", null, "192.0.2.8"));

        LoadResult result = load();

        assertThat(result.rejections()).isEmpty();
        assertThat(result.records()).extracting(r -> r.getName().toString()).containsExactly("kept.example.test.");
        assertThat(result.ignoredDocuments()).isEqualTo(4);
        assertThat(result.summary()).isEqualTo("1 record loaded, 0 rejections, 4 other documents ignored");
    }

    @Test
    void fileWithBrokenYamlIsRejectedWithItsNameAndPositionWhileOthersLoad() throws IOException {
        write("good.yaml", dnsRecord("good", "good.example.test.", "A", null, "192.0.2.1"));
        write("broken.yaml", dnsRecord("before", "before.example.test.", "A", null, "192.0.2.2") + """
                ---
                apiVersion: zonekeeper.dev/v1alpha1
                kind: DnsRecord
                metadata:
                  name: broken
                spec:
                  name: broken.example.test.
                  type: A
                   values: [192.0.2.3]
                """);

        LoadResult result = load();

        assertThat(result.records()).extracting(r -> r.getName().toString()).containsExactly("good.example.test.");
        assertThat(result.rejections()).hasSize(1);
        Rejection rejection = result.rejections().get(0);
        assertThat(rejection.file()).isEqualTo(dir.resolve("broken.yaml"));
        assertThat(rejection.document()).isEmpty();
        assertThat(rejection.reason())
                .isEqualTo("not valid YAML: mapping values are not allowed here (line 18, column 10)");
        assertThat(rejection.toLogLine()).startsWith(dir.resolve("broken.yaml") + ": not valid YAML: ");
    }

    @Test
    void anUnquotedWildcardNameGetsAHint() throws IOException {
        write("wild.yaml", """
                apiVersion: zonekeeper.dev/v1alpha1
                kind: DnsRecord
                metadata: {name: wild}
                spec:
                  name: *.apps.example.test.
                  type: A
                  values: [192.0.2.1]
                """);

        assertThat(load().rejections())
                .extracting(Rejection::reason)
                .containsExactly("not valid YAML: while"
                        + " scanning an alias: unexpected character found .(46) (a value starting with '*' or '&', such as a"
                        + " wildcard name, must be quoted) (line 5, column 10)");
    }

    @Test
    void duplicateKeysAreAYamlError() throws IOException {
        write("dup.yaml", """
                apiVersion: zonekeeper.dev/v1alpha1
                kind: DnsRecord
                metadata: {name: dup}
                spec:
                  name: dup.example.test.
                  type: A
                  type: AAAA
                  values: [192.0.2.1]
                """);

        LoadResult result = load();

        assertThat(result.records()).isEmpty();
        assertThat(result.rejections())
                .extracting(Rejection::reason)
                .singleElement()
                .asString()
                .startsWith("not valid YAML: Duplicate field 'type'");
    }

    @Test
    void invalidSpecsAreRejectedByDocumentWithEveryReason() throws IOException {
        write(
                "bad.yaml",
                dnsRecord("bad-address", "a.example.test.", "A", 90000, "192.0.2.1", "1.2.3")
                        + "---\n" + """
                apiVersion: zonekeeper.dev/v1alpha1
                kind: DnsRecord
                metadata: {name: typo}
                spec: {name: t.example.test., type: A, value: [192.0.2.1]}
                ---
                apiVersion: zonekeeper.dev/v1alpha1
                kind: DnsRecord
                metadata: {namespace: team-a}
                spec: {name: n.example.test., type: TXT, ttl: "30", values: [12345, "ok"]}
                ---
                apiVersion: zonekeeper.dev/v1alpha1
                kind: DnsRecord
                metadata: {name: nospec, namespace: team-b}
                """ + "---\n" + dnsRecord("fine", "fine.example.test.", "A", null, "192.0.2.4"));

        LoadResult result = load();

        Path file = dir.resolve("bad.yaml");
        assertThat(result.rejections())
                .containsExactly(
                        new Rejection(
                                file,
                                "bad-address",
                                "ttl 90000 is outside 0-86400; values[1] '1.2.3' is not a valid A address"),
                        new Rejection(file, "typo", "spec.value is not a known field (name, type, ttl, values)"),
                        new Rejection(
                                file,
                                "document 3",
                                "metadata.name is required; ttl must be a whole number of seconds,"
                                        + " got '30'; values[0] must be a string (quote it in YAML)"),
                        new Rejection(file, "team-b/nospec", "spec is required"));
        assertThat(result.records()).extracting(r -> r.getName().toString()).containsExactly("fine.example.test.");
        assertThat(result.rejections().get(0).toLogLine())
                .isEqualTo(file
                        + " (bad-address): ttl 90000 is outside 0-86400; values[1] '1.2.3' is not a valid A address");
    }

    @Test
    void recordsOutsideEveryServedZoneAreRejected() throws IOException {
        write(
                "zones.yaml",
                dnsRecord("out", "foo.other.", "A", null, "192.0.2.1")
                        + "---\n" + dnsRecord("parent", "test.", "A", null, "192.0.2.2")
                        + "---\n" + dnsRecord("apex-alias", "example.test.", "CNAME", null, "www.example.test.")
                        + "---\n" + dnsRecord("apex-mx", "example.test.", "MX", null, "10 mail.example.test."));

        LoadResult result = load();

        Path file = dir.resolve("zones.yaml");
        assertThat(result.rejections())
                .containsExactly(
                        new Rejection(
                                file,
                                "out",
                                "name foo.other. is outside every served zone (cluster.local., example.test.)"),
                        new Rejection(
                                file,
                                "parent",
                                "name test. is outside every served zone (cluster.local., example.test.)"),
                        new Rejection(
                                file,
                                "apex-alias",
                                "CNAME at the zone apex example.test. is not allowed (the apex holds"
                                        + " the zone's SOA and NS records)"));
        assertThat(result.records())
                .extracting(ManifestDirectoryTest::line)
                .containsExactly("example.test. 30 MX 10 mail.example.test.");
    }

    @Test
    void conflictsAreWonByTheFirstFileInPathOrder() throws IOException {
        write("a/www.yaml", dnsRecord("www", "www.example.test.", "A", null, "192.0.2.1"));
        write(
                "b.yaml",
                dnsRecord("www-again", "WWW.example.test.", "A", 300, "192.0.2.99")
                        + "---\n" + dnsRecord("www-alias", "www.example.test.", "CNAME", null, "web.example.test.")
                        + "---\n" + dnsRecord("www-v6", "www.example.test.", "AAAA", null, "2001:db8::1"));
        write("c.yaml", dnsRecord("alias", "alias.example.test.", "CNAME", null, "www.example.test."));
        write("d.yaml", dnsRecord("alias-txt", "alias.example.test.", "TXT", null, "x"));

        LoadResult result = load();

        assertThat(result.records())
                .extracting(ManifestDirectoryTest::line)
                .containsExactly(
                        "www.example.test. 30 A 192.0.2.1",
                        "www.example.test. 30 AAAA 2001:db8:0:0:0:0:0:1",
                        "alias.example.test. 30 CNAME www.example.test.");
        assertThat(result.rejections())
                .containsExactly(
                        new Rejection(
                                dir.resolve("b.yaml"),
                                "www-again",
                                "A records for WWW.example.test. are already defined by a/www.yaml (www)"),
                        new Rejection(
                                dir.resolve("b.yaml"),
                                "www-alias",
                                "CNAME at www.example.test. conflicts with the A"
                                        + " records defined by a/www.yaml (www) (a CNAME cannot share its name with other data)"),
                        new Rejection(
                                dir.resolve("d.yaml"),
                                "alias-txt",
                                "TXT records at alias.example.test. conflict with"
                                        + " the CNAME defined by c.yaml (alias) (a CNAME cannot share its name with other data)"));
    }

    @Test
    void hiddenFilesAndDirectoriesAreSkippedSoAMountedConfigMapIsReadOnce() throws IOException {
        // The layout kubelet gives a mounted ConfigMap: data in a hidden timestamped directory, reached through
        // ..data and one symbolic link per key.
        write("..2026_11_22_04_00_00.123/records.yaml", dnsRecord("cm", "cm.example.test.", "A", null, "192.0.2.1"));
        Files.createSymbolicLink(dir.resolve("..data"), dir.resolve("..2026_11_22_04_00_00.123"));
        Files.createSymbolicLink(dir.resolve("records.yaml"), Path.of("..data/records.yaml"));
        write(".editor-swap.yaml", dnsRecord("swap", "swap.example.test.", "A", null, "192.0.2.2"));

        LoadResult result = load();

        assertThat(result.rejections()).isEmpty();
        assertThat(result.records()).extracting(r -> r.getName().toString()).containsExactly("cm.example.test.");
    }

    @Test
    void aMissingDirectoryIsAnError() {
        ManifestDirectory manifests = new ManifestDirectory(dir.resolve("absent"), ZONES);

        assertThatThrownBy(manifests::load)
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining(dir.resolve("absent").toString())
                .hasMessageContaining("does not exist");
    }

    @Test
    void servedZonesMustBeAbsolute() {
        assertThatThrownBy(() -> new ManifestDirectory(dir, Set.of(Name.fromConstantString("example"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("served zone example is not an absolute name");
    }

    private LoadResult load() {
        return new ManifestDirectory(dir, ZONES).load();
    }

    private void write(String relative, String content) throws IOException {
        Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    static String dnsRecord(String metadataName, String name, String type, Integer ttl, String... values) {
        StringBuilder yaml = new StringBuilder()
                .append("apiVersion: zonekeeper.dev/v1alpha1\n")
                .append("kind: DnsRecord\n")
                .append("metadata:\n  name: ")
                .append(metadataName)
                .append('\n')
                .append("spec:\n  name: '")
                .append(name)
                .append("'\n")
                .append("  type: ")
                .append(type)
                .append('\n');
        if (ttl != null) {
            yaml.append("  ttl: ").append(ttl).append('\n');
        }
        yaml.append("  values:\n");
        for (String value : values) {
            yaml.append("    - '").append(value.replace("'", "''")).append("'\n");
        }
        return yaml.toString();
    }

    /** A record as one line: name, TTL, type, RDATA. */
    static String line(org.xbill.DNS.Record r) {
        return r.getName() + " " + r.getTTL() + " " + Type.string(r.getType()) + " " + r.rdataToString();
    }

    static Name name(String text) {
        return Name.fromConstantString(text);
    }
}
