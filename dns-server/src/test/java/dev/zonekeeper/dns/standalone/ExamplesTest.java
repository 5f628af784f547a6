package dev.zonekeeper.dns.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.record.RecordSpecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** The shipped examples load as documented in examples/README.md: standalone with these two zones. */
class ExamplesTest {

    private static final Path EXAMPLES = Path.of("..", "examples");
    private static final Set<Name> ZONES =
            Set.of(Name.fromConstantString("example.test."), Name.fromConstantString("2.0.192.in-addr.arpa."));

    private final LoadResult result = load();

    private static LoadResult load() {
        assertThat(EXAMPLES.resolve("records"))
                .as("examples/records, resolved from the dns-server module directory").isDirectory();
        return new ManifestDirectory(EXAMPLES, ZONES).load();
    }

    @Test
    void examplesLoadWithoutRejectionsAndCoverEverySupportedType() {
        assertThat(result.rejections()).extracting(Rejection::toLogLine).isEmpty();
        assertThat(result.records().stream().map(r -> Type.string(r.getType())).collect(Collectors.toSet()))
                .containsAll(RecordSpecs.SUPPORTED_TYPES);
        assertThat(result.records()).anySatisfy(r -> assertThat(r.getName().isWild()).isTrue());
    }

    @Test
    void longTxtValueIsServedAsSeveralStrings() {
        TXTRecord dkim = (TXTRecord) find("default._domainkey.example.test.", Type.TXT).get(0);
        assertThat(dkim.getStrings()).hasSizeGreaterThan(1);
        assertThat(String.join("", dkim.getStrings())).startsWith("v=DKIM1; k=rsa; p=MIIB").hasSizeGreaterThan(255);
        assertThat(find("_acme-challenge.example.test.", Type.TXT)).hasSize(1);
        assertThat(find("info.example.test.", Type.TXT)).anySatisfy(r ->
                assertThat(((TXTRecord) r).getStrings()).hasSize(3));
    }

    @Test
    void delegatedNameServersInsideTheSubzoneHaveGlue() {
        List<org.xbill.DNS.Record> delegation = find("lab.example.test.", Type.NS);
        assertThat(delegation).isNotEmpty();
        for (org.xbill.DNS.Record ns : delegation) {
            Name target = ((NSRecord) ns).getTarget();
            assertThat(target.subdomain(ns.getName())).as("in-bailiwick name server %s", target).isTrue();
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
                assertThat(addresses(target)).as("address of %s, the target of %s", target, r).isNotEmpty();
            }
        }
    }

    @Test
    void readmeDocumentsHowToServeTheExamples() throws Exception {
        String readme = Files.readString(EXAMPLES.resolve("README.md"));
        assertThat(readme).contains("--zone example.test --zone 2.0.192.in-addr.arpa");
    }

    private List<org.xbill.DNS.Record> find(String name, int type) {
        Name owner = Name.fromConstantString(name);
        return result.records().stream().filter(r -> r.getName().equals(owner) && r.getType() == type).toList();
    }

    private List<org.xbill.DNS.Record> addresses(Name name) {
        return result.records().stream()
                .filter(r -> r.getName().equals(name) && (r.getType() == Type.A || r.getType() == Type.AAAA))
                .toList();
    }
}
