package dev.zonekeeper.dns.zone;

import static dev.zonekeeper.dns.zone.ZoneFixtures.name;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ZoneStoreTest {
    private static Zone zone(String origin) {
        return Zone.parse(name(origin), "@ 300 IN SOA ns hostmaster 1 7200 900 1209600 60\n");
    }

    @Test
    void startsEmptyAtVersionZero() {
        ZoneStore store = new ZoneStore();

        assertThat(store.current().zones()).isEmpty();
        assertThat(store.version()).isZero();
    }

    @Test
    void replaceAndUpdateBumpVersionAndNotify() {
        ZoneStore store = new ZoneStore();
        List<ZoneSet> seen = Collections.synchronizedList(new ArrayList<>());
        store.addListener(seen::add);

        ZoneSet one = ZoneSet.of(List.of(zone("a.test.")));
        store.replace(one);
        store.update(z -> z.with(zone("b.test.")));

        assertThat(store.version()).isEqualTo(2);
        assertThat(store.current().find(name("x.b.test."))).isNotNull();
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0)).isSameAs(one);
        assertThat(seen.get(1)).isSameAs(store.current());
    }

    @Test
    void sameInstanceIsNoChange() {
        ZoneStore store = new ZoneStore();
        List<ZoneSet> seen = new ArrayList<>();
        store.addListener(seen::add);

        store.update(z -> z);
        store.replace(store.current());

        assertThat(store.version()).isZero();
        assertThat(seen).isEmpty();
    }

    @Test
    void failingUpdateLeavesZonesAsTheyWere() {
        ZoneStore store = new ZoneStore(ZoneSet.of(List.of(zone("a.test."))));
        ZoneSet before = store.current();

        assertThatThrownBy(() -> store.update(z -> {
                    throw new IllegalArgumentException("bad record");
                }))
                .hasMessage("bad record");

        assertThat(store.current()).isSameAs(before);
        assertThat(store.version()).isZero();
    }

    @Test
    void failingListenerDoesNotStopOthers() {
        ZoneStore store = new ZoneStore();
        List<ZoneSet> seen = new ArrayList<>();
        store.addListener(z -> {
            throw new IllegalStateException("listener bug");
        });
        store.addListener(seen::add);

        store.update(z -> z.with(zone("a.test.")));

        assertThat(seen).hasSize(1);
        assertThat(store.version()).isEqualTo(1);
    }

    @Test
    void concurrentUpdatesAreSerialized() throws Exception {
        ZoneStore store = new ZoneStore();
        int writers = 4;
        int perWriter = 50;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int id = w;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perWriter; i++) {
                        Zone z = zone("z" + id + "-" + i + ".test.");
                        store.update(set -> set.with(z));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(store.current().zones()).hasSize(writers * perWriter);
        assertThat(store.version()).isEqualTo(writers * perWriter);
    }
}
