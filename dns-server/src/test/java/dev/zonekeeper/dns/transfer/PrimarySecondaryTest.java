package dev.zonekeeper.dns.transfer;

import static dev.zonekeeper.dns.testing.Loopback.loopback;
import static dev.zonekeeper.dns.transfer.TransferTesting.KEY;
import static dev.zonekeeper.dns.transfer.TransferTesting.ORIGIN;
import static dev.zonekeeper.dns.transfer.TransferTesting.exampleZone;
import static dev.zonekeeper.dns.transfer.TransferTesting.records;
import static dev.zonekeeper.dns.transfer.TransferTesting.rr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.testing.Closer;
import dev.zonekeeper.dns.transfer.TransferListener.Kind;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneStore;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Our primary and our secondary over real loopback sockets. */
class PrimarySecondaryTest {
    private static final SecondaryZone.Settings NOTIFY_DRIVEN = new SecondaryZone.Settings(
            Duration.ofSeconds(5),
            Duration.ofMillis(100),
            Duration.ofMillis(400),
            Duration.ofHours(1),
            Duration.ofHours(1));

    private final Closer closer = new Closer();
    private final TransferTesting.Events events = new TransferTesting.Events();
    private final ZoneStore store = new ZoneStore();
    private PrimaryZones primary;
    private TransferServer server;
    private SecondaryZones secondary;

    @AfterEach
    void tearDown() throws Exception {
        closer.close();
    }

    /** A primary with {@code limits}, our secondary with NOTIFY wired from the primary when {@code notify}. */
    private void start(JournaledZone.Limits limits, boolean notify, SecondaryZone.Settings settings)
            throws IOException {
        primary = new PrimaryZones(limits, java.time.Clock.systemUTC());
        primary.put(exampleZone());
        server = closer.add(TransferServer.start(loopback(0), primary, KEY));
        secondary = closer.add(new SecondaryZones(server.address(), KEY, List.of(ORIGIN), store, events, settings));
        if (notify) {
            NotifyListener listener = closer.add(NotifyListener.start(loopback(0), KEY, secondary));
            NotifySender sender = closer.add(new NotifySender(
                    List.of(listener.address()), KEY, new NotifySender.Options(Duration.ofMillis(200), 5)));
            primary.addListener(sender);
        }
        secondary.start();
        await().until(() -> secondary.hasLoaded(ORIGIN));
    }

    private Zone served() {
        return store.current().find(ORIGIN);
    }

    private void awaitInSync() {
        await().untilAsserted(() -> {
            Zone want = primary.get(ORIGIN).zone();
            assertThat(served()).isNotNull();
            assertThat(served().serial()).isEqualTo(want.serial());
            assertThat(records(served())).isEqualTo(records(want));
        });
    }

    @Test
    void firstTransferIsAxfrThenChangesFlowByIxfrAfterNotify() throws Exception {
        start(JournaledZone.Limits.DEFAULT, true, NOTIFY_DRIVEN);
        awaitInSync();
        assertThat(events.kinds()).containsExactly(Kind.AXFR);
        assertThat(server.stats().axfr()).isEqualTo(1);

        primary.change(ORIGIN, List.of(), List.of(rr("new.example.test. 300 IN A 192.0.2.20")));
        awaitInSync();
        assertThat(served().rrset(rr("new.example.test. 300 IN A 192.0.2.20").getName(), 1))
                .hasSize(1);

        primary.change(
                ORIGIN,
                List.of(rr("www.example.test. 300 IN A 192.0.2.10")),
                List.of(
                        rr("www.example.test. 300 IN A 192.0.2.12"),
                        rr("txt.example.test. 60 IN TXT \"hello world\"")));
        awaitInSync();

        primary.change(ORIGIN, List.of(rr("api.example.test. 300 IN CNAME www.example.test.")), List.of());
        awaitInSync();
        assertThat(served().exists(rr("api.example.test. 300 IN A 192.0.2.1").getName()))
                .isFalse();

        assertThat(events.kinds()).containsExactly(Kind.AXFR, Kind.IXFR, Kind.IXFR, Kind.IXFR);
        assertThat(events.last().changed()).isEqualTo(1);
        assertThat(server.stats().axfr()).isEqualTo(1);
        assertThat(server.stats().ixfr()).isEqualTo(3);
        assertThat(server.stats().ixfrAsAxfr()).isZero();
        assertThat(events.failures).isEmpty();
    }

