package dev.zonekeeper.operator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

class ZoneSettingsTest {

    @Test
    void normalisesZonesAndWriters() throws Exception {
        ZoneSettings settings = ZoneSettings.parse(
                "Cluster.Local.",
                List.of("Example.COM", "a.example.com."),
                Map.of("example.com", "team-a, team-b", "a.example.com", "*"));

        assertThat(settings.clusterDomain()).isEqualTo(Name.fromString("cluster.local."));
        assertThat(settings.zones())
                .containsExactly(Name.fromString("a.example.com."), Name.fromString("example.com."));
        assertThat(settings.zoneOf(Name.fromString("x.a.example.com."))).contains(Name.fromString("a.example.com."));
        assertThat(settings.mayWrite(Name.fromString("example.com."), "team-b")).isTrue();
        assertThat(settings.mayWrite(Name.fromString("example.com."), "team-c")).isFalse();
        assertThat(settings.mayWrite(Name.fromString("a.example.com."), "anyone"))
                .isTrue();
    }

    @Test
    void aZoneWithoutWritersIsWritableByNoNamespace() throws Exception {
        ZoneSettings settings = ZoneSettings.parse("cluster.local", List.of("example.com"), Map.of());

        assertThat(settings.mayWrite(Name.fromString("example.com."), "default"))
                .isFalse();
    }

    @Test
    void invalidZoneNamesAreReportedWithTheirKey() {
        assertThatThrownBy(() -> ZoneSettings.parse("cluster.local", List.of("ok.example", "bad_zone..x"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("zonekeeper.zones: \"bad_zone..x\" is not a valid zone name");
        assertThatThrownBy(() -> ZoneSettings.parse("-cluster.local", List.of(), Map.of()))
                .hasMessageStartingWith("zonekeeper.cluster-domain:");
        assertThatThrownBy(() -> ZoneSettings.parse("cluster.local", List.of("."), Map.of()))
                .hasMessageContaining("zonekeeper.zones: an empty zone name (or the root) cannot be served");
        assertThatThrownBy(() -> ZoneSettings.parse("cluster.local", List.of("svc.cluster.local"), Map.of()))
                .hasMessageContaining("lies inside the cluster domain");
    }

    @Test
    void writersMustNameServedZonesAndNamespaces() {
        assertThatThrownBy(() ->
                        ZoneSettings.parse("cluster.local", List.of("example.com"), Map.of("example.org", "team-a")))
                .hasMessageStartingWith("zonekeeper.zone-writers.\"example.org\": zone example.org. is not listed in "
                        + "zonekeeper.zones");
        assertThatThrownBy(() ->
                        ZoneSettings.parse("cluster.local", List.of("example.com"), Map.of("example.com", "Team_A")))
                .hasMessageStartingWith("zonekeeper.zone-writers.\"example.com\": \"Team_A\" is not a namespace name");
    }
}
