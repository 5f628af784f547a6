package dev.zonekeeper.dns.query;

import static dev.zonekeeper.dns.zone.ZoneFixtures.name;
import static dev.zonekeeper.dns.zone.ZoneFixtures.presentation;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Table of questions against served zones, in the style of CoreDNS's handler tests: each case gives the question
 * and the expected rcode, AA flag and the three sections as zone-file text (compared as sets, order-free).
 */
class QueryEngineTest {
    private static final String LONG_1 = "a".repeat(255);
    private static final String LONG_2 = "b".repeat(100);

    static final String EXAMPLE = """
            $ORIGIN example.test.
            $TTL 300
            @        3600 IN SOA ns1.example.test. hostmaster.example.test. 2026112201 7200 900 1209600 60
            @             IN NS  ns1
            @             IN NS  ns2.example.test.
            @             IN MX  10 mail
            @             IN A   192.0.2.1
            ns1           IN A   192.0.2.53
            ns2           IN AAAA 2001:db8::53
            mail          IN A   192.0.2.25
            mail          IN AAAA 2001:db8::25
            www           IN CNAME web
            web           IN A   192.0.2.80
            web           IN AAAA 2001:db8::80
            web2          IN A   192.0.2.81
            txt           IN TXT "v=spf1 -all" "second string"
            long          IN TXT "%s" "%s"
            _http._tcp.svc IN SRV 10 60 8080 web
            _http._tcp.svc IN SRV 20 40 8080 web2
            caa           IN CAA 0 issue "letsencrypt.org"
            nullmx        IN MX  0 .
            mxself        IN MX  10 mxself
            mxself        IN A   192.0.2.30
            a.b.c         IN A   192.0.2.9
            *.wild        IN A   192.0.2.100
            *.wild        IN TXT "wildcard"
            sub.wild      IN A   192.0.2.101
            x.ent.wild    IN A   192.0.2.102
            *.alias       IN CNAME web
            *.we          IN A   192.0.2.103
            a.*.we2       IN TXT "below a wildcard"
            chain1        IN CNAME chain2
            chain2        IN CNAME chain3
            chain3        IN CNAME web
            dangling      IN CNAME nothere
            nodata-end    IN CNAME web
            ext           IN CNAME www.outside.invalid.
            loop1         IN CNAME loop2
            loop2         IN CNAME loop1
            cross         IN CNAME host.other.test.
            cross-missing IN CNAME nothere.other.test.
            delegated     IN NS  ns.delegated
            delegated     IN NS  ns.elsewhere.invalid.
            ns.delegated  IN A   192.0.2.200
            ns.delegated  IN AAAA 2001:db8::200
            to-deleg      IN CNAME host.delegated
            sub           IN NS  ns1
            """.formatted(LONG_1, LONG_2) + longChain();

    static final String OTHER = """
            $ORIGIN other.test.
            $TTL 600
            @    20 IN SOA ns.other.test. admin.other.test. 7 3600 600 86400 30
            @       IN NS ns
            ns      IN A  198.51.100.53
            host    IN A  198.51.100.1
            back    IN CNAME www.example.test.
            """;

    static final String SUB = """
            $ORIGIN sub.example.test.
            $TTL 120
            @       IN SOA ns1.example.test. admin.sub.example.test. 99 3600 600 86400 10
            @       IN NS ns1.example.test.
            host    IN A  203.0.113.7
            """;

    static final String REVERSE = """
            $ORIGIN 2.0.192.in-addr.arpa.
            $TTL 300
            @       IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300
            @       IN NS ns1.example.test.
            80      IN PTR web.example.test.
            """;

    static final ZoneSet ZONES = ZoneSet.of(List.of(
            Zone.parse(name("example.test."), EXAMPLE),
            Zone.parse(name("other.test."), OTHER),
            Zone.parse(name("sub.example.test."), SUB),
            Zone.parse(name("2.0.192.in-addr.arpa."), REVERSE)));

