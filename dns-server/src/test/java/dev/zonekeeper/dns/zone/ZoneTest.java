package dev.zonekeeper.dns.zone;

import static dev.zonekeeper.dns.zone.ZoneFixtures.name;
import static dev.zonekeeper.dns.zone.ZoneFixtures.presentation;
import static dev.zonekeeper.dns.zone.ZoneFixtures.record;
import static dev.zonekeeper.dns.zone.ZoneFixtures.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

class ZoneTest {
    private static final Name ORIGIN = name("example.test.");
    private static final String SOA =
            "example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 1 7200 900 1209600 60";
    private static final String BASE = SOA + """

            example.test. 300 IN NS ns1.example.test.
            ns1.example.test. 300 IN A 192.0.2.53
            web.example.test. 300 IN A 192.0.2.80
            web.example.test. 300 IN A 192.0.2.81
            """;

    private static Zone base() {
        return Zone.of(ORIGIN, records(BASE));
    }

    @Test
    void recordsListsEverythingSoaFirst() {
        Zone z = base();

        assertThat(z.recordCount()).isEqualTo(5);
        assertThat(z.records()).hasSize(5);
        assertThat(z.records().get(0).toString()).isEqualTo(record(SOA).toString());
        assertThat(presentation(z.records())).isEqualTo(presentation(BASE));
        assertThat(z.serial()).isEqualTo(1);
        assertThat(z.origin()).isEqualTo(ORIGIN);
        assertThat(z.dclass()).isEqualTo(DClass.IN);
    }

    @Test
    void parseReadsZoneFileText() {
        Zone z = Zone.parse(ORIGIN, """
                $TTL 300
                @ 3600 IN SOA ns1 hostmaster 1 7200 900 1209600 60
                @ IN NS ns1
                ns1 IN A 192.0.2.53
                web IN A 192.0.2.80
                web IN A 192.0.2.81
                """);

        assertThat(presentation(z.records())).isEqualTo(presentation(BASE));
    }

