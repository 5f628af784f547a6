package dev.zonekeeper.dns.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.zonekeeper.dns.record.RecordSpecs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** The shipped examples load as documented in examples/README.md: standalone with these two zones. */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class ExamplesTest {

    private static final Path EXAMPLES = Path.of("..", "examples");
    private static final Set<Name> ZONES =
            Set.of(Name.fromConstantString("example.test."), Name.fromConstantString("2.0.192.in-addr.arpa."));

    private final LoadResult result = load();

    private static LoadResult load() {
        assertThat(EXAMPLES.resolve("records"))
                .as("examples/records, resolved from the dns-server module directory")
                .isDirectory();
        return new ManifestDirectory(EXAMPLES, ZONES).load();
    }

    @Test
    void examplesLoadWithoutRejectionsAndCoverEverySupportedType() {
        assertThat(result.rejections()).extracting(Rejection::toLogLine).isEmpty();
        assertThat(result.records().stream().map(r -> Type.string(r.getType())).collect(Collectors.toSet()))
                .containsAll(RecordSpecs.SUPPORTED_TYPES);
        assertThat(result.records())
                .anySatisfy(r -> assertThat(r.getName().isWild()).isTrue());
    }

    @Test
    void longTxtValueIsServedAsSeveralStrings() {
        TXTRecord dkim =
                (TXTRecord) find("default._domainkey.example.test.", Type.TXT).get(0);
        assertThat(dkim.getStrings()).hasSizeGreaterThan(1);
        assertThat(String.join("", dkim.getStrings()))
                .startsWith("v=DKIM1; k=rsa; p=MIIB")
                .hasSizeGreaterThan(255);
        assertThat(find("_verification.example.test.", Type.TXT)).hasSize(1);
        assertThat(find("info.example.test.", Type.TXT))
                .anySatisfy(r -> assertThat(((TXTRecord) r).getStrings()).hasSize(3));
    }

    @Test
    void delegatedNameServersInsideTheSubzoneHaveGlue() {
        List<org.xbill.DNS.Record> delegation = find("lab.example.test.", Type.NS);
        assertThat(delegation).isNotEmpty();
        for (org.xbill.DNS.Record ns : delegation) {
            Name target = ((NSRecord) ns).getTarget();
            assertThat(target.subdomain(ns.getName()))
                    .as("in-bailiwick name server %s", target)
                    .isTrue();
            assertThat(addresses(target)).as("glue for %s", target).isNotEmpty();
        }
    }

    @Test
    void everyTargetInsideTheServedZonesHasAnAddress() {
        for (org.xbill.DNS.Record r : result.records()) {
            Name target = null;
            if (r instanceof CNAMERecord cname) {
                target = cname.getTarget();
            } else if (r instanceof MXRecord mx) {
                target = mx.getTarget();
            } else if (r instanceof SRVRecord srv) {
                target = srv.getTarget();
            } else if (r instanceof PTRRecord ptr) {
                target = ptr.getTarget();
            }
            if (target != null && target.subdomain(Name.fromConstantString("example.test."))) {
                assertThat(addresses(target))
                        .as("address of %s, the target of %s", target, r)
                        .isNotEmpty();
            }
        }
    }

    @Test
    void readmeDocumentsHowToServeTheExamples() throws Exception {
        String readme = Files.readString(EXAMPLES.resolve("README.md"));
        assertThat(readme).contains("--zone example.test --zone 2.0.192.in-addr.arpa");
    }

    /**
     * BIND's zone checker accepts each example zone, completed with the SOA and NS the server adds: names, MX and SRV
     * targets (no CNAMEs, addresses present), delegation glue, CNAME beside other data.
     */
    @Test
    void examplesPassBindZoneChecks(@TempDir Path tmp) throws Exception {
        Path checker = findExecutable("named-checkzone");
        if (checker == null) {
            String message = "named-checkzone is not installed (Debian package bind9-utils)";
            if ("true".equals(System.getenv("CI"))) {
                fail(message);
            }
            abort(message);
        }
        for (Name zone : ZONES) {
            StringBuilder text = new StringBuilder()
                    .append(zone)
                    .append(" 3600 IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 30\n")
                    .append(zone)
                    .append(" 3600 IN NS ns.example.test.\n");
            if (zone.equals(Name.fromConstantString("example.test."))) {
                text.append("ns.example.test. 3600 IN A 192.0.2.1\n");
            }
            List<org.xbill.DNS.Record> inZone = result.records().stream()
                    .filter(r -> r.getName().subdomain(zone))
                    .toList();
            assertThat(inZone).as("records in %s", zone).isNotEmpty();
            inZone.forEach(r -> text.append(r).append('\n'));
            Path file = tmp.resolve(zone + "zone");
            Files.writeString(file, text);

            Process process = new ProcessBuilder(
                            checker.toString(),
                            "-i",
                            "local",
                            "-k",
                            "fail",
                            "-n",
                            "fail",
                            "-m",
                            "fail",
                            "-M",
                            "fail",
                            "-S",
                            "fail",
                            zone.toString(),
                            file.toString())
                    .redirectErrorStream(true)
                    .start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor())
                    .as("named-checkzone %s:%n%s%n%s", zone, output, text)
                    .isZero();
            assertThat(output).contains("OK");
        }
    }

    private static Path findExecutable(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/sbin")) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private List<org.xbill.DNS.Record> find(String name, int type) {
        Name owner = Name.fromConstantString(name);
        return result.records().stream()
                .filter(r -> r.getName().equals(owner) && r.getType() == type)
                .toList();
    }

    private List<org.xbill.DNS.Record> addresses(Name name) {
        return result.records().stream()
                .filter(r -> r.getName().equals(name) && (r.getType() == Type.A || r.getType() == Type.AAAA))
                .toList();
    }
}