    private static final String EX_SOA =
            "example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 2026112201 7200 900 1209600 60";
    /** RFC 2308: negative answers carry min(SOA TTL 3600, MINIMUM 60) = 60. */
    private static final String EX_NEG_SOA =
            "example.test. 60 IN SOA ns1.example.test. hostmaster.example.test. 2026112201 7200 900 1209600 60";
    /** min(SOA TTL 20, MINIMUM 30) = 20. */
    private static final String OTHER_NEG_SOA =
            "other.test. 20 IN SOA ns.other.test. admin.other.test. 7 3600 600 86400 30";

    private static final String WEB = """
            web.example.test. 300 IN A 192.0.2.80
            """;
    private static final String DELEGATED_NS = """
            delegated.example.test. 300 IN NS ns.delegated.example.test.
            delegated.example.test. 300 IN NS ns.elsewhere.invalid.
            """;
    private static final String DELEGATED_GLUE = """
            ns.delegated.example.test. 300 IN A 192.0.2.200
            ns.delegated.example.test. 300 IN AAAA 2001:db8::200
            """;

    /** c0 -> c1 -> ... -> c20 -> web: longer than the chain limit. */
    private static String longChain() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            sb.append("c").append(i).append(" IN CNAME c").append(i + 1).append('\n');
        }
        sb.append("c20 IN CNAME web\n");
        return sb.toString();
    }

    record Case(
            String desc,
            String qname,
            String qtype,
            int rcode,
            boolean aa,
            String answer,
            String authority,
            String additional) {
        @Override
        public String toString() {
            return desc + ": " + qname + " " + qtype;
        }
    }

    private static Case c(
            String desc,
            String qname,
            String qtype,
            int rcode,
            boolean aa,
            String answer,
            String authority,
            String additional) {
        return new Case(desc, qname, qtype, rcode, aa, answer, authority, additional);
    }

    private static final int OK = Rcode.NOERROR;
    private static final int NX = Rcode.NXDOMAIN;

    static Stream<Case> cases() {
        return Stream.of(
                // 1. types
                c("apex SOA", "example.test.", "SOA", OK, true, EX_SOA, "", ""),
                c("apex NS with glue of in-zone targets", "example.test.", "NS", OK, true, """
                        example.test. 300 IN NS ns1.example.test.
                        example.test. 300 IN NS ns2.example.test.
                        """, "", """
                        ns1.example.test. 300 IN A 192.0.2.53
                        ns2.example.test. 300 IN AAAA 2001:db8::53
                        """),
                c("apex A", "example.test.", "A", OK, true, "example.test. 300 IN A 192.0.2.1", "", ""),
                c(
                        "MX with target addresses",
                        "example.test.",
                        "MX",
                        OK,
                        true,
                        "example.test. 300 IN MX 10 mail.example.test.",
                        "",
                        """
                        mail.example.test. 300 IN A 192.0.2.25
                        mail.example.test. 300 IN AAAA 2001:db8::25
                        """),
                c("A", "web.example.test.", "A", OK, true, WEB, "", ""),
                c("AAAA", "web.example.test.", "AAAA", OK, true, "web.example.test. 300 IN AAAA 2001:db8::80", "", ""),
                c(
                        "TXT with several strings",
                        "txt.example.test.",
                        "TXT",
                        OK,
                        true,
                        "txt.example.test. 300 IN TXT \"v=spf1 -all\" \"second string\"",
                        "",
                        ""),
                c(
                        "TXT with a 255-byte string",
                        "long.example.test.",
                        "TXT",
                        OK,
                        true,
                        "long.example.test. 300 IN TXT \"" + LONG_1 + "\" \"" + LONG_2 + "\"",
                        "",
                        ""),
                c(
                        "SRV with target addresses, no duplicates",
                        "_http._tcp.svc.example.test.",
                        "SRV",
                        OK,
                        true,
                        """
                        _http._tcp.svc.example.test. 300 IN SRV 10 60 8080 web.example.test.
                        _http._tcp.svc.example.test. 300 IN SRV 20 40 8080 web2.example.test.
                        """,
                        "",
                        """
                        web.example.test. 300 IN A 192.0.2.80
                        web.example.test. 300 IN AAAA 2001:db8::80
                        web2.example.test. 300 IN A 192.0.2.81
                        """),
                c(
                        "PTR",
                        "80.2.0.192.in-addr.arpa.",
                        "PTR",
                        OK,
                        true,
                        "80.2.0.192.in-addr.arpa. 300 IN PTR web.example.test.",
                        "",
                        ""),
                c(
                        "CAA",
                        "caa.example.test.",
                        "CAA",
                        OK,
                        true,
                        "caa.example.test. 300 IN CAA 0 issue \"letsencrypt.org\"",
                        "",
                        ""),
                c(
                        "null MX (RFC 7505) adds nothing",
                        "nullmx.example.test.",
                        "MX",
                        OK,
                        true,
                        "nullmx.example.test. 300 IN MX 0 .",
                        "",
                        ""),
                c(
                        "CNAME asked: not followed",
                        "www.example.test.",
                        "CNAME",
                        OK,
                        true,
                        "www.example.test. 300 IN CNAME web.example.test.",
                        "",
                        ""),
                c("ANY: every RRset at the name", "mail.example.test.", "ANY", OK, true, """
                        mail.example.test. 300 IN A 192.0.2.25
                        mail.example.test. 300 IN AAAA 2001:db8::25
                        """, "", ""),
                c("ANY at the apex", "example.test.", "ANY", OK, true, EX_SOA + """

                        example.test. 300 IN NS ns1.example.test.
                        example.test. 300 IN NS ns2.example.test.
                        example.test. 300 IN MX 10 mail.example.test.
                        example.test. 300 IN A 192.0.2.1
                        """, "", """
                        ns1.example.test. 300 IN A 192.0.2.53
                        ns2.example.test. 300 IN AAAA 2001:db8::53
                        mail.example.test. 300 IN A 192.0.2.25
                        mail.example.test. 300 IN AAAA 2001:db8::25
                        """),
                c("ANY: additional does not repeat the answer", "mxself.example.test.", "ANY", OK, true, """
                        mxself.example.test. 300 IN MX 10 mxself.example.test.
                        mxself.example.test. 300 IN A 192.0.2.30
                        """, "", ""),
                c(
                        "ANY at a CNAME: the CNAME, not followed",
                        "www.example.test.",
                        "ANY",
                        OK,
                        true,
                        "www.example.test. 300 IN CNAME web.example.test.",
                        "",
                        ""),

                // 2. negative answers
                c("NODATA: SOA with min(TTL, MINIMUM)", "web.example.test.", "MX", OK, true, "", EX_NEG_SOA, ""),
                c("NODATA: NS below the apex that is no cut", "web.example.test.", "NS", OK, true, "", EX_NEG_SOA, ""),
                c("NXDOMAIN", "nothere.example.test.", "A", NX, true, "", EX_NEG_SOA, ""),
                c("NXDOMAIN below an existing name", "x.web.example.test.", "A", NX, true, "", EX_NEG_SOA, ""),
                c(
                        "NXDOMAIN, other zone's SOA TTL below MINIMUM",
                        "nothere.other.test.",
                        "A",
                        NX,
                        true,
                        "",
                        OTHER_NEG_SOA,
                        ""),
                c("empty non-terminal: NODATA", "b.c.example.test.", "A", OK, true, "", EX_NEG_SOA, ""),
                c("empty non-terminal one level higher", "c.example.test.", "TXT", OK, true, "", EX_NEG_SOA, ""),
                c(
                        "name below empty non-terminals",
                        "a.b.c.example.test.",
                        "A",
                        OK,
                        true,
                        "a.b.c.example.test. 300 IN A 192.0.2.9",
                        "",
                        ""),
                c("NXDOMAIN next to an empty non-terminal", "x.c.example.test.", "A", NX, true, "", EX_NEG_SOA, ""),

                // 3. CNAME chains
                c("CNAME followed", "www.example.test.", "A", OK, true, """
                        www.example.test. 300 IN CNAME web.example.test.
                        """ + WEB, "", ""),
                c("CNAME chain of three", "chain1.example.test.", "A", OK, true, """
                        chain1.example.test. 300 IN CNAME chain2.example.test.
                        chain2.example.test. 300 IN CNAME chain3.example.test.
                        chain3.example.test. 300 IN CNAME web.example.test.
                        """ + WEB, "", ""),
                c(
                        "CNAME to a missing name: NXDOMAIN with the CNAME",
                        "dangling.example.test.",
                        "A",
                        NX,
                        true,
                        "dangling.example.test. 300 IN CNAME nothere.example.test.",
                        EX_NEG_SOA,
                        ""),
                c(
                        "CNAME to NODATA",
                        "nodata-end.example.test.",
                        "MX",
                        OK,
                        true,
                        "nodata-end.example.test. 300 IN CNAME web.example.test.",
                        EX_NEG_SOA,
                        ""),
                c(
                        "CNAME leaving the served zones stops",
                        "ext.example.test.",
                        "A",
                        OK,
                        true,
                        "ext.example.test. 300 IN CNAME www.outside.invalid.",
                        "",
                        ""),
                c("CNAME loop stops", "loop1.example.test.", "A", OK, true, """
                        loop1.example.test. 300 IN CNAME loop2.example.test.
                        loop2.example.test. 300 IN CNAME loop1.example.test.
                        """, "", ""),
                c("CNAME across zones", "cross.example.test.", "A", OK, true, """
                        cross.example.test. 300 IN CNAME host.other.test.
                        host.other.test. 600 IN A 198.51.100.1
                        """, "", ""),
                c("CNAME across zones and back", "back.other.test.", "A", OK, true, """
                        back.other.test. 600 IN CNAME www.example.test.
                        www.example.test. 300 IN CNAME web.example.test.
                        """ + WEB, "", ""),
                c(
                        "CNAME across zones to NXDOMAIN: target zone's SOA",
                        "cross-missing.example.test.",
                        "A",
                        NX,
                        true,
                        "cross-missing.example.test. 300 IN CNAME nothere.other.test.",
                        OTHER_NEG_SOA,
                        ""),

                // 4. wildcards
                c(
                        "wildcard A, owner is the qname",
                        "foo.wild.example.test.",
                        "A",
                        OK,
                        true,
                        "foo.wild.example.test. 300 IN A 192.0.2.100",
                        "",
                        ""),
                c(
                        "wildcard covers several labels",
                        "a.b.wild.example.test.",
                        "A",
                        OK,
                        true,
                        "a.b.wild.example.test. 300 IN A 192.0.2.100",
                        "",
                        ""),
                c(
                        "wildcard TXT",
                        "foo.wild.example.test.",
                        "TXT",
                        OK,
                        true,
                        "foo.wild.example.test. 300 IN TXT \"wildcard\"",
                        "",
                        ""),
                c("wildcard NODATA", "foo.wild.example.test.", "MX", OK, true, "", EX_NEG_SOA, ""),
                c("wildcard ANY", "foo.wild.example.test.", "ANY", OK, true, """
                        foo.wild.example.test. 300 IN A 192.0.2.100
                        foo.wild.example.test. 300 IN TXT "wildcard"
                        """, "", ""),
                c(
                        "wildcard keeps the letter case asked",
                        "FoO.wild.example.test.",
                        "A",
                        OK,
                        true,
                        "FoO.wild.example.test. 300 IN A 192.0.2.100",
                        "",
                        ""),
                c("existing name is not synthesized", "sub.wild.example.test.", "TXT", OK, true, "", EX_NEG_SOA, ""),
                c(
                        "existing name answers its own data",
                        "sub.wild.example.test.",
                        "A",
                        OK,
                        true,
                        "sub.wild.example.test. 300 IN A 192.0.2.101",
                        "",
                        ""),
                c("empty non-terminal is not synthesized", "ent.wild.example.test.", "A", OK, true, "", EX_NEG_SOA, ""),
                c(
                        "below an existing name the wildcard does not apply",
                        "y.sub.wild.example.test.",
                        "A",
                        NX,
                        true,
                        "",
                        EX_NEG_SOA,
                        ""),
                c(
                        "the wildcard owner itself",
                        "*.wild.example.test.",
                        "A",
                        OK,
                        true,
                        "*.wild.example.test. 300 IN A 192.0.2.100",
                        "",
                        ""),
                c("wildcard CNAME is followed", "foo.alias.example.test.", "A", OK, true, """
                        foo.alias.example.test. 300 IN CNAME web.example.test.
                        """ + WEB, "", ""),
                c(
                        "wildcard that is an empty non-terminal: NODATA",
                        "foo.we2.example.test.",
                        "A",
                        OK,
                        true,
                        "",
                        EX_NEG_SOA,
                        ""),
                c("wildcard only applies below its parent", "we.example.test.", "A", OK, true, "", EX_NEG_SOA, ""),

                // 5. delegations
                c(
                        "referral below a cut",
                        "host.delegated.example.test.",
                        "A",
                        OK,
                        false,
                        "",
                        DELEGATED_NS,
                        DELEGATED_GLUE),
                c("referral at the cut", "delegated.example.test.", "A", OK, false, "", DELEGATED_NS, DELEGATED_GLUE),
                c(
                        "NS at the cut is a referral",
                        "delegated.example.test.",
                        "NS",
                        OK,
                        false,
                        "",
                        DELEGATED_NS,
                        DELEGATED_GLUE),
                c(
                        "glue is not answered authoritatively",
                        "ns.delegated.example.test.",
                        "A",
                        OK,
                        false,
                        "",
                        DELEGATED_NS,
                        DELEGATED_GLUE),
                c("DS at the cut comes from the parent", "delegated.example.test.", "DS", OK, true, "", EX_NEG_SOA, ""),
                c(
                        "CNAME into a delegation: CNAME plus referral",
                        "to-deleg.example.test.",
                        "A",
                        OK,
                        true,
                        "to-deleg.example.test. 300 IN CNAME host.delegated.example.test.",
                        DELEGATED_NS,
                        DELEGATED_GLUE),
                c(
                        "delegated child zone also served: child answers",
                        "host.sub.example.test.",
                        "A",
                        OK,
                        true,
                        "host.sub.example.test. 120 IN A 203.0.113.7",
                        "",
                        ""),
                c(
                        "child apex SOA from the child",
                        "sub.example.test.",
                        "SOA",
                        OK,
                        true,
                        "sub.example.test. 120 IN SOA ns1.example.test. admin.sub.example.test. 99 3600 600 86400 10",
                        "",
                        ""),
                c(
                        "child NXDOMAIN uses the child SOA",
                        "nothere.sub.example.test.",
                        "A",
                        NX,
                        true,
                        "",
                        "sub.example.test. 10 IN SOA ns1.example.test. admin.sub.example.test. 99 3600 600 86400 10",
                        ""),

                // 8. case
                c("qname matched case-insensitively", "WWW.Example.TEST.", "A", OK, true, """
                        www.example.test. 300 IN CNAME web.example.test.
                        """ + WEB, "", ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void answers(Case tc) {
        Answer a = QueryEngine.answer(ZONES, name(tc.qname()), Type.value(tc.qtype()), DClass.IN);

        assertThat(a).as("answer for %s", tc).isNotNull();
        assertThat(Rcode.string(a.rcode())).as("rcode").isEqualTo(Rcode.string(tc.rcode()));
        assertThat(a.authoritative()).as("AA").isEqualTo(tc.aa());
        assertThat(presentation(a.answer())).as("answer").isEqualTo(presentation(tc.answer()));
        assertThat(presentation(a.authority())).as("authority").isEqualTo(presentation(tc.authority()));
        assertThat(presentation(a.additional())).as("additional").isEqualTo(presentation(tc.additional()));
        assertThat(a.answer()).as("answer has no duplicates").doesNotHaveDuplicates();
        assertThat(a.additional()).as("additional has no duplicates").doesNotHaveDuplicates();
    }

    @Test
    void longChainIsCappedWithoutError() {
        Answer a = QueryEngine.answer(ZONES, name("c0.example.test."), Type.A, DClass.IN);

        assertThat(a.rcode()).isEqualTo(Rcode.NOERROR);
        assertThat(a.answer())
                .hasSize(QueryEngine.MAX_CNAME_CHAIN)
                .allMatch(r -> r.getType() == Type.CNAME)
                .doesNotHaveDuplicates();
        assertThat(a.answer().get(0).getName()).isEqualTo(name("c0.example.test."));
    }

    @Test
    void answersInAnswerSectionComeInChainOrder() {
        Answer a = QueryEngine.answer(ZONES, name("chain1.example.test."), Type.A, DClass.IN);

        assertThat(a.answer())
                .extracting(r -> r.getName().toString())
                .containsExactly(
                        "chain1.example.test.", "chain2.example.test.", "chain3.example.test.", "web.example.test.");
    }

    @Test
    void nameOutsideServedZonesIsNotAnswered() {
        assertThat(QueryEngine.answer(ZONES, name("www.outside.invalid."), Type.A, DClass.IN))
                .isNull();
        assertThat(QueryEngine.answer(ZONES, name("test."), Type.SOA, DClass.IN))
                .isNull();
        assertThat(QueryEngine.answer(ZoneSet.empty(), name("web.example.test."), Type.A, DClass.IN))
                .isNull();
    }

    @Test
    void classAnyIsAnsweredLikeIn() {
        Answer a = QueryEngine.answer(ZONES, name("web.example.test."), Type.A, DClass.ANY);

        assertThat(a.rcode()).isEqualTo(Rcode.NOERROR);
        assertThat(a.authoritative()).isTrue();
        assertThat(presentation(a.answer())).isEqualTo(presentation(WEB));
    }

    @Test
    void otherClassesAreRefused() {
        for (int dclass : new int[] {DClass.CH, DClass.HS, DClass.NONE, 77}) {
            Answer a = QueryEngine.answer(ZONES, name("web.example.test."), Type.A, dclass);

            assertThat(a.rcode()).as("class %d", dclass).isEqualTo(Rcode.REFUSED);
            assertThat(a.authoritative()).isFalse();
            assertThat(a.answer()).isEmpty();
            assertThat(a.authority()).isEmpty();
            assertThat(a.additional()).isEmpty();
        }
    }

    @Test
    void metaTypesAreNotImplementedHere() {
        for (int type : new int[] {Type.AXFR, Type.IXFR, Type.MAILA, Type.MAILB, Type.OPT, Type.TSIG}) {
            Answer a = QueryEngine.answer(ZONES, name("example.test."), type, DClass.IN);

            assertThat(a.rcode()).as(Type.string(type)).isEqualTo(Rcode.NOTIMP);
            assertThat(a.answer()).isEmpty();
        }
    }

    @Test
    void unknownTypeAtExistingNameIsNoData() {
        Answer a = QueryEngine.answer(ZONES, name("web.example.test."), 65280, DClass.IN);

        assertThat(a.rcode()).isEqualTo(Rcode.NOERROR);
        assertThat(a.answer()).isEmpty();
        assertThat(presentation(a.authority())).isEqualTo(presentation(EX_NEG_SOA));
    }

    @Test
    void sectionsAreImmutable() {
        Answer a = QueryEngine.answer(ZONES, name("web.example.test."), Type.A, DClass.IN);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.answer().clear())
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
