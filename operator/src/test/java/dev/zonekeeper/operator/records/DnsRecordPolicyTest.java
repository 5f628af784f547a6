package dev.zonekeeper.operator.records;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import dev.zonekeeper.operator.config.ZoneSettings;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The decision table of {@link DnsRecordPolicy}: validity, zone permission and ownership, without a cluster. */
class DnsRecordPolicyTest {

    private static final ZoneSettings ZONES = ZoneSettings.parse(
            "cluster.local",
            List.of("example.com", "corp.example.net", "open.test"),
            Map.of("example.com", "team-a, team-b", "corp.example.net", "corp", "open.test", "*"));

    private final DnsRecordPolicy policy = new DnsRecordPolicy(ZONES);

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static RecordClaim claim(String ns, String name, String owner, DnsRecordType type, String... values) {
        return new RecordClaim(ns, name, T0, owner, type, 30, List.of(values));
    }

    static RecordClaim claim(
            String ns, String name, long ageSeconds, String owner, DnsRecordType type, String... values) {
        return new RecordClaim(ns, name, T0.plusSeconds(ageSeconds), owner, type, 30, List.of(values));
    }

    static Stream<Arguments> alone() {
        return Stream.of(
                // namespace, owner name, type, values, expected reason, text the message must contain
                Arguments.of(
                        "team-a",
                        "api.example.com",
                        DnsRecordType.A,
                        List.of("192.0.2.10", "192.0.2.11"),
                        Reason.Serving,
                        "serving 2 A records at api.example.com."),
                Arguments.of(
                        "team-a",
                        "API.Example.COM.",
                        DnsRecordType.AAAA,
                        List.of("2001:db8::1"),
                        Reason.Serving,
                        "api.example.com."),
                Arguments.of(
                        "team-b",
                        "_http._tcp.example.com",
                        DnsRecordType.SRV,
                        List.of("0 5 8080 web.example.com."),
                        Reason.Serving,
                        "SRV"),
                Arguments.of(
                        "team-a",
                        "example.com",
                        DnsRecordType.MX,
                        List.of("10 mail.example.com."),
                        Reason.Serving,
                        "MX"),
                Arguments.of(
                        "team-a", "example.com", DnsRecordType.TXT, List.of("\"v=spf1 -all\""), Reason.Serving, "TXT"),
                Arguments.of(
                        "team-a",
                        "example.com",
                        DnsRecordType.CAA,
                        List.of("0 issue \"letsencrypt.org\""),
                        Reason.Serving,
                        "CAA"),
                Arguments.of(
                        "team-a",
                        "*.apps.example.com",
                        DnsRecordType.CNAME,
                        List.of("ingress.example.com."),
                        Reason.Serving,
                        "*.apps.example.com."),
                Arguments.of(
                        "team-a",
                        "10.2.0.192.in-addr.example.com",
                        DnsRecordType.PTR,
                        List.of("host.example.com."),
                        Reason.Serving,
                        "PTR"),
                Arguments.of(
                        "team-a",
                        "sub.example.com",
                        DnsRecordType.NS,
                        List.of("ns1.example.org."),
                        Reason.Serving,
                        "NS"),
                Arguments.of(
                        "anyone", "x.open.test", DnsRecordType.A, List.of("192.0.2.1"), Reason.Serving, "x.open.test."),
                Arguments.of(
                        "shop",
                        "db.shop.svc.cluster.local",
                        DnsRecordType.A,
                        List.of("10.0.0.5"),
                        Reason.Serving,
                        "db.shop.svc.cluster.local."),
                Arguments.of(
                        "team-a",
                        "api.example.com",
                        DnsRecordType.A,
                        List.of("192.0.2.300"),
                        Reason.InvalidValue,
                        "values[0] '192.0.2.300' is not a valid A address"),
                Arguments.of(
                        "team-a",
                        "api.example.com",
                        DnsRecordType.A,
                        List.of("2001:db8::1"),
                        Reason.InvalidValue,
                        "values[0] '2001:db8::1' is not a valid A address"),
                Arguments.of(
                        "team-a",
                        "api.example.com",
                        DnsRecordType.AAAA,
                        List.of("192.0.2.1"),
                        Reason.InvalidValue,
                        "values[0] '192.0.2.1' is not a valid AAAA address"),
                Arguments.of(
                        "team-a",
                        "mail.example.com",
                        DnsRecordType.MX,
                        List.of("mail.example.com."),
                        Reason.InvalidValue,
                        "is not valid MX data (<preference> <mail exchange>)"),
                Arguments.of(
                        "team-a",
                        "_x._tcp.example.com",
                        DnsRecordType.SRV,
                        List.of("0 5 notaport t.example.com."),
                        Reason.InvalidValue,
                        "SRV"),
                Arguments.of(
                        "team-a",
                        "www.example.com",
                        DnsRecordType.CNAME,
                        List.of("a.example.com.", "b.example.com."),
                        Reason.InvalidValue,
                        "CNAME must have exactly one value, got 2"),
                Arguments.of(
                        "team-a",
                        "example.com",
                        DnsRecordType.CNAME,
                        List.of("elsewhere.example.org."),
                        Reason.InvalidValue,
                        "CNAME at the zone apex example.com. is not allowed"),
                Arguments.of(
                        "team-a",
                        "api.example.com",
                        DnsRecordType.A,
                        List.of(),
                        Reason.InvalidValue,
                        "values must contain at least one value"),
                // issue 13 point 12: the apex NS set is the zone's own
                Arguments.of(
                        "team-a",
                        "example.com",
                        DnsRecordType.NS,
                        List.of("ns1.attacker.example."),
                        Reason.ZoneApexNS,
                        "zone apex example.com."),
                Arguments.of(
                        "anyone",
                        "OPEN.test.",
                        DnsRecordType.NS,
                        List.of("ns1.example.org."),
                        Reason.ZoneApexNS,
                        "delegate a subzone"),
                Arguments.of(
                        "team-a",
                        "bad..name.example.com",
                        DnsRecordType.A,
                        List.of("192.0.2.1"),
                        Reason.InvalidValue,
                        "name 'bad..name.example.com' has an empty label"),
                Arguments.of(
                        "team-a",
                        "api.example.org",
                        DnsRecordType.A,
                        List.of("192.0.2.1"),
                        Reason.ZoneNotServed,
                        "zonekeeper.zones"),
                Arguments.of("team-a", "com", DnsRecordType.A, List.of("192.0.2.1"), Reason.ZoneNotServed, "com."),
                Arguments.of(
                        "team-c",
                        "api.example.com",
                        DnsRecordType.A,
                        List.of("192.0.2.1"),
                        Reason.NotAllowed,
                        "zonekeeper.zone-writers.\"example.com\""),
                Arguments.of(
                        "team-a",
                        "x.corp.example.net",
                        DnsRecordType.A,
                        List.of("192.0.2.1"),
                        Reason.NotAllowed,
                        "namespace team-a may not write to zone corp.example.net."),
                Arguments.of(
                        "shop",
                        "db.other.svc.cluster.local",
                        DnsRecordType.A,
                        List.of("10.0.0.5"),
                        Reason.NotAllowed,
                        "only use names under shop.svc.cluster.local."),
                Arguments.of(
                        "shop",
                        "shop.svc.cluster.local",
                        DnsRecordType.A,
                        List.of("10.0.0.5"),
                        Reason.NotAllowed,
                        "shop.svc.cluster.local."),
                Arguments.of(
                        "shop",
                        "node1.cluster.local",
                        DnsRecordType.A,
                        List.of("10.0.0.5"),
                        Reason.NotAllowed,
                        "cluster domain cluster.local."));
    }