    @Test
    void parseErrorNamesTheZone() {
        assertThatThrownBy(
                        () -> Zone.parse(ORIGIN, "@ IN SOA ns1 hostmaster 1 7200 900 1209600 60\nweb IN A not-an-ip\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("example.test.");
    }

    @Test
    void lookupIsCaseInsensitive() {
        Zone z = base();

        assertThat(z.rrset(name("WEB.Example.Test."), Type.A)).hasSize(2);
        assertThat(z.hasData(name("Ns1.EXAMPLE.test."))).isTrue();
        assertThat(z.rrset(name("web.example.test."), Type.AAAA)).isEmpty();
        assertThat(z.rrset(name("nothere.example.test."), Type.A)).isEmpty();
    }

    @Test
    void rejectsRecordOutsideTheOriginNamingIt() {
        List<org.xbill.DNS.Record> rs = new ArrayList<>(records(BASE));
        rs.add(record("www.other.test. 300 IN A 192.0.2.1"));

        assertThatThrownBy(() -> Zone.of(ORIGIN, rs))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("www.other.test.")
                .hasMessageContaining("outside zone example.test.");
    }

    @Test
    void rejectsZoneWithoutSoa() {
        assertThatThrownBy(() -> Zone.of(ORIGIN, records("web.example.test. 300 IN A 192.0.2.80")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no SOA");
    }

    @Test
    void rejectsSoaBelowTheApex() {
        List<org.xbill.DNS.Record> rs = new ArrayList<>(records(BASE));
        rs.add(record("sub.example.test. 3600 IN SOA ns1.example.test. h.example.test. 1 7200 900 1209600 60"));

        assertThatThrownBy(() -> Zone.of(ORIGIN, rs))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sub.example.test.");
    }

    @Test
    void applyAddsAndRemovesWithoutTouchingTheOldZone() {
        Zone old = base();
        Zone next = old.apply(records("web.example.test. 300 IN A 192.0.2.80"), records("""
                        web.example.test. 300 IN A 192.0.2.82
                        mail.example.test. 300 IN AAAA 2001:db8::25
                        """));

        assertThat(presentation(next.records())).isEqualTo(presentation(SOA + """

                example.test. 300 IN NS ns1.example.test.
                ns1.example.test. 300 IN A 192.0.2.53
                web.example.test. 300 IN A 192.0.2.81
                web.example.test. 300 IN A 192.0.2.82
                mail.example.test. 300 IN AAAA 2001:db8::25
                """));
        assertThat(next.recordCount()).isEqualTo(6);
        assertThat(old.recordCount()).isEqualTo(5);
        assertThat(presentation(old.records())).isEqualTo(presentation(BASE));
        assertThat(old.hasData(name("mail.example.test."))).isFalse();
    }

    @Test
    void removingTheLastRecordRemovesTheName() {
        Zone z = base().apply(records("ns1.example.test. 300 IN A 192.0.2.53"), List.of());

        assertThat(z.exists(name("ns1.example.test."))).isFalse();
        assertThat(z.recordCount()).isEqualTo(4);
    }

    @Test
    void removingAnAbsentRecordChangesNothing() {
        Zone z = base().apply(records("""
                web.example.test. 300 IN A 192.0.2.99
                nothere.example.test. 300 IN A 192.0.2.80
                web.example.test. 300 IN TXT "x"
                """), List.of());

        assertThat(presentation(z.records())).isEqualTo(presentation(BASE));
        assertThat(z.recordCount()).isEqualTo(5);
    }

    @Test
    void addingAnExistingRecordReplacesItsTtl() {
        Zone z = base().apply(List.of(), records("web.example.test. 60 IN A 192.0.2.80"));

        assertThat(z.recordCount()).isEqualTo(5);
        assertThat(presentation(new ArrayList<>(z.rrset(name("web.example.test."), Type.A))))
                .containsExactly(
                        "web.example.test.\t300\tIN\tA\t192.0.2.81", "web.example.test.\t60\tIN\tA\t192.0.2.80");
    }

    @Test
    void emptyNonTerminalsAppearAndDisappear() {
        Zone old = base();
        org.xbill.DNS.Record deep = record("a.b.c.example.test. 300 IN A 192.0.2.9");
        org.xbill.DNS.Record sibling = record("x.b.c.example.test. 300 IN TXT \"sibling\"");

        Zone one = old.apply(List.of(), List.of(deep));
        assertThat(one.isEmptyNonTerminal(name("b.c.example.test."))).isTrue();
        assertThat(one.isEmptyNonTerminal(name("C.example.test."))).isTrue();
        assertThat(one.exists(name("a.b.c.example.test."))).isTrue();
        assertThat(one.isEmptyNonTerminal(name("a.b.c.example.test."))).isFalse();
        assertThat(one.exists(name("z.c.example.test."))).isFalse();
        assertThat(old.exists(name("b.c.example.test.")))
                .as("old zone unchanged")
                .isFalse();

        Zone two = one.apply(List.of(), List.of(sibling));
        Zone firstGone = two.apply(List.of(deep), List.of());
        assertThat(firstGone.isEmptyNonTerminal(name("b.c.example.test.")))
                .as("sibling keeps b.c")
                .isTrue();
        assertThat(firstGone.exists(name("a.b.c.example.test."))).isFalse();

        Zone bothGone = firstGone.apply(List.of(sibling), List.of());
        assertThat(bothGone.exists(name("b.c.example.test."))).isFalse();
        assertThat(bothGone.exists(name("c.example.test."))).isFalse();
        assertThat(two.isEmptyNonTerminal(name("b.c.example.test.")))
                .as("earlier zones unchanged")
                .isTrue();
        assertThat(bothGone.exists(ORIGIN)).isTrue();
    }

    @Test
    void emptyNonTerminalThatGetsDataAndLosesItAgain() {
        org.xbill.DNS.Record deep = record("a.b.example.test. 300 IN A 192.0.2.9");
        org.xbill.DNS.Record atEnt = record("b.example.test. 300 IN A 192.0.2.10");
        Zone z = base().apply(List.of(), List.of(deep));

        Zone withData = z.apply(List.of(), List.of(atEnt));
        assertThat(withData.isEmptyNonTerminal(name("b.example.test."))).isFalse();
        assertThat(withData.hasData(name("b.example.test."))).isTrue();

        Zone back = withData.apply(List.of(atEnt), List.of());
        assertThat(back.isEmptyNonTerminal(name("b.example.test."))).isTrue();

        Zone deepGone = withData.apply(List.of(deep), List.of());
        assertThat(deepGone.hasData(name("b.example.test."))).isTrue();
        assertThat(deepGone.exists(name("a.b.example.test."))).isFalse();
    }

    @Test
    void newSoaReplacesTheOld() {
        Zone old = base();
        String soa2 = "example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 2 7200 900 1209600 60";

        Zone next = old.apply(List.of(), records(soa2));

        assertThat(next.serial()).isEqualTo(2);
        assertThat(old.serial()).isEqualTo(1);
        assertThat(next.recordCount()).isEqualTo(5);
        assertThat(next.records().get(0).toString()).isEqualTo(record(soa2).toString());
        assertThat(next.records()).filteredOn(r -> r.getType() == Type.SOA).hasSize(1);
    }

    @Test
    void soaReplacedIxfrStyle() {
        String soa2 = "example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 2 7200 900 1209600 60";

        Zone next = base().apply(records(SOA), records(soa2));

        assertThat(next.serial()).isEqualTo(2);
        assertThat(next.recordCount()).isEqualTo(5);
    }

    @Test
    void removingTheSoaAloneIsRejected() {
        Zone old = base();

        assertThatThrownBy(() -> old.apply(records(SOA), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no SOA");
        assertThat(old.serial()).isEqualTo(1);
    }

    @Test
    void applyRejectsRecordOutsideTheOrigin() {
        Zone old = base();

        assertThatThrownBy(() -> old.apply(List.of(), records("evil.other.test. 300 IN A 192.0.2.66")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("evil.other.test.");
        assertThat(old.recordCount()).isEqualTo(5);
    }

    @Test
    void applyRejectsRecordOfAnotherClass() {
        org.xbill.DNS.Record chaos =
                new ARecord(name("web.example.test."), DClass.CH, 300, new byte[] {(byte) 192, 0, 2, 1});

        assertThatThrownBy(() -> base().apply(List.of(), List.of(chaos)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("web.example.test.");
    }

    @Test
    void delegationIsTheTopmostCutAndFollowsApply() throws Exception {
        Zone z = base().apply(List.of(), records("""
                sub.example.test. 300 IN NS ns.sub.example.test.
                ns.sub.example.test. 300 IN A 192.0.2.200
                deeper.sub.example.test. 300 IN NS ns.elsewhere.invalid.
                """));

        assertThat(z.delegation(name("a.b.deeper.sub.example.test."))).isEqualTo(name("sub.example.test."));
        assertThat(z.delegation(name("SUB.example.test."))).isEqualTo(name("sub.example.test."));
        assertThat(z.delegation(name("web.example.test."))).isNull();
        assertThat(z.delegation(ORIGIN)).as("apex NS is no cut").isNull();

        Zone noCut = z.apply(records("sub.example.test. 300 IN NS ns.sub.example.test."), List.of());
        assertThat(noCut.delegation(name("x.sub.example.test."))).isNull();
        assertThat(noCut.delegation(name("x.deeper.sub.example.test."))).isEqualTo(name("deeper.sub.example.test."));
        assertThat(base().delegation(name("x.sub.example.test."))).isNull();
    }

    @Test
    void negativeSoaTtlIsMinOfTtlAndMinimum() {
        assertThat(base().negativeSoa().getTTL()).isEqualTo(60);
        assertThat(base().soa().getTTL()).isEqualTo(3600);

        Zone lowTtl = Zone.of(
                ORIGIN,
                records("example.test. 20 IN SOA ns1.example.test. hostmaster.example.test. 1 7200 900 1209600 60"));
        assertThat(lowTtl.negativeSoa().getTTL()).isEqualTo(20);
    }

    @Test
    void manySmallUpdatesKeepCountsRight() {
        Zone z = base();
        List<Zone> history = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            history.add(z);
            z = z.apply(
                    List.of(), records("h" + i + ".pods.example.test. 30 IN A 10.0." + (i / 256) + "." + (i % 256)));
        }
        assertThat(z.recordCount()).isEqualTo(505);
        assertThat(z.isEmptyNonTerminal(name("pods.example.test."))).isTrue();
        assertThat(history.get(100).recordCount()).isEqualTo(105);
        assertThat(history.get(100).hasData(name("h100.pods.example.test."))).isFalse();
        assertThat(history.get(100).hasData(name("h99.pods.example.test."))).isTrue();

        for (int i = 0; i < 500; i++) {
            z = z.apply(
                    records("h" + i + ".pods.example.test. 30 IN A 10.0." + (i / 256) + "." + (i % 256)), List.of());
        }
        assertThat(z.recordCount()).isEqualTo(5);
        assertThat(z.exists(name("pods.example.test."))).isFalse();
        assertThat(presentation(z.records())).isEqualTo(presentation(BASE));
    }

    /**
     * A name gains three types one by one and loses them in every order: after each step its RRsets are exactly the
     * types it holds (a name with one type keeps its RRset without an array, with more an array of them), the other
     * types answer empty, and the older versions are unchanged.
     */
    @Test
    void aNameGainsAndLosesTypesInEveryOrder() {
        Name multi = name("multi.example.test.");
        List<org.xbill.DNS.Record> all = records("""
                multi.example.test. 30 IN A 10.0.0.1
                multi.example.test. 30 IN AAAA fd00::1
                multi.example.test. 30 IN TXT "hello"
                """);
        int[][] orders = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        for (int[] order : orders) {
            Zone z = base();
            for (org.xbill.DNS.Record r : all) {
                z = z.apply(List.of(), List.of(r));
            }
            Zone full = z;
            java.util.Set<Integer> left = new java.util.TreeSet<>(java.util.Set.of(Type.A, Type.AAAA, Type.TXT));
            for (int i : order) {
                org.xbill.DNS.Record r = all.get(i);
                z = z.apply(List.of(r), List.of());
                left.remove(r.getType());
                assertThat(z.rrsets(multi).keySet())
                        .as("order %s", java.util.Arrays.toString(order))
                        .isEqualTo(left);
                for (int type : new int[] {Type.A, Type.AAAA, Type.TXT}) {
                    assertThat(z.rrset(multi, type)).hasSize(left.contains(type) ? 1 : 0);
                }
                assertThat(z.hasData(multi)).isEqualTo(!left.isEmpty());
                assertThat(z.recordCount()).isEqualTo(5 + left.size());
            }
            assertThat(full.rrsets(multi).keySet()).containsExactlyInAnyOrder(Type.A, Type.AAAA, Type.TXT);
            assertThat(presentation(z.records())).isEqualTo(presentation(BASE));
        }
    }

    /**
     * An RRset grows past the size kept as a plain array and shrinks back, one record at a time, with TTL changes on
     * the way: after every step the RRset, the name's RRsets, the record count and the AXFR list agree with a plain
     * reference set, and the older versions are unchanged.
     */
    @Test
    void bigRRsetGrowsAndShrinksRecordByRecordAndOldVersionsStayAsTheyWere() throws Exception {
        Name big = name("big.example.test.");
        Zone z = base();
        java.util.Set<String> reference = new java.util.TreeSet<>();
        List<Zone> versions = new ArrayList<>();
        List<java.util.Set<String>> expected = new ArrayList<>();
        int n = 3 * RRset.SMALL;
        for (int i = 0; i < n; i++) {
            ARecord a = new ARecord(big, DClass.IN, 300, java.net.InetAddress.getByName("198.51.100." + i));
            z = z.apply(List.of(), List.of(a));
            reference.add(a.rdataToString());
            if (i % 5 == 0) { // the same rdata again with another TTL: replaced, not added
                ARecord again = new ARecord(big, DClass.IN, 60, a.getAddress());
                z = z.apply(List.of(), List.of(again));
            }
            versions.add(z);
            expected.add(new java.util.TreeSet<>(reference));
        }
        for (int i = 0; i < n; i++) {
            ARecord a = new ARecord(big, DClass.IN, 300, java.net.InetAddress.getByName("198.51.100." + i));
            z = z.apply(List.of(a), List.of());
            reference.remove(a.rdataToString());
            versions.add(z);
            expected.add(new java.util.TreeSet<>(reference));
        }
        for (int v = 0; v < versions.size(); v++) {
            Zone version = versions.get(v);
            java.util.Set<String> want = expected.get(v);
            java.util.Set<String> got = new java.util.TreeSet<>();
            for (org.xbill.DNS.Record r : version.rrset(big, Type.A)) {
                got.add(r.rdataToString());
                assertThat(r.getTTL())
                        .as("TTL of %s in version %d", r, v)
                        .isEqualTo(
                                Integer.parseInt(r.rdataToString().substring("198.51.100.".length())) % 5 == 0
                                        ? 60
                                        : 300);
            }
            assertThat(got).as("version %d", v).isEqualTo(want);
            assertThat(version.rrset(big, Type.A)).hasSize(want.size());
            assertThat(version.recordCount()).as("version %d", v).isEqualTo(5 + want.size());
            assertThat(version.records()).hasSize(5 + want.size());
            assertThat(version.hasData(big)).isEqualTo(!want.isEmpty());
            assertThat(version.rrsets(big).keySet())
                    .isEqualTo(want.isEmpty() ? java.util.Set.of() : java.util.Set.of(Type.A));
            for (String address : want) {
                assertThat(version.rrset(big, Type.A))
                        .contains(new ARecord(big, DClass.IN, 1, java.net.InetAddress.getByName(address)));
            }
        }
        assertThat(z.exists(big)).isFalse();
        assertThat(presentation(z.records())).isEqualTo(presentation(BASE));
    }
}
