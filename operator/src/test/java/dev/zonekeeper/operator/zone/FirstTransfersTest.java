package dev.zonekeeper.operator.zone;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

class FirstTransfersTest {
    private static final Name CLUSTER = Name.fromConstantString("cluster.local.");
    private static final Name IN_ADDR = Name.fromConstantString("in-addr.arpa.");
    private static final Name OTHER = Name.fromConstantString("example.test.");

    @Test
    void runsOnceWhenEveryZoneHasBeenTransferredAndNeverAgain() {
        AtomicInteger runs = new AtomicInteger();
        FirstTransfers first = new FirstTransfers(List.of(CLUSTER, IN_ADDR), runs::incrementAndGet);

        first.served(CLUSTER, 1);
        first.served(CLUSTER, 2); // the same zone again (an IXFR) does not count twice
        first.served(OTHER, 1); // a zone it does not wait for
        assertThat(runs).hasValue(0);
        assertThat(first.done()).isFalse();

        first.served(IN_ADDR, 1);
        assertThat(runs).hasValue(1);
        assertThat(first.done()).isTrue();

        first.served(CLUSTER, 3);
        first.served(IN_ADDR, 2);
        assertThat(runs).hasValue(1);
    }
}
