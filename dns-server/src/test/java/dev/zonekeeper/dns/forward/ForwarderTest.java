package dev.zonekeeper.dns.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.testing.KnotServer;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** The forwarder against a real Knot DNS upstream over real sockets. */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class ForwarderTest {
    static final String ZONE = String.join(
            "\n",
            "$ORIGIN example.test.",
            "$TTL 300",
            "@ 3600 IN SOA ns1 hostmaster 1 3600 600 86400 120",
            "@ IN NS ns1",
            "ns1 IN A 127.0.0.1",
            "www IN A 192.0.2.1",
            "short 1 IN A 192.0.2.2",
            "big IN TXT \"" + "a".repeat(200) + "\"",
            "big IN TXT \"" + "b".repeat(200) + "\"",
            "big IN TXT \"" + "c".repeat(200) + "\"",
            "");

    static KnotServer knot;

    final RecordingMetrics metrics = new RecordingMetrics();
    final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void startKnot() {
        knot = KnotServer.start("example.test", ZONE, new InetSocketAddress("127.0.0.2", 0));
    }

    @AfterAll
    static void stopKnot() {
        if (knot != null) {
            knot.stop();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @Test
    void forwardsWithRecursionDesiredAndReturnsTheUpstreamAnswer() throws Exception {
        UdpProxy proxy = proxy(knot.address());
        Forwarder forwarder = forwarder(config(proxy.address()));
        Message query = query("www.example.test.", Type.A);
        query.getHeader().unsetFlag(Flags.RD);

        Message response = ask(forwarder, query);

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(addresses(response)).containsExactly("192.0.2.1");
        assertThat(response.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(response.getHeader().getFlag(Flags.RA)).isTrue();
        assertThat(response.getHeader().getFlag(Flags.AA))
                .as("AA is not passed on")
                .isFalse();
        assertThat(response.getQuestion()).isEqualTo(query.getQuestion());
        assertThat(proxy.queries()).hasSize(1);
        Message upstreamQuery = proxy.queries().get(0);
        assertThat(upstreamQuery.getHeader().getFlag(Flags.RD)).isTrue();
        assertThat(upstreamQuery.getQuestion()).isEqualTo(query.getQuestion());
        assertThat(upstreamQuery.getOPT())
                .as("no EDNS upstream when the client sent none")
                .isNull();
        assertThat(metrics.latencies(proxy.address())).isEqualTo(1);
    }

    @Test
    void secondQueryIsAnsweredFromTheCacheWithoutReachingTheUpstream() throws Exception {
        UdpProxy proxy = proxy(knot.address());
        Forwarder forwarder = forwarder(config(proxy.address()));

        ask(forwarder, query("www.example.test.", Type.A));
        Message query = query("WWW.Example.TEST.", Type.A);
        Message second = ask(forwarder, query);

        assertThat(addresses(second)).containsExactly("192.0.2.1");
        assertThat(second.getQuestion().getName().toString())
                .as("question echoed as sent")
                .isEqualTo("WWW.Example.TEST.");
        assertThat(proxy.queryCount()).isEqualTo(1);
        assertThat(metrics.count("hit")).isEqualTo(1);
        assertThat(metrics.count("miss")).isEqualTo(1);
    }

    @Test
    void cachedAnswersHaveTheirTtlDecrementedByTheirAge() throws Exception {
        UdpProxy proxy = proxy(knot.address());
        Forwarder forwarder = forwarder(config(proxy.address()));

        Message first = ask(forwarder, query("www.example.test.", Type.A));
        assertThat(first.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(300);

        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    Message cached = ask(forwarder, query("www.example.test.", Type.A));
                    assertThat(cached.getSection(Section.ANSWER).get(0).getTTL())
                            .isBetween(1L, 299L);
                });
        assertThat(proxy.queryCount()).isEqualTo(1);
    }

    @Test
    void nxdomainIsCachedForTheSoaDerivedTtl() throws Exception {
        UdpProxy proxy = proxy(knot.address());
        Forwarder forwarder = forwarder(config(proxy.address()));
        Message query = query("nope.example.test.", Type.A);

        Message first = ask(forwarder, query);
        Message second = ask(forwarder, query("nope.example.test.", Type.A));

        assertThat(first.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(second.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(second.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class);
        assertThat(second.getSection(Section.AUTHORITY).get(0).getTTL()).isBetween(1L, 120L);
        assertThat(proxy.queryCount()).isEqualTo(1);
        // SOA TTL 3600, SOA MINIMUM 120: RFC 2308 says min(both)
        assertThat(cacheEntry(forwarder, query).ttlSeconds()).isEqualTo(120);
    }

    @Test
    void nodataIsCachedForTheSoaDerivedTtl() throws Exception {
        UdpProxy proxy = proxy(knot.address());
        Forwarder forwarder = forwarder(config(proxy.address()));
        Message query = query("www.example.test.", Type.AAAA);

        Message first = ask(forwarder, query);
        Message second = ask(forwarder, query("www.example.test.", Type.AAAA));

        assertThat(first.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(first.getSection(Section.ANSWER)).isEmpty();
        assertThat(second.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(second.getSection(Section.ANSWER)).isEmpty();
        assertThat(second.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class);
        assertThat(proxy.queryCount()).isEqualTo(1);
        assertThat(cacheEntry(forwarder, query).ttlSeconds()).isEqualTo(120);
    }

    @Test
    void maxTtlCapsHowLongAnAnswerIsCachedAndTheTtlServed() throws Exception {
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(knot.address())
                .timeout(Duration.ofMillis(500))
                .maxTtl(Duration.ofSeconds(60))
                .build());
        Message query = query("www.example.test.", Type.A);

        Message response = ask(forwarder, query);

        assertThat(response.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(60);
        assertThat(cacheEntry(forwarder, query).ttlSeconds()).isEqualTo(60);
    }

    @Test
    void dnssecOkQueriesAreCachedApartAndCarryEdnsUpstream() throws Exception {
        UdpProxy proxy = proxy(knot.address());
        Forwarder forwarder = forwarder(config(proxy.address()));

        ask(forwarder, query("www.example.test.", Type.A));
        Message withDo = query("www.example.test.", Type.A);
        withDo.addRecord(new OPTRecord(4096, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
        Message response = ask(forwarder, withDo);

        assertThat(addresses(response)).containsExactly("192.0.2.1");
        assertThat(response.getOPT())
                .as("the transport adds EDNS, not the forwarder")
                .isNull();
        assertThat(proxy.queryCount()).isEqualTo(2);
        OPTRecord upstreamOpt = proxy.queries().get(1).getOPT();
        assertThat(upstreamOpt).isNotNull();
        assertThat(upstreamOpt.getFlags() & ExtendedFlags.DO).isEqualTo(ExtendedFlags.DO);
        assertThat(upstreamOpt.getPayloadSize()).isEqualTo(1232);
    }

    @Test
    void failsOverFromADeadUpstreamAndStopsAskingItOnceUnhealthy() throws Exception {
        InetSocketAddress dead = deadAddress();
        UdpProxy proxy = proxy(knot.address());
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(dead, proxy.address())
                .timeout(Duration.ofMillis(300))
                .maxFails(2)
                .healthBackoff(Duration.ofHours(1))
                .build());

        assertThat(addresses(ask(forwarder, query("www.example.test.", Type.A))))
                .containsExactly("192.0.2.1");
        assertThat(addresses(ask(forwarder, query("ns1.example.test.", Type.A))))
                .containsExactly("127.0.0.1");
        assertThat(metrics.failures(dead, FailureReason.TIMEOUT)).isEqualTo(2);
        assertThat(forwarder.upstreams().get(0).healthy()).isFalse();
        assertThat(forwarder.upstreams().get(1).healthy()).isTrue();
        assertThat(metrics.count("unhealthy " + dead)).isEqualTo(1);

        Message third = ask(forwarder, query("short.example.test.", Type.A));

        assertThat(addresses(third)).containsExactly("192.0.2.2");
        assertThat(metrics.failures(dead, FailureReason.TIMEOUT))
                .as("unhealthy upstream not tried first")
                .isEqualTo(2);
        assertThat(proxy.queryCount()).isEqualTo(3);
    }

    @Test
    void anUnhealthyUpstreamIsProbedAfterTheBackoffAndRecovers() throws Exception {
        InetSocketAddress laterAlive = deadAddress();
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(laterAlive, knot.address())
                .timeout(Duration.ofMillis(300))
                .maxFails(1)
                .healthBackoff(Duration.ofMillis(200))
                .build());
        ask(forwarder, query("www.example.test.", Type.A));
        assertThat(forwarder.upstreams().get(0).healthy()).isFalse();

        KnotServer second = KnotServer.start("example.test", ZONE, laterAlive);
        closeables.add(second);

        await().atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    forwarder.cache().clear();
                    assertThat(addresses(ask(forwarder, query("www.example.test.", Type.A))))
                            .containsExactly("192.0.2.1");
                    assertThat(forwarder.upstreams().get(0).healthy()).isTrue();
                });
        assertThat(metrics.count("healthy " + laterAlive)).isEqualTo(1);
    }

    @Test
    void servfailFromAllUpstreamsWhenAllAreDownAndNothingIsCached() throws Exception {
        InetSocketAddress dead1 = deadAddress();
        InetSocketAddress dead2 = deadAddress();
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(dead1, dead2)
                .timeout(Duration.ofMillis(200))
                .build());
        Message query = query("www.example.test.", Type.A);

        Message response = ask(forwarder, query);

        assertThat(response.getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(response.getHeader().getID()).isEqualTo(query.getHeader().getID());
        assertThat(response.getQuestion()).isEqualTo(query.getQuestion());
        assertThat(metrics.failures(dead1, FailureReason.TIMEOUT)).isEqualTo(1);
        assertThat(metrics.failures(dead2, FailureReason.TIMEOUT)).isEqualTo(1);
    }

    @Test
    void refusedFromTheFirstUpstreamFailsOverToTheNext() throws Exception {
        KnotServer other = KnotServer.start(
                "other.test",
                String.join(
                        "\n",
                        "$ORIGIN other.test.",
                        "$TTL 300",
                        "@ IN SOA ns1 hostmaster 1 3600 600 86400 120",
                        "@ IN NS ns1",
                        "ns1 IN A 127.0.0.1",
                        "www IN A 198.51.100.1",
                        ""),
                new InetSocketAddress("127.0.0.3", 0));
        closeables.add(other);
        Forwarder forwarder = forwarder(config(knot.address(), other.address()));

        Message response = ask(forwarder, query("www.other.test.", Type.A));

        assertThat(addresses(response)).containsExactly("198.51.100.1");
        assertThat(metrics.failures(knot.address(), FailureReason.REFUSED)).isEqualTo(1);
        assertThat(metrics.latencies(other.address())).isEqualTo(1);
    }

    @Test
    void servfailIsCachedOnlyWhenConfigured() throws Exception {
        InetSocketAddress dead = deadAddress();
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(dead)
                .timeout(Duration.ofMillis(200))
                .servfailTtl(Duration.ofSeconds(60))
                .build());

        assertThat(ask(forwarder, query("www.example.test.", Type.A)).getRcode())
                .isEqualTo(Rcode.SERVFAIL);
        assertThat(ask(forwarder, query("www.example.test.", Type.A)).getRcode())
                .isEqualTo(Rcode.SERVFAIL);

        assertThat(metrics.failures(dead, FailureReason.TIMEOUT))
                .as("second SERVFAIL from the cache")
                .isEqualTo(1);
        assertThat(metrics.count("hit")).isEqualTo(1);
    }

    @Test
    void servesStaleDataWithTtl30WhenTheOnlyUpstreamIsGoneAfterExpiry() throws Exception {
        KnotServer own = KnotServer.start("example.test", ZONE, new InetSocketAddress("127.0.0.3", 0));
        closeables.add(own);
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(own.address())
                .timeout(Duration.ofMillis(300))
                .build());
        Message first = ask(forwarder, query("short.example.test.", Type.A));
        assertThat(first.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(1);

        own.stop();

        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    Message stale = ask(forwarder, query("short.example.test.", Type.A));
                    assertThat(stale.getRcode()).isEqualTo(Rcode.NOERROR);
                    assertThat(addresses(stale)).containsExactly("192.0.2.2");
                    assertThat(stale.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(30);
                });
        assertThat(metrics.count("stale")).isGreaterThanOrEqualTo(1);
        assertThat(metrics.failures(own.address(), FailureReason.TIMEOUT)).isGreaterThanOrEqualTo(1);

        Message neverCached = ask(forwarder, query("www.example.test.", Type.A));
        assertThat(neverCached.getRcode()).isEqualTo(Rcode.SERVFAIL);
    }

    @Test
    void withoutServeStaleAnExpiredEntryIsNotServed() throws Exception {
        KnotServer own = KnotServer.start("example.test", ZONE, new InetSocketAddress("127.0.0.3", 0));
        closeables.add(own);
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(own.address())
                .timeout(Duration.ofMillis(300))
                .serveStale(false)
                .build());
        ask(forwarder, query("short.example.test.", Type.A));

        own.stop();

        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(ask(forwarder, query("short.example.test.", Type.A))
                                .getRcode())
                        .isEqualTo(Rcode.SERVFAIL));
        assertThat(metrics.count("stale")).isZero();
    }

    @Test
    void forgedAnswersAreDroppedAndTheRealAnswerIsAccepted() throws Exception {
        UdpProxy proxy = proxy(knot.address());
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(proxy.address())
                .timeout(Duration.ofSeconds(10))
                .build());
        proxy.hold();

        CompletableFuture<Message> pending = forwarder.forward(query("www.example.test.", Type.A));
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.queryCount() == 1);
        Message upstreamQuery = proxy.queries().get(0);
        InetSocketAddress forwarderSocket = proxy.clients().get(0);
        int id = upstreamQuery.getHeader().getID();

        // right ID and question, wrong source address
        try (DatagramSocket attacker = new DatagramSocket(new InetSocketAddress("127.0.0.9", 0))) {
            byte[] forged = forgedAnswer(id, "www.example.test.", "6.6.6.6");
            attacker.send(new java.net.DatagramPacket(forged, forged.length, forwarderSocket));
        }
        // right source address and question, wrong ID
        proxy.sendToClient(forgedAnswer((id + 1) & 0xFFFF, "www.example.test.", "6.6.6.7"), forwarderSocket);
        // right source address and ID, another question
        proxy.sendToClient(forgedAnswer(id, "evil.example.test.", "6.6.6.8"), forwarderSocket);
        // garbage
        proxy.sendToClient(new byte[] {1, 2, 3}, forwarderSocket);

        await().atMost(Duration.ofSeconds(5)).until(() -> metrics.count("failure MISMATCH") == 4);
        assertThat(pending).isNotDone();
        proxy.release();

        Message response = pending.get(10, TimeUnit.SECONDS);
        assertThat(addresses(response)).containsExactly("192.0.2.1");
        assertThat(metrics.failures(proxy.address(), FailureReason.MISMATCH)).isEqualTo(4);
    }

    @Test
    void upstreamSocketsAreReplacedOnFreshSourcePortsAfterTheirUsesAndIdsAreRandom() throws Exception {
        // issue 13 point 3: a bounded pool of sockets instead of one per query; each socket is replaced by one on a
        // new random port after udpSocketUses queries, so the source port still changes (here after every query)
        UdpProxy proxy = proxy(knot.address());
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(proxy.address())
                .timeout(Duration.ofMillis(1000))
                .udpSockets(2)
                .udpSocketUses(1)
                .build());

        for (String name : List.of("www", "ns1", "short", "nope1", "nope2", "nope3")) {
            ask(forwarder, query(name + ".example.test.", Type.A));
        }

        assertThat(proxy.clients().stream().map(InetSocketAddress::getPort).distinct())
                .hasSize(6);
        assertThat(proxy.queries().stream().map(m -> m.getHeader().getID()).distinct())
                .hasSizeGreaterThan(1);
    }

    @Test
    void truncatedUdpAnswerIsRetriedOverTcp() throws Exception {
        Forwarder forwarder = forwarder(config(knot.address()));

        Message response = ask(forwarder, query("big.example.test.", Type.TXT));

        assertThat(response.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(response.getSection(Section.ANSWER)).hasSize(3);
        assertThat(response.getSection(Section.ANSWER).stream()
                        .map(r -> ((TXTRecord) r).getStrings().get(0).substring(0, 1))
                        .sorted())
                .containsExactly("a", "b", "c");
        assertThat(metrics.count("tcp " + knot.address())).isEqualTo(1);
        assertThat(response.toWire().length)
                .as("more than fits a plain UDP answer")
                .isGreaterThan(512);
    }

    @Test
    void worksOnACallerSuppliedNioEventLoopGroupWhichCloseLeavesRunning() throws Exception {
        EventLoopGroup group = Transport.NIO.newEventLoopGroup(1, new DefaultThreadFactory("test-nio", true));
        try {
            Forwarder forwarder = new Forwarder(config(knot.address()), group, Transport.NIO, metrics);
            try {
                assertThat(addresses(ask(forwarder, query("www.example.test.", Type.A))))
                        .containsExactly("192.0.2.1");
                assertThat(ask(forwarder, query("big.example.test.", Type.TXT)).getSection(Section.ANSWER))
                        .hasSize(3);
            } finally {
                forwarder.close();
            }
            assertThat(group.isShuttingDown()).isFalse();
            assertThat(ask(forwarder, query("www.example.test.", Type.A)).getRcode())
                    .as("a closed forwarder answers SERVFAIL at once")
                    .isEqualTo(Rcode.SERVFAIL);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        assertThat(metrics.count("tcp " + knot.address())).isEqualTo(1);
    }

    @Test
    void concurrentIdenticalMissesShareOneUpstreamQuery() throws Exception {
        UdpProxy proxy = proxy(knot.address());
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(proxy.address())
                .timeout(Duration.ofSeconds(10))
                .build());
        proxy.hold();

        List<CompletableFuture<Message>> pending = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            pending.add(forwarder.forward(query("www.example.test.", Type.A)));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.queryCount() >= 1);
        proxy.release();

        for (CompletableFuture<Message> p : pending) {
            assertThat(addresses(p.get(10, TimeUnit.SECONDS))).containsExactly("192.0.2.1");
        }
        assertThat(proxy.queryCount()).isEqualTo(1);
        assertThat(metrics.count("miss")).isEqualTo(5);
    }

    // ---- helpers

    private ForwarderConfig config(InetSocketAddress... upstreams) {
        return ForwarderConfig.builder()
                .upstreams(upstreams)
                .timeout(Duration.ofMillis(1000))
                .build();
    }

    private Forwarder forwarder(ForwarderConfig config) {
        Forwarder f = new Forwarder(config, metrics);
        closeables.add(f);
        return f;
    }

    private UdpProxy proxy(InetSocketAddress target) throws Exception {
        UdpProxy p = new UdpProxy(new InetSocketAddress("127.0.0.1", 0), target);
        closeables.add(p);
        return p;
    }

    static Message query(String name, int type) throws Exception {
        Message m = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(name), type, DClass.IN));
        m.getHeader().setID(ThreadLocalRandom.current().nextInt(0x10000));
        return m;
    }

    static Message ask(Forwarder forwarder, Message query) throws Exception {
        Message response = forwarder.forward(query).get(20, TimeUnit.SECONDS);
        assertThat(response.getHeader().getID()).isEqualTo(query.getHeader().getID());
        return response;
    }

    static List<String> addresses(Message response) {
        return response.getSection(Section.ANSWER).stream()
                .filter(r -> r instanceof ARecord)
                .map(r -> ((ARecord) r).getAddress().getHostAddress())
                .collect(Collectors.toList());
    }

    private static ResponseCache.Entry cacheEntry(Forwarder forwarder, Message query) {
        ResponseCache.Entry entry = forwarder.cache().get(CacheKey.of(query), System.nanoTime());
        assertThat(entry).as("cache entry for " + query.getQuestion()).isNotNull();
        return entry;
    }

    private static byte[] forgedAnswer(int id, String name, String address) throws Exception {
        Message m = new Message(id);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RD);
        m.getHeader().setFlag(Flags.RA);
        Name qname = Name.fromString(name);
        m.addRecord(org.xbill.DNS.Record.newRecord(qname, Type.A, DClass.IN), Section.QUESTION);
        m.addRecord(new ARecord(qname, DClass.IN, 3600, java.net.InetAddress.getByName(address)), Section.ANSWER);
        return m.toWire();
    }

    /** A loopback address and port where nothing listens (UDP datagrams to it go unanswered). */
    private static InetSocketAddress deadAddress() throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.4", 0));
                java.net.ServerSocket t = new java.net.ServerSocket()) {
            t.bind(new InetSocketAddress("127.0.0.4", s.getLocalPort()));
            return new InetSocketAddress("127.0.0.4", s.getLocalPort());
        }
    }
}