    @Test
    void servedListenerHearsEveryCompletedTransferWithItsSerial() throws Exception {
        List<Long> served = new java.util.concurrent.CopyOnWriteArrayList<>();
        primary = new PrimaryZones();
        long first = primary.put(exampleZone());
        server = closer.add(TransferServer.start(loopback(0), primary, KEY));
        server.addServedListener((zone, serial) -> {
            assertThat(zone).isEqualTo(ORIGIN);
            served.add(serial);
        });
        secondary =
                closer.add(new SecondaryZones(server.address(), KEY, List.of(ORIGIN), store, events, NOTIFY_DRIVEN));
        NotifyListener listener = closer.add(NotifyListener.start(loopback(0), KEY, secondary));
        primary.addListener(closer.add(new NotifySender(
                List.of(listener.address()), KEY, new NotifySender.Options(Duration.ofMillis(200), 5))));
        secondary.start();
        await().until(() -> served.contains(first));

        long second = primary.change(ORIGIN, List.of(), List.of(rr("new.example.test. 300 IN A 192.0.2.20")));
        awaitInSync();
        await().until(() -> served.contains(second));
        assertThat(served).containsExactly(first, second); // an up-to-date refresh check is no transfer
        assertThat(events.kinds()).containsExactly(Kind.AXFR, Kind.IXFR);
    }

    @Test
    void wholeZoneReplacementIsSentAsTheDifference() throws Exception {
        start(JournaledZone.Limits.DEFAULT, true, NOTIFY_DRIVEN);
        Zone desired = exampleZone()
                .apply(
                        List.of(rr("www.example.test. 300 IN A 192.0.2.11")),
                        List.of(
                                rr("db.example.test. 300 IN AAAA 2001:db8::1"),
                                rr("www.example.test. 30 IN A 192.0.2.10")));
        long serial = primary.put(desired);
        awaitInSync();
        assertThat(served().serial()).isEqualTo(serial);
        assertThat(events.last().kind()).isEqualTo(Kind.IXFR);
        // www A .11 removed; .10 TTL 300 -> 30 (removed and added); db AAAA added
        assertThat(events.last().changed()).isEqualTo(4);
    }

    @Test
    void secondaryTooFarBehindForTheJournalGetsTheWholeZone() throws Exception {
        start(new JournaledZone.Limits(2, 1000), false, NOTIFY_DRIVEN);
        for (int i = 1; i <= 4; i++) {
            primary.change(ORIGIN, List.of(), List.of(rr("h" + i + ".example.test. 300 IN A 192.0.2." + (100 + i))));
        }
        assertThat(primary.get(ORIGIN).journal()).hasSize(2);

        secondary.get(ORIGIN).refreshSoon();
        awaitInSync();
        assertThat(events.kinds()).containsExactly(Kind.AXFR, Kind.AXFR);
        assertThat(server.stats().ixfrAsAxfr()).isEqualTo(1);

        // Back within the journal: incremental again.
        primary.change(ORIGIN, List.of(), List.of(rr("h5.example.test. 300 IN A 192.0.2.105")));
        secondary.get(ORIGIN).refreshSoon();
        awaitInSync();
        assertThat(events.kinds()).containsExactly(Kind.AXFR, Kind.AXFR, Kind.IXFR);
    }

    @Test
    void pollingBySoaRefreshCatchesChangesWithoutNotify() throws Exception {
        start(
                JournaledZone.Limits.DEFAULT,
                false,
                new SecondaryZone.Settings(
                        Duration.ofSeconds(5),
                        Duration.ofMillis(100),
                        Duration.ofMillis(400),
                        Duration.ofMillis(200),
                        Duration.ofMillis(200)));
        primary.change(ORIGIN, List.of(), List.of(rr("polled.example.test. 300 IN A 192.0.2.30")));
        awaitInSync();
        assertThat(events.last().kind()).isEqualTo(Kind.IXFR);
    }

    @Test
    void keepsItsZoneWhilePrimaryIsAwayAndCatchesUpWhenItIsBack() throws Exception {
        start(JournaledZone.Limits.DEFAULT, true, NOTIFY_DRIVEN);
        awaitInSync();
        int port = server.address().getPort();
        server.close();

        long before = served().serial();
        primary.change(ORIGIN, List.of(), List.of(rr("late.example.test. 300 IN A 192.0.2.40")));
        // The NOTIFY arrives, the transfer fails, and retries keep failing while the zone stays served.
        await().until(() -> events.failures.size() >= 3);
        assertThat(secondary.hasLoaded(ORIGIN)).isTrue();
        assertThat(served().serial()).isEqualTo(before);
        assertThat(events.failures.get(0)).isInstanceOf(IOException.class);

        server = closer.add(TransferServer.start(loopback(port), primary, KEY));
        awaitInSync();
        assertThat(events.last().kind()).isEqualTo(Kind.IXFR);
        assertThat(served().rrset(rr("late.example.test. 300 IN A 192.0.2.40").getName(), 1))
                .hasSize(1);
    }

