package dev.zonekeeper.dns.update;

import static dev.zonekeeper.dns.update.UpdateTesting.grant;
import static dev.zonekeeper.dns.update.UpdateTesting.name;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.Type;

class GrantTest {
    static final Grant EXACT = grant(Grant.Match.NAME, "_acme-challenge.example.test.", Type.TXT);
    static final Grant BELOW = grant(Grant.Match.SUBDOMAIN, "dyn.example.test.");
    static final Grant WILD = grant(Grant.Match.WILDCARD, "*.dyn.example.test.", Type.A, Type.AAAA);
    static final Grant ACME = grant(Grant.Match.ACME_CHALLENGE, "example.test.", Type.TXT);

    static Stream<Arguments> allows() {
        return Stream.of(
                Arguments.of(EXACT, "_acme-challenge.example.test.", Type.TXT, true),
                Arguments.of(EXACT, "_ACME-Challenge.Example.Test.", Type.TXT, true),
                Arguments.of(EXACT, "_acme-challenge.example.test.", Type.A, false),
                Arguments.of(EXACT, "x._acme-challenge.example.test.", Type.TXT, false),
                Arguments.of(EXACT, "example.test.", Type.TXT, false),
                Arguments.of(BELOW, "dyn.example.test.", Type.A, true),
                Arguments.of(BELOW, "a.b.dyn.example.test.", Type.CAA, true),
                Arguments.of(BELOW, "dyn.example.test.", Type.HINFO, false), // empty types: writable types only
                Arguments.of(BELOW, "dyn.example.test.", Type.SOA, false),
                Arguments.of(BELOW, "xdyn.example.test.", Type.A, false),
                Arguments.of(WILD, "h.dyn.example.test.", Type.A, true),
                Arguments.of(WILD, "a.h.dyn.example.test.", Type.AAAA, true),
                Arguments.of(WILD, "*.dyn.example.test.", Type.A, true),
                Arguments.of(WILD, "dyn.example.test.", Type.A, false),
                Arguments.of(WILD, "h.dyn.example.test.", Type.TXT, false),
                // every certificate's challenge name in the zone, and nothing else
                Arguments.of(ACME, "_acme-challenge.example.test.", Type.TXT, true),
                Arguments.of(ACME, "_ACME-CHALLENGE.www.example.test.", Type.TXT, true),
                Arguments.of(ACME, "_acme-challenge.a.b.example.test.", Type.TXT, true),
                Arguments.of(ACME, "_acme-challenge.example.test.", Type.A, false),
                Arguments.of(ACME, "www.example.test.", Type.TXT, false),
                Arguments.of(ACME, "example.test.", Type.TXT, false),
                Arguments.of(ACME, "x._acme-challenge.example.test.", Type.TXT, false),
                Arguments.of(ACME, "_acme-challengex.example.test.", Type.TXT, false),
                Arguments.of(ACME, "_acme-challenge.other.test.", Type.TXT, false));
    }

    @ParameterizedTest(name = "{0} allows {2} at {1}: {3}")
    @MethodSource
    void allows(Grant grant, String owner, int type, boolean expected) {
        assertThat(grant.allows(name(owner), type)).isEqualTo(expected);
    }
}
