package dev.zonekeeper.dns.transfer;

import static dev.zonekeeper.dns.transfer.TransferTesting.exampleZone;
import static dev.zonekeeper.dns.transfer.TransferTesting.records;
import static dev.zonekeeper.dns.transfer.TransferTesting.rr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class JournaledZoneTest {
    private static final Clock EPOCH = Clock.fixed(Instant.ofEpochSecond(0), ZoneOffset.UTC);

    @Test
    void nextSerialFollowsTheClockWhenAheadElseCountsUpModulo2To32() {
        assertThat(JournaledZone.nextSerial(1, 1_700_000_000L)).isEqualTo(1_700_000_000L);
        assertThat(JournaledZone.nextSerial(1_700_000_000L, 1_700_000_000L)).isEqualTo(1_700_000_001L);
        assertThat(JournaledZone.nextSerial(1_800_000_000L, 1_700_000_000L)).isEqualTo(1_800_000_001L);
        assertThat(JournaledZone.nextSerial(0xFFFFFFFFL, 5)).isEqualTo(5);
        assertThat(JournaledZone.nextSerial(0xFFFFFFFFL, 0)).isEqualTo(0);
        // The clock more than 2^31 behind in serial arithmetic is not "ahead".
        assertThat(JournaledZone.nextSerial(10, 10 + 0x80000000L)).isEqualTo(11);
    }

    @Test
    void applyChangeBumpsTheSerialAndJournalsTheRealDifference() {
        JournaledZone v1 = JournaledZone.of(exampleZone());
        JournaledZone v2 = v1.applyChange(
                List.of(rr("www.example.test. 300 IN A 192.0.2.10"), rr("absent.example.test. 300 IN A 192.0.2.1")),
                List.of(rr("www.example.test. 300 IN A 192.0.2.11"), rr("new.example.test. 300 IN A 192.0.2.5")),
                EPOCH);
        assertThat(v2.serial()).isEqualTo(2);
        assertThat(v2.journal()).hasSize(1);
        JournaledZone.Diff d = v2.journal().get(0);
        assertThat(d.from().getSerial()).isEqualTo(1);
        assertThat(d.to().getSerial()).isEqualTo(2);
        assertThat(d.removed()).containsExactly(rr("www.example.test. 300 IN A 192.0.2.10"));
        assertThat(d.added()).containsExactly(rr("new.example.test. 300 IN A 192.0.2.5"));
        assertThat(v1.serial()).isEqualTo(1); // the old version is untouched
        assertThat(v1.applyChange(List.of(), List.of(rr("www.example.test. 300 IN A 192.0.2.10")), EPOCH))
                .isSameAs(v1);
    }

    @Test
    void ttlChangeIsARemovalAndAnAddition() {
        JournaledZone v2 = JournaledZone.of(exampleZone())
                .applyChange(List.of(), List.of(rr("ns1.example.test. 60 IN A 192.0.2.1")), EPOCH);
        JournaledZone.Diff d = v2.journal().get(0);
        assertThat(d.removed()).extracting(org.xbill.DNS.Record::getTTL).containsExactly(300L);
        assertThat(d.added()).extracting(org.xbill.DNS.Record::getTTL).containsExactly(60L);
    }

    @Test
    void diffsSinceAKnownSerialChainToTheCurrentOneAndOldSerialsAreForgotten() {
        JournaledZone z = JournaledZone.of(exampleZone(), new JournaledZone.Limits(3, 1000));
        for (int i = 0; i < 5; i++) {
            z = z.applyChange(List.of(), List.of(rr("h" + i + ".example.test. 300 IN A 192.0.2." + i)), EPOCH);
        }
        assertThat(z.serial()).isEqualTo(6);
        assertThat(z.diffsSince(6)).contains(List.of());
        assertThat(z.diffsSince(4).orElseThrow())
                .extracting(d -> d.from().getSerial())
                .containsExactly(4L, 5L);
        assertThat(z.diffsSince(3).orElseThrow()).hasSize(3);
        assertThat(z.diffsSince(2)).isEmpty();
        assertThat(z.diffsSince(99)).isEmpty();
    }

    @Test
    void journalIsAlsoBoundedByRecords() {
        JournaledZone z = JournaledZone.of(exampleZone(), new JournaledZone.Limits(100, 7));
        z = z.applyChange(List.of(), List.of(rr("a.example.test. 300 IN A 192.0.2.1")), EPOCH); // 3 records
        z = z.applyChange(List.of(), List.of(rr("b.example.test. 300 IN A 192.0.2.2")), EPOCH); // 6
        z = z.applyChange(List.of(), List.of(rr("c.example.test. 300 IN A 192.0.2.3")), EPOCH); // 9 -> drop first
        assertThat(z.journal()).hasSize(2);
        assertThat(z.diffsSince(1)).isEmpty();
        assertThat(z.diffsSince(2).orElseThrow()).hasSize(2);
    }

    @Test
    void replaceContentJournalsOnlyTheDifference() {
        JournaledZone v1 = JournaledZone.of(exampleZone());
        var desired = exampleZone()
                .apply(
                        List.of(rr("txt.example.test. 300 IN TXT \"hello world\"")),
                        List.of(rr("mx.example.test. 300 IN MX 10 www.example.test.")));
        JournaledZone v2 = v1.replaceContent(desired, EPOCH);
        assertThat(v2.journal().get(0).removed()).containsExactly(rr("txt.example.test. 300 IN TXT \"hello world\""));
        assertThat(v2.journal().get(0).added()).containsExactly(rr("mx.example.test. 300 IN MX 10 www.example.test."));
        assertThat(records(v2.zone()))
                .containsAll(records(desired).stream()
                        .filter(r -> !r.contains("SOA"))
                        .toList());
        assertThat(v2.replaceContent(desired, EPOCH)).isSameAs(v2);
    }

    @Test
    void theSoaCannotBeRemoved() {
        JournaledZone v1 = JournaledZone.of(exampleZone());
        assertThatThrownBy(() -> v1.applyChange(List.of(v1.zone().soa()), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SOA");
    }
}