    @ParameterizedTest(name = "{0} {1} {2} {3} -> {4}")
    @MethodSource("alone")
    void decidesOneRecordOnItsOwn(
            String ns, String owner, DnsRecordType type, List<String> values, Reason reason, String messagePart) {
        RecordClaim claim = new RecordClaim(ns, "r", T0, owner, type, 30, values);

        Decision decision = policy.decide(claim, List.of(claim));

        assertThat(decision.reason()).isEqualTo(reason);
        assertThat(decision.message()).contains(messagePart);
        if (reason == Reason.Serving) {
            assertThat(decision.records()).hasSize(values.size());
            assertThat(decision.records()).allSatisfy(r -> {
                assertThat(r.getName()).isEqualTo(decision.fqdn().orElseThrow());
                assertThat(r.getTTL()).isEqualTo(30);
            });
        } else {
            assertThat(decision.records()).isEmpty();
        }
    }

    @Test
    void aTxtValueIsOneStringAsWrittenUnlessQuoted() {
        // issue 14: the cluster used to split unquoted text at spaces ("hello" "world"), standalone mode did not
        Decision decision = policy.decide(
                claim(
                        "team-a",
                        "r",
                        "txt.example.com",
                        DnsRecordType.TXT,
                        "hello world",
                        "\"a\" \"b c\"",
                        "say \"hi\"; (x)"),
                List.of());

        assertThat(decision.records())
                .map(r -> ((org.xbill.DNS.TXTRecord) r)
                        .getStringsAsByteArrays().stream()
                                .map(bytes -> new String(bytes, java.nio.charset.StandardCharsets.UTF_8))
                                .toList())
                .containsExactly(List.of("hello world"), List.of("a", "b c"), List.of("say \"hi\"; (x)"));
    }

