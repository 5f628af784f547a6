package dev.zonekeeper.dns.zone;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.Name;

/** The zone's persistent map against java.util.HashMap, every old version kept and checked again. */
class ChampMapTest {

    /** A key with a chosen hash, so that collisions at every level (and of the full 32 bits) are exercised. */
    private record Key(int id, int hash) {
        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.id == id;
        }
    }

    private static Map<Key, Integer> contents(ChampMap<Key, Integer> map) {
        Map<Key, Integer> out = new HashMap<>();
        map.forEach(
                (k, v) -> assertThat(out.put(k, v)).as("key %s visited once", k).isNull());
        return out;
    }

    private static void assertSame(ChampMap<Key, Integer> map, Map<Key, Integer> model, List<Key> probes) {
        assertThat(map.size()).isEqualTo(model.size());
        assertThat(contents(map)).isEqualTo(model);
        for (Key k : probes) {
            assertThat(map.get(k)).as("get %s", k).isEqualTo(model.get(k));
            assertThat(map.containsKey(k)).isEqualTo(model.containsKey(k));
        }
    }

    /**
     * hashBits limits the hashes to that many low bits (and so forces deep paths and full-hash collisions);
     * 32 gives unrelated hashes.
     */
    @ParameterizedTest
    @ValueSource(ints = {32, 12, 3, 0})
    void randomChangesMatchAHashMapAndLeaveEveryOldVersionAsItWas(int hashBits) {
        Random random = new Random(42 + hashBits);
        int mask = hashBits == 32 ? -1 : (1 << hashBits) - 1;
        List<Key> keys = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            // spread the kept bits over the whole word, so that shifts 0..30 all see variety (or none)
            int h = random.nextInt() & mask;
            keys.add(new Key(i, hashBits == 32 ? h : Integer.rotateLeft(h, 7 * (i % 5))));
        }
        List<ChampMap<Key, Integer>> versions = new ArrayList<>();
        List<Map<Key, Integer>> models = new ArrayList<>();
        ChampMap<Key, Integer> map = ChampMap.empty();
        Map<Key, Integer> model = new HashMap<>();
        for (int step = 0; step < 4000; step++) {
            Key k = keys.get(random.nextInt(keys.size()));
            // grow for the first half, then shrink, so both splitting and merging of nodes are walked often
            boolean add = random.nextInt(100) < (step < 2000 ? 75 : 25);
            if (add) {
                int v = random.nextInt(5);
                ChampMap<Key, Integer> next = map.plus(k, v);
                Integer before = model.put(k, v);
                if (before != null && before == v) {
                    assertThat(next).as("same mapping gives the same map").isSameAs(map);
                }
                map = next;
            } else {
                ChampMap<Key, Integer> next = map.minus(k);
                if (model.remove(k) == null) {
                    assertThat(next)
                            .as("removing an absent key gives the same map")
                            .isSameAs(map);
                }
                map = next;
            }
            if (step % 97 == 0) {
                versions.add(map);
                models.add(new HashMap<>(model));
            }
            if (step % 13 == 0) {
                assertSame(map, model, keys);
            }
        }
        assertSame(map, model, keys);
        for (int i = 0; i < versions.size(); i++) {
            assertSame(versions.get(i), models.get(i), keys);
        }
        // emptied completely, in random order, and nothing is left behind
        List<Key> left = new ArrayList<>(model.keySet());
        java.util.Collections.shuffle(left, random);
        for (Key k : left) {
            map = map.minus(k);
            model.remove(k);
            assertThat(map.get(k)).isNull();
        }
        assertSame(map, model, keys);
        assertThat(map.isEmpty()).isTrue();
        assertThat(map.toString()).isEqualTo("{}");
    }

    @Test
    void namesAreFoundWhateverTheirCaseAsDnsComparesThem() {
        ChampMap<Name, String> map = ChampMap.<Name, String>empty()
                .plus(Name.fromConstantString("Web.Shop.svc.cluster.local."), "web")
                .plus(Name.fromConstantString("db.shop.svc.cluster.local."), "db");
        assertThat(map.get(Name.fromConstantString("web.shop.SVC.cluster.local.")))
                .isEqualTo("web");
        assertThat(map.minus(Name.fromConstantString("DB.shop.svc.cluster.local."))
                        .size())
                .isEqualTo(1);
        assertThat(map.get(Name.fromConstantString("api.shop.svc.cluster.local.")))
                .isNull();
    }
}
