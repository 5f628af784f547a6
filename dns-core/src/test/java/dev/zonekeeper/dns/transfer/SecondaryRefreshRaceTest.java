package dev.zonekeeper.dns.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

/**
 * A refresh asked for (NOTIFY) just as a transfer ends must not be lost. Found by TransferFuzzTest as a "wedged"
 * secondary: the transfer thread read {@code pending} (false), then the refresh was asked for and scheduled, then the
 * transfer thread replaced that schedule with the next SOA refresh, up to an hour later.
 */
class SecondaryRefreshRaceTest {

    @Test
    void aRefreshAskedForWhileATransferEndsIsNotReplacedByTheNextPoll() throws Exception {
        TransferFuzzTest.FakePrimary primary = new TransferFuzzTest.FakePrimary();
        primary.script(List.of(TransferSeeds.goodAxfrStream(1), TransferSeeds.goodAxfrStream(1)));
        BlockingQueue<Object> outcomes = new LinkedBlockingQueue<>();
        TransferListener listener = new TransferListener() {
            @Override
            public void onTransfer(Name zone, Kind kind, long serial, int recordsChanged) {
                outcomes.add(kind);
            }

            @Override
            public void onFailure(Name zone, Exception cause) {
                outcomes.add(cause);
            }

            @Override
            public void onUpToDate(Name zone, long serial) {
                outcomes.add("current");
            }
        };
        SecondaryZone.Settings hourly = new SecondaryZone.Settings(
                Duration.ofSeconds(5),
                Duration.ofHours(1),
                Duration.ofHours(1),
                Duration.ofHours(1),
                Duration.ofHours(1));
        try (SecondaryZone secondary =
                new SecondaryZone(TransferFuzzTest.ORIGIN, primary.address(), null, z -> {}, listener, hourly)) {
            Field field = SecondaryZone.class.getDeclaredField("scheduleLock");
            field.setAccessible(true);
            Object lock = field.get(secondary);
            synchronized (lock) {
                secondary.start();
                assertThat(outcomes.poll(30, TimeUnit.SECONDS)).isEqualTo(TransferListener.Kind.AXFR);
                // The transfer thread is now past the transfer, waiting for the lock to schedule the next poll.
                Thread transferThread = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().equals("secondary-" + TransferFuzzTest.ORIGIN))
                        .findFirst()
                        .orElseThrow();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (transferThread.getState() != Thread.State.BLOCKED && System.nanoTime() < until) {
                    Thread.sleep(1);
                }
                assertThat(transferThread.getState()).isEqualTo(Thread.State.BLOCKED);
                secondary.refreshSoon(); // a NOTIFY arrives
            }
            assertThat(outcomes.poll(30, TimeUnit.SECONDS))
                    .as("the refresh asked for happens")
                    .isNotNull();
        }
    }
}
