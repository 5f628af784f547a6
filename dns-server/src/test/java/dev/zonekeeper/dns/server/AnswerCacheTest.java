package dev.zonekeeper.dns.server;

import static dev.zonekeeper.dns.testing.TestServer.dnsRecord;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.testing.Packets;
import dev.zonekeeper.dns.testing.TestServer;
import dev.zonekeeper.dns.wire.WireBytes;
import dev.zonekeeper.dns.zone.ZoneSet;
import io.micrometer.core.instrument.Gauge;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The pre-encoded answer cache is bounded in bytes (issue 13, point 2: a random-subdomain flood filled its 262,144
 * slots, pushing the sidecar past its memory limit), keeps the names in use through a flood, and looks up without
 * allocating.
 */
class AnswerCacheTest {
    private static final int TYPE_CLASS = (Type.A << 16) | 1;

    /**
     * A flood of made-up names under our zone (NXDOMAIN), each asked twice so that the doorkeeper lets them in, and
     * of names under a wildcard (positive answers, cached at once), against a 1 MiB budget over real UDP: the
     * accounted bytes stay within it, and a hot name and a hot NXDOMAIN asked now and then during the flood are still
     * answered from the cache afterwards.
     */
    @Test
    void a_random_subdomain_flood_stays_within_the_budget_and_hot_names_stay_cached() throws Exception {
        try (TestServer server = TestServer.withManifests(
                        dnsRecord("www.example.test.", "A", 300, "192.0.2.10")
                                + dnsRecord("*.wild.example.test.", "A", 300, "192.0.2.20"),
                        "--zone",
                        "example.test",
                        "--answer-cache-mib",
                        "1");
                DatagramSocket client = new DatagramSocket()) {
            client.connect(server.address());
            client.setSoTimeout(5000);
            Gauge bytes = server.server()
                    .metrics()
                    .registry()
                    .find("zonekeeper.dns.answer.cache.bytes")
                    .gauge();
            assertThat(bytes).as("the gauge zonekeeper_dns_answer_cache_bytes").isNotNull();
            int id = 0;
            for (int i = 0; i < 20_000; i++) {
                String name = (i % 2 == 0 ? "nx" + i + ".example.test" : "w" + i + ".wild.example.test");
                for (int twice = 0; twice < 2; twice++) {
                    ask(client, ++id, name);
                }
                if (i % 50 == 0) {
                    assertThat(ask(client, ++id, "www.example.test").getRcode()).isEqualTo(Rcode.NOERROR);
                    assertThat(ask(client, ++id, "hot-miss.example.test").getRcode())
                            .isEqualTo(Rcode.NXDOMAIN);
                }
                if (i % 1000 == 0) {
                    assertThat(bytes.value())
                            .as("accounted bytes after %d names", i)
                            .isLessThanOrEqualTo(1 << 20);
                }
            }
            assertThat(bytes.value())
                    .as("accounted bytes after the flood")
                    .isPositive()
                    .isLessThanOrEqualTo(1 << 20);
            assertThat(server.server().metrics().count("zonekeeper.dns.answer.cache.evictions"))
                    .as("the flood went past the budget")
                    .isPositive();
            double hits = server.fastPathHits();
            ask(client, ++id, "WWW.example.test");
            assertThat(server.fastPathHits())
                    .as("the hot name is still pre-encoded")
                    .isEqualTo(hits + 1);
            ask(client, ++id, "hot-miss.EXAMPLE.test");
            assertThat(server.fastPathHits())
                    .as("the hot NXDOMAIN is still pre-encoded")
                    .isEqualTo(hits + 2);
        }
    }

    private static Message ask(DatagramSocket client, int id, String name) throws Exception {
        byte[] query = Packets.query(id & 0xFFFF, name, Type.A, false);
        client.send(new DatagramPacket(query, query.length));
        DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
        client.receive(reply); // a lost datagram fails the test (SocketTimeoutException): loopback loses none here
        Message m = new Message(java.util.Arrays.copyOf(reply.getData(), reply.getLength()));
        assertThat(m.getHeader().getID()).isEqualTo(id & 0xFFFF);
        return m;
    }

