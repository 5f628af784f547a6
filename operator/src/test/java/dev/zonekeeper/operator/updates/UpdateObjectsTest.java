package dev.zonekeeper.operator.updates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zonekeeper.operator.api.v1alpha1.DnsRecordSpec;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CAARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

class UpdateObjectsTest {

    private static final String DNS_1123_LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";

    @Test
    void objectNamesAreReadableDistinctDns1123LabelsOfAtMost63Characters() {
        Name acme = Name.fromConstantString("_acme-challenge.www.example.test.");
        assertThat(UpdateObjects.objectName(acme, Type.TXT))
                .matches(DNS_1123_LABEL)
                .startsWith("acme-challenge-www-example-test-txt-");
        assertThat(UpdateObjects.objectName(Name.fromConstantString("_ACME-Challenge.WWW.example.test."), Type.TXT))
                .as("owner names compare without case")
                .isEqualTo(UpdateObjects.objectName(acme, Type.TXT));
        Name longName = Name.fromConstantString(
                "a-very-long-label-that-goes-on-and-on-and-on.another-long-label-for-good-measure.example.test.");
        Set<String> names = new HashSet<>();
        for (Name n : List.of(
                acme,
                longName,
                Name.fromConstantString("*.dyn.example.test."),
                Name.fromConstantString("_dyn.example.test."), // same readable part as dyn.example.test
                Name.fromConstantString("dyn.example.test."),
                Name.fromConstantString("--.example.test."))) {
            for (int type : new int[] {Type.TXT, Type.A, Type.CNAME}) {
                String objectName = UpdateObjects.objectName(n, type);
                assertThat(objectName).hasSizeLessThanOrEqualTo(63).matches(DNS_1123_LABEL);
                names.add(objectName);
            }
        }
        assertThat(names).as("every RRset its own object").hasSize(18);
        assertThat(UpdateObjects.objectName(Name.fromConstantString("*.dyn.example.test."), Type.A))
                .startsWith("wildcard-dyn-example-test-a-");
    }

    @Test
    void keyNamesBecomeValidLabelValues() {
        String valid = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
        assertThat(UpdateObjects.labelValue(Name.fromConstantString("acme-key.")))
                .isEqualTo("acme-key");
        assertThat(UpdateObjects.labelValue(Name.fromConstantString("cert-manager.certs.example.")))
                .isEqualTo("cert-manager.certs.example");
        String longKey = "k".repeat(60) + ".z" + "y".repeat(40) + ".";
        assertThat(UpdateObjects.labelValue(Name.fromConstantString(longKey)))
                .hasSizeLessThanOrEqualTo(63)
                .matches(valid);
        assertThat(UpdateObjects.labelValue(Name.fromConstantString("_key\\@x.")))
                .hasSizeLessThanOrEqualTo(63)
                .matches(valid);
    }

    @Test
    void specsReadBackAsTheVeryRecords() throws Exception {
        Name owner = Name.fromConstantString("_acme-challenge.example.test.");
        List<org.xbill.DNS.Record> txt = List.of(
                new TXTRecord(owner, DClass.IN, 60, "plain token"),
                new TXTRecord(owner, DClass.IN, 60, "\"starts with a quote"),
                new TXTRecord(owner, DClass.IN, 60, List.of("two", "strings")),
                new TXTRecord(owner, DClass.IN, 60, "back\\slash"));
        DnsRecordSpec spec = UpdateObjects.spec(owner, Type.TXT, 60, txt);
        assertThat(spec.getName()).isEqualTo("_acme-challenge.example.test");
        assertThat(spec.getType()).isEqualTo(DnsRecordType.TXT);
        assertThat(spec.getTtl()).isEqualTo(60);
        assertThat(spec.getValues()).contains("\"plain token\"", "\"two\" \"strings\"");
        assertThat(UpdateObjects.recordsOf(spec)).contains(new HashSet<>(txt));

        Name host = Name.fromConstantString("host.example.test.");
        List<org.xbill.DNS.Record> others =
                List.of(new MXRecord(host, DClass.IN, 30, 10, Name.fromConstantString("mail.example.test.")));
        assertThat(UpdateObjects.recordsOf(UpdateObjects.spec(host, Type.MX, 30, others)))
                .contains(new HashSet<>(others));
        List<org.xbill.DNS.Record> caa = List.of(new CAARecord(host, DClass.IN, 30, 0, "issue", "letsencrypt.org"));
        assertThat(UpdateObjects.recordsOf(UpdateObjects.spec(host, Type.CAA, 30, caa)))
                .contains(new HashSet<>(caa));
        List<org.xbill.DNS.Record> a = List.of(new ARecord(host, DClass.IN, 30, InetAddress.getByName("192.0.2.1")));
        assertThat(UpdateObjects.spec(host, Type.A, 30, a).getValues()).containsExactly("192.0.2.1");

        assertThatThrownBy(() -> UpdateObjects.spec(host, Type.A, 86_401, a))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("TTL");
        assertThatThrownBy(() -> UpdateObjects.spec(host, Type.HINFO, 30, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
