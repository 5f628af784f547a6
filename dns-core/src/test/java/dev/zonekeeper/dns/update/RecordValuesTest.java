package dev.zonekeeper.dns.update;

import static dev.zonekeeper.dns.update.UpdateTesting.name;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.record.RecordSpecs;
import dev.zonekeeper.dns.record.SpecResult;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** What an update writes as DnsRecord values reads back through RecordSpecs as the same bytes. */
class RecordValuesTest {
    static final Name OWNER = name("_acme-challenge.example.test.");

    static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    static Stream<Arguments> txt() {
        return Stream.of(
                Arguments.of("a token", List.of("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0".getBytes())),
                Arguments.of("spaces", List.of("v=spf1 include:x -all".getBytes())),
                Arguments.of("quotes", List.of("say \"hi\"".getBytes())),
                Arguments.of("backslashes", List.of("a\\b\\\\c\\".getBytes())),
                Arguments.of("zone-file specials", List.of("a;b(c)d$e@f".getBytes())),
                Arguments.of("UTF-8", List.of("grüße, 東京".getBytes(StandardCharsets.UTF_8))),
                Arguments.of("bytes that are not UTF-8", List.of(bytes(0xFF, 0x00, 0x80, '\n', '\t', 0x7F))),
                Arguments.of("an empty string", List.of(new byte[0])),
                Arguments.of("several strings", List.of("one".getBytes(), "two words".getBytes(), new byte[0])),
                Arguments.of("a full 255-byte string", List.of("x".repeat(255).getBytes())),
                Arguments.of("a string of digits", List.of("123".getBytes())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void txt(String description, List<byte[]> strings) {
        TXTRecord record = (TXTRecord) org.xbill.DNS.Record.newRecord(OWNER, Type.TXT, DClass.IN, 60, rdata(strings));

        String value = RecordValues.value(record);
        SpecResult back = RecordSpecs.validate(RecordValues.spec(OWNER, Type.TXT, 60, List.of(record)));

        assertThat(back.errors()).as(value).isEmpty();
        TXTRecord read = (TXTRecord) back.records().get(0);
        assertThat(read.getStringsAsByteArrays()).as(value).containsExactlyElementsOf(strings);
        assertThat(RecordValues.problem(OWNER, Type.TXT, 60, List.of(record))).isEmpty();
    }

    static byte[] rdata(List<byte[]> strings) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] s : strings) {
            out.write(s.length);
            out.writeBytes(s);
        }
        return out.toByteArray();
    }

    static Stream<Arguments> others() {
        return Stream.of(
                Arguments.of(Type.A, "192.0.2.1"),
                Arguments.of(Type.AAAA, "2001:db8::1"),
                Arguments.of(Type.CNAME, "Target.Example.Test."),
                Arguments.of(Type.MX, "10 mail.example.test."),
                Arguments.of(Type.SRV, "0 5 443 svc.example.test."),
                Arguments.of(Type.NS, "ns.sub.example.test."),
                Arguments.of(Type.PTR, "host.example.test."),
                Arguments.of(Type.CAA, "0 issue \"letsencrypt.org; validationmethods=dns-01\""));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource
    void others(int type, String rdata) throws Exception {
        org.xbill.DNS.Record record = org.xbill.DNS.Record.fromString(OWNER, type, DClass.IN, 60, rdata, Name.root);
        SpecResult back = RecordSpecs.validate(RecordValues.spec(OWNER, type, 60, List.of(record)));
        assertThat(back.errors()).isEmpty();
        assertThat(back.records()).containsExactly(record);
        assertThat(back.records().get(0).rdataToString()).isEqualTo(record.rdataToString());
    }

    @Test
    void aRecordTheValidatorRefusesIsReportedInItsWords() throws Exception {
        org.xbill.DNS.Record a = org.xbill.DNS.Record.fromString(OWNER, Type.A, DClass.IN, 60, "192.0.2.1", Name.root);
        assertThat(RecordValues.problem(OWNER, Type.A, 100_000, List.of(a)))
                .get()
                .asString()
                .contains("ttl 100000");
        org.xbill.DNS.Record hinfo =
                org.xbill.DNS.Record.fromString(OWNER, Type.HINFO, DClass.IN, 60, "cpu os", Name.root);
        assertThat(RecordValues.problem(OWNER, Type.HINFO, 60, List.of(hinfo)))
                .get()
                .asString()
                .contains("HINFO");
        assertThat(RecordValues.writable(Type.TXT)).isTrue();
        assertThat(RecordValues.writable(Type.SOA)).isFalse();
    }
}
