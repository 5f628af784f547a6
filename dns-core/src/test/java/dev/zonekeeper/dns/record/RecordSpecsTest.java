package dev.zonekeeper.dns.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

class RecordSpecsTest {

    private static final String LONG_TEXT = "k=" + "0123456789".repeat(40); // 402 bytes

    static Stream<Arguments> validSpecs() {
        return Stream.of(
                arguments(
                        "www.example.test.",
                        "A",
                        300L,
                        List.of("192.0.2.1", "192.0.2.2"),
                        List.of("192.0.2.1", "192.0.2.2")),
                arguments("www.example.test", "AAAA", null, List.of("2001:db8::1"), List.of("2001:db8:0:0:0:0:0:1")),
                arguments(
                        "v4mapped.example.test.",
                        "AAAA",
                        null,
                        List.of("::ffff:192.0.2.1"),
                        List.of("0:0:0:0:0:ffff:192.0.2.1")),
                arguments("app.example.test.", "CNAME", 0L, List.of("www.example.test."), List.of("www.example.test.")),
                // Names in RDATA are absolute with or without the trailing dot.
                arguments(
                        "app.example.test.", "CNAME", null, List.of("www.example.test"), List.of("www.example.test.")),
                arguments("*.apps.example.test.", "A", null, List.of("192.0.2.20"), List.of("192.0.2.20")),
                arguments(
                        "example.test.",
                        "MX",
                        3600L,
                        List.of("10 mail.example.test.", "20 mail2.example.test"),
                        List.of("10 mail.example.test.", "20 mail2.example.test.")),
                arguments("nomail.example.test.", "MX", null, List.of("0 ."), List.of("0 .")),
                arguments("example.test.", "TXT", null, List.of("v=spf1 mx -all"), List.of("\"v=spf1 mx -all\"")),
                arguments(
                        "info.example.test.",
                        "TXT",
                        null,
                        List.of("\"one\" \"two\" \"a \\\"quoted\\\" word\""),
                        List.of("\"one\" \"two\" \"a \\\"quoted\\\" word\"")),
                // Unquoted text is literal: ; ( ) " and \ are part of it.
                arguments(
                        "dkim.example.test.",
                        "TXT",
                        null,
                        List.of("v=DKIM1; k=rsa; n=(a \"b\") c\\d"),
                        List.of("\"v=DKIM1; k=rsa; n=(a \\\"b\\\") c\\\\d\"")),
                arguments("empty.example.test.", "TXT", null, List.of(""), List.of("\"\"")),
                arguments(
                        "utf8.example.test.",
                        "TXT",
                        null,
                        List.of("\"caf\u00e9\"", "th\u00e9"),
                        List.of("\"caf\\195\\169\"", "\"th\\195\\169\"")),
                arguments(
                        "_acme-challenge.example.test.",
                        "TXT",
                        0L,
                        List.of("zoAtXEGkZOr7ZWC6es9zcrs8vfpGAQ-nXlRZv7-6jEM"),
                        List.of("\"zoAtXEGkZOr7ZWC6es9zcrs8vfpGAQ-nXlRZv7-6jEM\"")),
                arguments(
                        "_sip._tcp.example.test.",
                        "SRV",
                        null,
                        List.of("10 60 5060 sip.example.test."),
                        List.of("10 60 5060 sip.example.test.")),
                arguments(
                        "lab.example.test.",
                        "NS",
                        86400L,
                        List.of("ns1.lab.example.test.", "ns2.lab.example.test"),
                        List.of("ns1.lab.example.test.", "ns2.lab.example.test.")),
                arguments(
                        "10.2.0.192.in-addr.arpa.",
                        "PTR",
                        null,
                        List.of("www.example.test."),
                        List.of("www.example.test.")),
                arguments(
                        "example.test.",
                        "CAA",
                        null,
                        List.of("0 issue \"letsencrypt.org\"", "0 issuewild \";\"", "128 iodef mailto:a@example.test"),
                        List.of(
                                "0 issue \"letsencrypt.org\"",
                                "0 issuewild \";\"",
                                "128 iodef \"mailto:a@example.test\"")));
    }

