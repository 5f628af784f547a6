package dev.zonekeeper.dns.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.wire.WireBytes;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Names built to collide (issue 13 point 4): blocks "a~" and "b_" have equal String.hashCode, and equal
 * {@code h * 31 + byte} folds, in any combination, so 1,024 such names used to land in one bucket of the cache,
 * the in-flight map and the wire-form index. With the per-process keyed hash they spread.
 */
class HashFloodTest {
    static final int BLOCKS = 10;

    /** 2^BLOCKS lower-case names with one String.hashCode. */
    static List<String> collidingNames() {
        List<String> names = new ArrayList<>();
        for (int bits = 0; bits < (1 << BLOCKS); bits++) {
            StringBuilder sb = new StringBuilder();
            for (int b = 0; b < BLOCKS; b++) {
                sb.append((bits >> b & 1) == 0 ? "a~" : "b_");
            }
            names.add(sb.append(".flood.test.").toString());
        }
        return names;
    }

    @Test
    void collidingNamesGetDistinctCacheKeyAndQuestionHashes() throws Exception {
        List<String> names = collidingNames();
        assertThat(names.stream().map(String::hashCode).distinct())
                .as("precondition: String.hashCode collides")
                .hasSize(1);

        Set<Integer> keyHashes = new HashSet<>();
        Set<Integer> wireHashes = new HashSet<>();
        for (String n : names) {
            Message q = ForwarderTest.query(n, Type.A);
            keyHashes.add(CacheKey.of(q).hashCode());
            byte[] wire = Name.fromString(n).toWireCanonical();
            wireHashes.add(WireBytes.questionHash(wire, 0, wire.length, (Type.A << 16) | DClass.IN));
        }
        // 1,024 random 32-bit values: a repeat has probability about 1e-4; allow a few
        assertThat(keyHashes).as("CacheKey hashes of colliding names").hasSizeGreaterThan(names.size() - 4);
        assertThat(wireHashes).as("question hashes of colliding names").hasSizeGreaterThan(names.size() - 4);
    }

    @Test
    void theQuestionHashIgnoresCaseAndSeparatesTypeAndClass() throws Exception {
        byte[] lower = Name.fromString("www.example.test.").toWireCanonical();
        byte[] mixed = Name.fromString("WwW.ExAmple.TEST.").toWire();
        int tc = (Type.A << 16) | DClass.IN;
        assertThat(WireBytes.questionHash(mixed, 0, mixed.length, tc))
                .isEqualTo(WireBytes.questionHash(lower, 0, lower.length, tc));
        assertThat(WireBytes.questionHash(lower, 0, lower.length, (Type.AAAA << 16) | DClass.IN))
                .isNotEqualTo(WireBytes.questionHash(lower, 0, lower.length, tc));
    }

    @Test
    void aCacheFullOfCollidingNamesAnswersEachCorrectly() throws Exception {
        List<String> names = collidingNames();
        ResponseCache cache = new ResponseCache(names.size() * 8, 64L << 20);
        long now = System.nanoTime();
        for (int i = 0; i < names.size(); i++) {
            Message q = ForwarderTest.query(names.get(i), Type.A);
            Message r = FakeUpstream.reply(q);
            r.getHeader().setRcode(Rcode.NOERROR);
            r.addRecord(new ARecord(q.getQuestion().getName(), DClass.IN, 300, address(i)), Section.ANSWER);
            assertThat(cache.put(
                            CacheKey.of(q),
                            new ResponseCache.Entry(CachedResponse.of(r), 300, now, now + 600_000_000_000L)))
                    .isTrue();
        }
        assertThat(cache.size()).isEqualTo(names.size());
        int indexed = 0;
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            Message q = ForwarderTest.query(n.toUpperCase(Locale.ROOT), Type.A);
            ResponseCache.Entry e = cache.get(CacheKey.of(q), now);
            assertThat(e).as(n).isNotNull();
            assertThat(((ARecord) e.response().answer().get(0)).getAddress()).isEqualTo(address(i));
            byte[] wire = Name.fromString(n.toUpperCase(Locale.ROOT)).toWire();
            EncodedResponse encoded = cache.encoded(wire, 0, wire.length, Type.A, DClass.IN, false, false);
            if (encoded != null) {
                indexed++;
                assertThat(encoded.key.name()).isEqualTo(n);
            }
        }
        // the index probes 4 slots per hash: with one hash for all, only 4 names could be found there
        assertThat(indexed).as("names found in the wire-form index").isGreaterThan(names.size() - 10);
    }

    static InetAddress address(int i) throws Exception {
        return InetAddress.getByAddress(new byte[] {10, 0, (byte) (i >> 8), (byte) i});
    }
}
