package dev.zonekeeper.dns.zone;

import static dev.zonekeeper.dns.zone.ZoneFixtures.name;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ZoneSetTest {
    private static Zone zone(String origin, long serial) {
        return Zone.parse(name(origin), "@ 300 IN SOA ns hostmaster " + serial + " 7200 900 1209600 60\n");
    }

    private static final Zone EXAMPLE = zone("example.test.", 1);
    private static final Zone SUB = zone("sub.example.test.", 1);
    private static final ZoneSet SET = ZoneSet.of(List.of(EXAMPLE, SUB));

    @Test
    void findsTheClosestEnclosingZone() {
        assertThat(SET.find(name("example.test."))).isSameAs(EXAMPLE);
        assertThat(SET.find(name("www.example.test."))).isSameAs(EXAMPLE);
        assertThat(SET.find(name("a.b.c.example.test."))).isSameAs(EXAMPLE);
        assertThat(SET.find(name("sub.example.test."))).isSameAs(SUB);
        assertThat(SET.find(name("host.sub.example.test."))).isSameAs(SUB);
        assertThat(SET.find(name("x.y.sub.example.test."))).isSameAs(SUB);
        assertThat(SET.find(name("notsub.example.test."))).isSameAs(EXAMPLE);
    }

    @Test
    void findIsCaseInsensitive() {
        assertThat(SET.find(name("HOST.Sub.EXAMPLE.test."))).isSameAs(SUB);
    }

    @Test
    void findReturnsNullOutside() {
        assertThat(SET.find(name("test."))).isNull();
        assertThat(SET.find(name("."))).isNull();
        assertThat(SET.find(name("example.org."))).isNull();
        assertThat(SET.find(name("xexample.test."))).isNull();
        assertThat(ZoneSet.empty().find(name("example.test."))).isNull();
    }

    @Test
    void rootZoneEnclosesEverything() {
        ZoneSet withRoot = SET.with(zone(".", 1));

        assertThat(withRoot.find(name("example.org.")).origin()).isEqualTo(name("."));
        assertThat(withRoot.find(name("www.example.test."))).isSameAs(EXAMPLE);
    }

    @Test
    void withReplacesAndWithoutRemoves() {
        Zone example2 = zone("EXAMPLE.test.", 2);

        ZoneSet replaced = SET.with(example2);
        assertThat(replaced.zones()).hasSize(2);
        assertThat(replaced.find(name("www.example.test.")).serial()).isEqualTo(2);
        assertThat(SET.find(name("www.example.test.")).serial())
                .as("original unchanged")
                .isEqualTo(1);

        ZoneSet noSub = SET.without(name("sub.example.test."));
        assertThat(noSub.find(name("host.sub.example.test."))).isSameAs(EXAMPLE);
        assertThat(noSub.zones()).containsExactly(EXAMPLE);
        assertThat(SET.without(name("absent.test."))).isSameAs(SET);
    }

    @Test
    void rejectsTwoZonesWithTheSameOrigin() {
        assertThatThrownBy(() -> ZoneSet.of(List.of(EXAMPLE, zone("example.test.", 2))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("example.test.");
    }
}