    @ParameterizedTest(name = "{0} {1} {3}")
    @MethodSource("validSpecs")
    void validSpecGivesOneRecordPerValue(
            String name, String type, Long ttl, List<String> values, List<String> expectedRdata) throws Exception {
        SpecResult result = RecordSpecs.validate(new RecordSpec(name, type, ttl, values));

        assertThat(result.errors()).isEmpty();
        Name owner = Name.fromString(name.endsWith(".") ? name : name + ".");
        // Record.equals compares owner, type, class and RDATA.
        List<org.xbill.DNS.Record> expected = new ArrayList<>();
        for (String rdata : expectedRdata) {
            expected.add(org.xbill.DNS.Record.fromString(owner, Type.value(type), DClass.IN, 30, rdata, Name.root));
        }
        assertThat(result.records()).containsExactlyElementsOf(expected);
        assertThat(result.records()).allSatisfy(r -> {
            assertThat(r.getName()).isEqualTo(owner);
            assertThat(r.getType()).isEqualTo(Type.value(type));
            assertThat(r.getDClass()).isEqualTo(DClass.IN);
            assertThat(r.getTTL()).isEqualTo(ttl == null ? 30 : ttl);
        });
    }

    @Test
    void plainTextLongerThan255BytesIsSplitIntoStringsThatJoinToTheValue() {
        SpecResult result = RecordSpecs.validate(new RecordSpec("long.example.test.", "TXT", null, List.of(LONG_TEXT)));

        assertThat(result.errors()).isEmpty();
        TXTRecord txt = (TXTRecord) result.records().get(0);
        List<byte[]> strings = txt.getStringsAsByteArrays();
        assertThat(strings).extracting(s -> s.length).containsExactly(255, LONG_TEXT.length() - 255);
        assertThat(String.join("", txt.getStrings())).isEqualTo(LONG_TEXT);
    }

    @Test
    void plainTextIsNotCutInsideAUtf8Character() {
        String value = "a".repeat(254) + "\u00e9\u00e9"; // the first é would straddle byte 255
        SpecResult result = RecordSpecs.validate(new RecordSpec("utf8.example.test.", "TXT", null, List.of(value)));

        TXTRecord txt = (TXTRecord) result.records().get(0);
        List<byte[]> strings = txt.getStringsAsByteArrays();
        assertThat(strings).extracting(s -> s.length).containsExactly(254, 4);
        byte[] joined = new byte[258];
        System.arraycopy(strings.get(0), 0, joined, 0, 254);
        System.arraycopy(strings.get(1), 0, joined, 254, 4);
        assertThat(new String(joined, StandardCharsets.UTF_8)).isEqualTo(value);
    }

    @Test
    void quotedTxtStringsUpTo255BytesEachAreAccepted() {
        String value = "\"" + "x".repeat(255) + "\" \"" + "y".repeat(255) + "\"";
        SpecResult result = RecordSpecs.validate(new RecordSpec("q.example.test.", "TXT", null, List.of(value)));

        assertThat(result.errors()).isEmpty();
        assertThat(((TXTRecord) result.records().get(0)).getStrings())
                .containsExactly("x".repeat(255), "y".repeat(255));
    }