    /** Straight on the cache: one-off negative names beyond the budget; the hot ones, hit between, stay. */
    @Test
    void negative_answers_are_bounded_by_their_share_and_never_push_out_positive_ones() {
        long budget = 64 << 10;
        AnswerCache cache = new AnswerCache(ZoneSet.of(List.of()), 1 << 12, budget);
        AnswerCache.Entry hot = entry("hot.example.test", Rcode.NOERROR, 1);
        AnswerCache.Entry hotMiss = entry("hot-miss.example.test", Rcode.NXDOMAIN, 0);
        cache.put(hot);
        cache.put(hotMiss);
        for (int i = 0; i < 50_000; i++) {
            AnswerCache.Entry e = entry("n" + i + ".example.test", Rcode.NXDOMAIN, 0);
            cache.put(e);
            cache.put(entry("n" + i + ".example.test", Rcode.NXDOMAIN, 0)); // twice: past the doorkeeper
            if (i % 20 == 0) {
                assertThat(lookup(cache, "hot-miss.example.test"))
                        .as("hot NXDOMAIN after %d", i)
                        .isNotNull();
                assertThat(lookup(cache, "hot.example.test"))
                        .as("hot name after %d", i)
                        .isNotNull();
            }
            assertThat(cache.bytes()).isLessThanOrEqualTo(budget);
        }
        assertThat(cache.evictions()).isPositive();
        // a flood of positive answers is bounded by the whole budget
        for (int i = 0; i < 50_000; i++) {
            cache.put(entry("p" + i + ".example.test", Rcode.NOERROR, 1));
            if (i % 20 == 0) {
                assertThat(lookup(cache, "hot.example.test"))
                        .as("hot name after %d", i)
                        .isNotNull();
            }
            assertThat(cache.bytes()).isLessThanOrEqualTo(budget);
        }
    }

    /**
     * Keys whose probe windows overlap (the hash is keyed per process, so a flood cannot aim at a slot, but chance can
     * fill a window): a negative answer never takes a positive answer's slot, and a positive one takes the slot of a
     * negative answer or of one not hit lately before that of a hot name.
     */
    @Test
    void a_full_probe_window_gives_up_the_cheapest_entry() {
        AnswerCache cache = fullWindow();
        cache.put(entry("nx.example.test", 7, Rcode.NXDOMAIN, 0));
        assertThat(lookup(cache, "nx.example.test", 7))
                .as("no slot for a negative answer")
                .isNull();
        for (int i = 0; i < AnswerCache.PROBES; i++) {
            assertThat(lookup(cache, "p" + i + ".example.test", 7))
                    .as("positive answer %d stays", i)
                    .isNotNull();
        }

        cache = fullWindow();
        for (int i : new int[] {0, 1, 3}) { // hit: all but the third
            assertThat(lookup(cache, "p" + i + ".example.test", 7)).isNotNull();
        }
        cache.put(entry("new.example.test", 7, Rcode.NOERROR, 1));
        assertThat(lookup(cache, "new.example.test", 7)).isNotNull();
        assertThat(lookup(cache, "p0.example.test", 7))
                .as("the hot name in the first slot")
                .isNotNull();
        assertThat(lookup(cache, "p2.example.test", 7))
                .as("the name not hit gave up its slot")
                .isNull();
    }

    /** A cache whose one probe window (hash 7) is full of positive answers, none hit yet. */
    private static AnswerCache fullWindow() {
        AnswerCache cache = new AnswerCache(ZoneSet.of(List.of()), 1 << 12, 1 << 20);
        for (int i = 0; i < AnswerCache.PROBES; i++) {
            cache.put(entry("p" + i + ".example.test", 7, Rcode.NOERROR, 1));
        }
        return cache;
    }

    private static AnswerCache.Entry entry(String name, int hash, int rcode, int answers) {
        return new AnswerCache.Entry(
                wire(name), hash, TYPE_CLASS, 0x0400 | rcode, answers, 1 - answers, 0, new byte[60]);
    }

    private static AnswerCache.Entry lookup(AnswerCache cache, String name, int hash) {
        byte[] key = wire(name);
        return cache.get(key, 0, key.length, hash, TYPE_CLASS);
    }

    @Test
    void a_lookup_allocates_nothing() {
        AnswerCache cache = new AnswerCache(ZoneSet.of(List.of()), 1 << 12, 1 << 20);
        cache.put(entry("svc1.ns1.svc.cluster.local", Rcode.NOERROR, 1));
        byte[] key = wire("svc1.ns1.svc.cluster.local");
        int hash = WireBytes.questionHash(key, 0, key.length, TYPE_CLASS);
        for (int i = 0; i < 1_000; i++) {
            assertThat(cache.get(key, 0, key.length, hash, TYPE_CLASS)).isNotNull();
        }
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        int found = 0;
        for (int i = 0; i < 10_000; i++) {
            if (cache.get(key, 0, key.length, hash, TYPE_CLASS) != null) {
                found++;
            }
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(found).isEqualTo(10_000);
        assertThat(allocated).as("bytes allocated by 10,000 lookups").isLessThan(10_000);
    }

    private static AnswerCache.Entry lookup(AnswerCache cache, String name) {
        byte[] key = wire(name);
        return cache.get(key, 0, key.length, WireBytes.questionHash(key, 0, key.length, TYPE_CLASS), TYPE_CLASS);
    }

    private static AnswerCache.Entry entry(String name, int rcode, int answers) {
        byte[] key = wire(name);
        return new AnswerCache.Entry(
                key,
                WireBytes.questionHash(key, 0, key.length, TYPE_CLASS),
                TYPE_CLASS,
                0x0400 | rcode,
                answers,
                1 - answers,
                0,
                new byte[60]);
    }

    private static byte[] wire(String name) {
        try {
            return org.xbill.DNS.Name.fromString(name + ".").toWireCanonical();
        } catch (org.xbill.DNS.TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
