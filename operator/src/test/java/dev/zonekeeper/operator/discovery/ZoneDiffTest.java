package dev.zonekeeper.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ZoneDiffTest {

    @Test
    void removedAndAddedRecords() {
        RecordDelta d = ZoneDiff.diff(ZoneText.parse("""
        a.cluster.local. 5 IN A 10.0.0.1
        a.cluster.local. 5 IN A 10.0.0.2
        b.cluster.local. 5 IN TXT "x"
        """), ZoneText.parse("""
        a.cluster.local. 5 IN A 10.0.0.2
        b.cluster.local. 5 IN TXT "x"
        c.cluster.local. 5 IN CNAME a.cluster.local.
        """));
        assertThat(ZoneText.lines(d.removed())).isEqualTo(ZoneText.lines("a.cluster.local. 5 IN A 10.0.0.1\n"));
        assertThat(ZoneText.lines(d.added()))
                .isEqualTo(ZoneText.lines("c.cluster.local. 5 IN CNAME a.cluster.local.\n"));
    }

    @Test
    void sameRecordsInAnotherOrderGiveAnEmptyDelta() {
        RecordDelta d = ZoneDiff.diff(
                ZoneText.parse("a.x. 5 IN A 10.0.0.1\nb.x. 5 IN A 10.0.0.2\n"),
                ZoneText.parse("B.X. 5 IN A 10.0.0.2\na.x. 5 IN A 10.0.0.1\n"));
        assertThat(d.isEmpty()).isTrue();
    }
}