    static Stream<Arguments> invalidSpecs() {
        String supported = "(A, AAAA, CNAME, MX, TXT, SRV, NS, PTR, CAA)";
        return Stream.of(
                arguments(
                        spec("a.example.test.", "A", null, "192.0.2.1", "1.2.3"),
                        List.of("values[1] '1.2.3' is not a valid A address")),
                arguments(
                        spec("a.example.test.", "A", null, "256.1.1.1"),
                        List.of("values[0] '256.1.1.1' is not a valid A address")),
                arguments(
                        spec("a.example.test.", "A", null, "2001:db8::1"),
                        List.of("values[0] '2001:db8::1' is not a valid A address")),
                arguments(
                        spec("a.example.test.", "A", null, "192.0.2.1 192.0.2.2"),
                        List.of("values[0] '192.0.2.1 192.0.2.2' is not a valid A address")),
                arguments(
                        spec("a.example.test.", "AAAA", null, "192.0.2.1"),
                        List.of("values[0] '192.0.2.1' is not a valid AAAA address")),
                arguments(
                        spec("a.example.test.", "AAAA", null, "2001:db8:::1"),
                        List.of("values[0] '2001:db8:::1' is not a valid AAAA address")),
                arguments(
                        spec("a.example.test.", "CNAME", null, "b.example.test.", "c.example.test."),
                        List.of("CNAME must have exactly one value, got 2")),
                arguments(
                        spec("a.example.test.", "CNAME", null, "b.example.test. c.example.test."),
                        List.of(
                                "values[0] 'b.example.test. c.example.test.' is not valid CNAME data (<target name>):"
                                        + " unexpected tokens at end of record (wanted EOL/EOF, got <identifier: c.example.test.>)")),
                arguments(
                        spec("a.example.test.", "MX", null, "mail.example.test."),
                        List.of("values[0] 'mail.example.test.' is not valid MX data (<preference> <mail exchange>):"
                                + " expected an integer")),
                arguments(
                        spec("a.example.test.", "MX", null, "70000 mail.example.test."),
                        List.of("values[0] '70000 mail.example.test.' is not valid MX data (<preference> <mail"
                                + " exchange>): expected an 16 bit unsigned integer")),
                arguments(
                        spec("a.example.test.", "MX", null, "10 ma\u00efl.example.test."),
                        List.of("values[0] '10 ma\u00efl.example.test.' contains non-ASCII characters; write"
                                + " internationalised names in their xn-- (punycode) form")),
                arguments(
                        spec("a.example.test.", "TXT", null, "\"" + "x".repeat(256) + "\""),
                        List.of("values[0] string 1 is 256 bytes, more than the 255 a TXT string can hold; split it"
                                + " into several quoted strings, or give the text unquoted to have it split"
                                + " automatically")),
                arguments(
                        spec("a.example.test.", "TXT", null, "\"ok\" \"caf\u00e9" + "x".repeat(252) + "\""),
                        List.of("values[0] string 2 is 257 bytes, more than the 255 a TXT string can hold; split it"
                                + " into several quoted strings, or give the text unquoted to have it split"
                                + " automatically")),
                arguments(
                        spec("a.example.test.", "TXT", null, "\"bad \\999 escape\""),
                        List.of("values[0] string 1 has an invalid escape sequence (\\X or \\DDD with DDD at most"
                                + " 255)")),
                arguments(
                        spec("a.example.test.", "TXT", null, "\"unterminated"),
                        List.of("values[0] '\"unterminated' is not valid TXT data (one or more \"quoted strings\"):"
                                + " EOF in quoted string")),
                arguments(
                        spec("a.example.test.", "TXT", null, "\"v=DKIM1\"; k=rsa"),
                        List.of("values[0] '\"v=DKIM1\"; k=rsa' contains ';' outside quotes (a comment in zone-file"
                                + " format); put that text in double quotes")),
                arguments(
                        spec("a.example.test.", "TXT", null, "x".repeat(70_000)),
                        List.of("values[0] TXT value exceeds the 65535 bytes of data one record can hold (it is"
                                + " 70000 bytes)")),
                arguments(
                        spec("_sip._tcp.example.test.", "SRV", null, "10 60 sip.example.test."),
                        List.of("values[0] '10 60 sip.example.test.' is not valid SRV data (<priority> <weight> <port>"
                                + " <target>): expected an integer")),
                arguments(
                        spec("_sip._tcp.example.test.", "SRV", null, "10 60 70000 sip.example.test."),
                        List.of("values[0] '10 60 70000 sip.example.test.' is not valid SRV data (<priority> <weight>"
                                + " <port> <target>): expected an 16 bit unsigned integer")),
                arguments(
                        spec("lab.example.test.", "NS", null, ""),
                        List.of("values[0] '' is not valid NS data (<name server>): expected a name")),
                arguments(
                        spec("*.lab.example.test.", "NS", null, "ns1.example.test."),
                        List.of("NS records cannot be at a wildcard name (*.lab.example.test.)")),
                arguments(
                        spec("1.2.0.192.in-addr.arpa.", "PTR", null, "a..example.test."),
                        List.of("values[0] 'a..example.test.' is not valid PTR data (<target name>): invalid empty"
                                + " label")),
                arguments(
                        spec("example.test.", "CAA", null, "0 Bad-Tag \"x\""),
                        List.of("values[0] '0 Bad-Tag \"x\"' is not valid CAA data (<flags> <tag> \"<value>\"): invalid"
                                + " tag; must be ASCII letters and numbers in lowercase")),
                arguments(
                        spec("example.test.", "CAA", null, "300 issue \"letsencrypt.org\""),
                        List.of("values[0] '300 issue \"letsencrypt.org\"' is not valid CAA data (<flags> <tag>"
                                + " \"<value>\"): expected an 8 bit unsigned integer")),
                arguments(
                        spec("example.test.", "CAA", null, "0 issue letsencrypt.org; validationmethods=dns-01"),
                        List.of("values[0] '0 issue letsencrypt.org; validationmethods=dns-01' contains ';' outside"
                                + " quotes (a comment in zone-file format); put that text in double quotes")),
                arguments(
                        spec("a.example.test.", "A", null, "192.0.2.1", "192.0.2.1"),
                        List.of("values[1] repeats values[0]")),
                arguments(
                        spec("a.example.test.", "A", null, "192.0.2.1\n192.0.2.2"),
                        List.of("values[0] '192.0.2.1\n192.0.2.2' must be on a single line")),
                arguments(
                        new RecordSpec("a.example.test.", "A", null, Arrays.asList("192.0.2.1", null)),
                        List.of("values[1] is missing")),
                arguments(spec("a.example.test.", "FOO", null, "x"), List.of("type FOO is not supported " + supported)),
                arguments(
                        spec("a.example.test.", "a", null, "192.0.2.1"),
                        List.of("type a is not supported " + supported)),
                arguments(spec("a.example.test.", "SOA", null, "x"), List.of("type SOA is not supported " + supported)),
                arguments(spec("a.example.test.", null, null, "x"), List.of("type is required " + supported)),
                arguments(spec("a.example.test.", "A", 90_000L, "192.0.2.1"), List.of("ttl 90000 is outside 0-86400")),
                arguments(spec("a.example.test.", "A", -1L, "192.0.2.1"), List.of("ttl -1 is outside 0-86400")),
                arguments(
                        new RecordSpec("a.example.test.", "A", null, List.of()),
                        List.of("values must contain at least one value")),
                arguments(
                        new RecordSpec("a.example.test.", "A", null, null),
                        List.of("values must contain at least one value")),
                arguments(spec(null, "A", null, "192.0.2.1"), List.of("name is required")),
                arguments(
                        spec("a..example.test.", "A", null, "192.0.2.1"),
                        List.of("name 'a..example.test.' has an empty label")),
                arguments(
                        spec("a.*.example.test.", "A", null, "192.0.2.1"),
                        List.of("name 'a.*.example.test.' may only have '*' as its whole first label (a wildcard)")),
                arguments(
                        spec("foo*.example.test.", "A", null, "192.0.2.1"),
                        List.of("name 'foo*.example.test.' may only have '*' as its whole first label (a wildcard)")),
                arguments(
                        spec("my host.example.test.", "A", null, "192.0.2.1"),
                        List.of("name 'my host.example.test.' has an invalid label 'my host' (letters, digits, '-' and"
                                + " '_' only)")),
                arguments(
                        spec("b\u00fccher.example.test.", "A", null, "192.0.2.1"),
                        List.of("name 'b\u00fccher.example.test.' contains non-ASCII characters; write"
                                + " internationalised names in their xn-- (punycode) form")),
                arguments(
                        spec("x".repeat(64) + ".example.test.", "A", null, "192.0.2.1"),
                        List.of("name '" + "x".repeat(64) + ".example.test.' has a label longer than 63 characters")),
                arguments(
                        spec(("x".repeat(60) + ".").repeat(5), "A", null, "192.0.2.1"),
                        List.of("name '" + ("x".repeat(60) + ".").repeat(5) + "' is not a valid domain name: Name"
                                + " too long")),
                // Every problem is reported at once.
                arguments(
                        spec("a..example.test.", "A", 100_000L, "1.2.3", "192.0.2.1"),
                        List.of(
                                "name 'a..example.test.' has an empty label",
                                "ttl 100000 is outside 0-86400",
                                "values[0] '1.2.3' is not a valid A address")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSpecs")
    void invalidSpecIsRefusedWithPreciseReasons(RecordSpec spec, List<String> reasons) {
        SpecResult result = RecordSpecs.validate(spec);

        assertThat(result.isValid()).isFalse();
        assertThat(result.records()).isEmpty();
        assertThat(result.errors()).containsExactlyElementsOf(reasons);
    }

    @Test
    void zoneProblemNamesTheServedZones() throws Exception {
        Set<Name> zones = Set.of(Name.fromString("example.test."), Name.fromString("cluster.local."));

        assertThat(RecordSpecs.zoneProblem(Name.fromString("foo.other."), Type.A, zones))
                .contains("name foo.other. is outside every served zone (cluster.local., example.test.)");
        assertThat(RecordSpecs.zoneProblem(Name.fromString("www.Example.Test."), Type.A, zones))
                .isEmpty();
        assertThat(RecordSpecs.zoneProblem(Name.fromString("example.test."), Type.MX, zones))
                .isEmpty();
        assertThat(RecordSpecs.zoneProblem(Name.fromString("example.test."), Type.CNAME, zones))
                .contains("CNAME at the zone apex example.test. is not allowed (the apex holds the zone's SOA and NS"
                        + " records)");
        assertThat(RecordSpecs.zoneProblem(Name.fromString("test."), Type.A, zones))
                .contains("name test. is outside every served zone (cluster.local., example.test.)");
        assertThat(RecordSpecs.zoneProblem(Name.fromString("a.test."), Type.A, Set.of()))
                .contains("name a.test. is outside every served zone (no zones are served)");
    }

    @Test
    void checkSetKeepsTheFirstOfDuplicatesAndRefusesCnameBesideOtherData() {
        List<Item> items = List.of(
                item("first", "www.example.test.", "A", "192.0.2.1"),
                item("second", "WWW.example.test.", "A", "192.0.2.2"),
                item("third", "www.example.test.", "AAAA", "2001:db8::1"),
                item("fourth", "www.example.test.", "CNAME", "other.example.test."),
                item("fifth", "alias.example.test.", "CNAME", "www.example.test."),
                item("sixth", "alias.example.test.", "TXT", "hello"),
                item("seventh", "alias.example.test.", "CNAME", "elsewhere.example.test."));

        SetCheck<Item> check = RecordSpecs.checkSet(items, Item::records, Item::label);

        assertThat(check.accepted()).extracting(Item::label).containsExactly("first", "third", "fifth");
        assertThat(check.conflicts())
                .extracting(c -> c.item().label() + ": " + c.reason())
                .containsExactly(
                        "second: A records for WWW.example.test. are already defined by first",
                        "fourth: CNAME at www.example.test. conflicts with the A records defined by first (a CNAME cannot"
                                + " share its name with other data)",
                        "sixth: TXT records at alias.example.test. conflict with the CNAME defined by fifth (a CNAME cannot"
                                + " share its name with other data)",
                        "seventh: CNAME records for alias.example.test. are already defined by fifth");
    }

    private record Item(String label, List<org.xbill.DNS.Record> records) {}

    private static Item item(String label, String name, String type, String value) {
        SpecResult result = RecordSpecs.validate(new RecordSpec(name, type, null, List.of(value)));
        assertThat(result.errors()).isEmpty();
        return new Item(label, result.records());
    }

    private static RecordSpec spec(String name, String type, Long ttl, String... values) {
        return new RecordSpec(name, type, ttl, List.of(values));
    }
}