    @Test
    void repeatedValuesAreRefusedAsInStandaloneMode() {
        Decision decision = policy.decide(
                claim("team-a", "r", "api.example.com", DnsRecordType.A, "192.0.2.1", "192.0.2.1"), List.of());

        assertThat(decision.reason()).isEqualTo(Reason.InvalidValue);
        assertThat(decision.message()).isEqualTo("values[1] repeats values[0]");
    }

    @Test
    void servingRecordsAreTheParsedValues() {
        Decision decision = policy.decide(
                claim("team-a", "r", "mx.example.com", DnsRecordType.MX, "10 mail1.example.com.", "20 mail2"),
                List.of());

        assertThat(decision.records())
                .map(org.xbill.DNS.Record::rdataToString)
                .containsExactly("10 mail1.example.com.", "20 mail2.");
    }

    static Stream<Arguments> ownership() {
        return Stream.of(
                // records as (namespace, name, age, owner name, type, value); the one decided is the first
                Arguments.of(
                        "older same name and type in another namespace wins",
                        List.of(
                                claim("team-b", "late", 10, "api.example.com", DnsRecordType.A, "192.0.2.2"),
                                claim("team-a", "early", 0, "api.example.com", DnsRecordType.A, "192.0.2.1")),
                        Reason.Conflict,
                        "team-a/early already publishes A records at api.example.com."),
                Arguments.of(
                        "the older one is served",
                        List.of(
                                claim("team-a", "early", 0, "api.example.com", DnsRecordType.A, "192.0.2.1"),
                                claim("team-b", "late", 10, "api.example.com", DnsRecordType.A, "192.0.2.2")),
                        Reason.Serving,
                        "serving"),
                Arguments.of(
                        "same age: namespace then name decides",
                        List.of(
                                claim("team-b", "x", 0, "api.example.com", DnsRecordType.A, "192.0.2.2"),
                                claim("team-a", "y", 0, "api.example.com", DnsRecordType.A, "192.0.2.1")),
                        Reason.Conflict,
                        "team-a/y"),
                Arguments.of(
                        "names compare case-insensitively and with or without the trailing dot",
                        List.of(
                                claim("team-b", "late", 10, "API.example.com.", DnsRecordType.A, "192.0.2.2"),
                                claim("team-a", "early", 0, "api.EXAMPLE.com", DnsRecordType.A, "192.0.2.1")),
                        Reason.Conflict,
                        "team-a/early"),
                Arguments.of(
                        "different types at one name coexist",
                        List.of(
                                claim("team-b", "late", 10, "api.example.com", DnsRecordType.AAAA, "2001:db8::1"),
                                claim("team-a", "early", 0, "api.example.com", DnsRecordType.A, "192.0.2.1")),
                        Reason.Serving,
                        "serving"),
                Arguments.of(
                        "a CNAME beside older data is rejected",
                        List.of(
                                claim(
                                        "team-b",
                                        "alias",
                                        10,
                                        "api.example.com",
                                        DnsRecordType.CNAME,
                                        "web.example.com."),
                                claim("team-a", "addr", 0, "api.example.com", DnsRecordType.A, "192.0.2.1")),
                        Reason.Conflict,
                        "a CNAME cannot share its name with other records"),
                Arguments.of(
                        "data beside an older CNAME is rejected",
                        List.of(
                                claim("team-a", "txt", 10, "api.example.com", DnsRecordType.TXT, "\"hello\""),
                                claim(
                                        "team-b",
                                        "alias",
                                        0,
                                        "api.example.com",
                                        DnsRecordType.CNAME,
                                        "web.example.com.")),
                        Reason.Conflict,
                        "team-b/alias already publishes a CNAME at api.example.com."),
                Arguments.of(
                        "an invalid older record does not block",
                        List.of(
                                claim("team-b", "late", 10, "api.example.com", DnsRecordType.A, "192.0.2.2"),
                                claim("team-a", "broken", 0, "api.example.com", DnsRecordType.A, "not-an-address")),
                        Reason.Serving,
                        "serving"),
                Arguments.of(
                        "an older record in a namespace not allowed to write does not block",
                        List.of(
                                claim("team-b", "late", 10, "api.example.com", DnsRecordType.A, "192.0.2.2"),
                                claim("intruder", "early", 0, "api.example.com", DnsRecordType.A, "192.0.2.1")),
                        Reason.Serving,
                        "serving"),
                Arguments.of(
                        "a loser does not block a third record: only served records own a name",
                        List.of(
                                claim("team-b", "third", 20, "api.example.com", DnsRecordType.AAAA, "2001:db8::1"),
                                claim("team-a", "first", 0, "api.example.com", DnsRecordType.A, "192.0.2.1"),
                                claim(
                                        "team-b",
                                        "second",
                                        10,
                                        "api.example.com",
                                        DnsRecordType.CNAME,
                                        "web.example.com.")),
                        Reason.Serving,
                        "serving"),
                Arguments.of(
                        "records at other names do not matter",
                        List.of(
                                claim("team-b", "late", 10, "www.example.com", DnsRecordType.A, "192.0.2.2"),
                                claim("team-a", "early", 0, "api.example.com", DnsRecordType.A, "192.0.2.1")),
                        Reason.Serving,
                        "serving"),
                // issue 13 point 13: creationTimestamp has a one-second resolution; the order of creation breaks the
                // tie
                Arguments.of(
                        "same second: the lower claim revision (created first) wins over the name order",
                        List.of(
                                new RecordClaim(
                                        "team-a",
                                        "a-second",
                                        T0,
                                        "api.example.com",
                                        DnsRecordType.A,
                                        30,
                                        List.of("192.0.2.2"),
                                        1042L),
                                new RecordClaim(
                                        "team-b",
                                        "z-first",
                                        T0,
                                        "api.example.com",
                                        DnsRecordType.A,
                                        30,
                                        List.of("192.0.2.1"),
                                        1041L)),
                        Reason.Conflict,
                        "team-b/z-first"),
                Arguments.of(
                        "the claim revision only breaks ties within a second",
                        List.of(
                                new RecordClaim(
                                        "team-a",
                                        "later-second",
                                        T0.plusSeconds(1),
                                        "api.example.com",
                                        DnsRecordType.A,
                                        30,
                                        List.of("192.0.2.2"),
                                        5L),
                                new RecordClaim(
                                        "team-b",
                                        "earlier-second",
                                        T0,
                                        "api.example.com",
                                        DnsRecordType.A,
                                        30,
                                        List.of("192.0.2.1"),
                                        9L)),
                        Reason.Conflict,
                        "team-b/earlier-second"),
                Arguments.of(
                        "a record with no creation time yet is the youngest",
                        List.of(
                                new RecordClaim(
                                        "team-a",
                                        "new",
                                        null,
                                        "api.example.com",
                                        DnsRecordType.A,
                                        30,
                                        List.of("192.0.2.2")),
                                claim("team-b", "old", 10, "api.example.com", DnsRecordType.A, "192.0.2.1")),
                        Reason.Conflict,
                        "team-b/old"));
    }

    @Test
    void aServiceOwningTheNameTurnsServingIntoNameOwnedByService() {
        Decision serving = policy.decide(
                claim("default", "k", "kubernetes.default.svc.cluster.local", DnsRecordType.A, "192.0.2.77"),
                List.of());
        assertThat(serving.serving()).isTrue();

        Decision owned = DnsRecordPolicy.ownedByService(serving, "default/kubernetes");

        assertThat(owned.reason()).isEqualTo(Reason.NameOwnedByService);
        assertThat(owned.message()).contains("Service default/kubernetes");
        assertThat(owned.records()).isEmpty();
        Decision rejected = Decision.reject(Reason.Conflict, null, "older");
        assertThat(DnsRecordPolicy.ownedByService(rejected, "default/kubernetes"))
                .isSameAs(rejected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ownership")
    void olderRecordOwnsTheName(String description, List<RecordClaim> records, Reason reason, String messagePart) {
        RecordClaim decided = records.get(0);

        Decision decision = policy.decide(decided, new ArrayList<>(records));

        assertThat(decision.reason()).isEqualTo(reason);
        assertThat(decision.message()).contains(messagePart);
        assertThat(decision.fqdn()).isPresent();
    }
}