    @Test
    void everyTransferOfAZoneTravelsOnOneKeptConnection() throws Exception {
        start(JournaledZone.Limits.DEFAULT, true, NOTIFY_DRIVEN);
        for (int i = 1; i <= 5; i++) {
            primary.change(ORIGIN, List.of(), List.of(rr("k" + i + ".example.test. 300 IN A 192.0.2." + (50 + i))));
            awaitInSync();
        }
        List<Kind> kinds = events.kinds();
        assertThat(kinds.get(0)).isEqualTo(Kind.AXFR);
        assertThat(kinds.subList(1, kinds.size()))
                .hasSizeGreaterThanOrEqualTo(5)
                .containsOnly(Kind.IXFR);
        assertThat(server.stats().ixfr()).isGreaterThanOrEqualTo(5);
        assertThat(server.stats().connections()).isEqualTo(1);
        assertThat(events.failures).isEmpty();
    }

    @Test
    void aPrimaryRestartBetweenChangesCostsNoFailedTransfer() throws Exception {
        start(JournaledZone.Limits.DEFAULT, true, NOTIFY_DRIVEN);
        int port = server.address().getPort();
        server.close(); // closes the connection the secondary keeps
        // the closed UDP socket's port is released once its receiving thread has left: retry the bind until then
        server = closer.add(await().ignoreExceptionsInstanceOf(java.net.BindException.class)
                .until(() -> TransferServer.start(loopback(port), primary, KEY), s -> s != null));

        primary.change(ORIGIN, List.of(), List.of(rr("after.example.test. 300 IN A 192.0.2.41")));
        awaitInSync();
        assertThat(events.last().kind()).isEqualTo(Kind.IXFR);
        assertThat(events.failures).isEmpty(); // the dead connection was noticed and the request sent again
        assertThat(server.stats().connections()).isEqualTo(1);
    }

    @Test
    void aConnectionClosedByThePrimaryForIdlenessIsReopened() throws Exception {
        primary = new PrimaryZones();
        primary.put(exampleZone());
        server = closer.add(TransferServer.start(
                loopback(0), primary, KEY, new TransferServer.Options(16_384, Duration.ofMillis(100), 64)));
        secondary =
                closer.add(new SecondaryZones(server.address(), KEY, List.of(ORIGIN), store, events, NOTIFY_DRIVEN));
        secondary.start();
        await().until(() -> secondary.hasLoaded(ORIGIN));
        Thread.sleep(300); // past the primary's idle timeout: it has closed the connection

        primary.change(ORIGIN, List.of(), List.of(rr("idle.example.test. 300 IN A 192.0.2.42")));
        secondary.get(ORIGIN).refreshSoon();
        awaitInSync();
        assertThat(events.kinds()).containsExactly(Kind.AXFR, Kind.IXFR);
        assertThat(events.failures).isEmpty();
        assertThat(server.stats().connections()).isEqualTo(2);
    }

    @Test
    void secondaryWithTheWrongKeyLoadsNothing() throws Exception {
        primary = new PrimaryZones();
        primary.put(exampleZone());
        server = closer.add(TransferServer.start(loopback(0), primary, KEY));
        SecondaryZones wrong = closer.add(new SecondaryZones(
                server.address(),
                TsigKeyFile.parse("zonekeeper-transfer:hmac-sha256:d3Jvbmctc2VjcmV0"),
                List.of(ORIGIN),
                store,
                events,
                NOTIFY_DRIVEN));
        wrong.start();
        await().until(() -> events.failures.size() >= 2);
        assertThat(wrong.hasLoaded(ORIGIN)).isFalse();
        assertThat(store.current().find(ORIGIN)).isNull();
        assertThat(events.failures.get(0)).hasMessageContaining("NOTAUTH");
        assertThat(server.stats().tsigFailures()).isGreaterThanOrEqualTo(2);
        assertThat(server.stats().axfr()).isZero();
    }
}
