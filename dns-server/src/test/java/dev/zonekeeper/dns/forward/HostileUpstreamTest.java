package dev.zonekeeper.dns.forward;

import static dev.zonekeeper.dns.forward.ForwarderTest.addresses;
import static dev.zonekeeper.dns.forward.ForwarderTest.ask;
import static dev.zonekeeper.dns.forward.ForwarderTest.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * The forwarder against hostile upstreams over real loopback sockets: answers it cannot re-encode, upstreams that
 * never answer, TC over TCP, maximum-size TCP answers (issue 13, points 1, 3, 8 and 11).
 */
class HostileUpstreamTest {
    final RecordingMetrics metrics = new RecordingMetrics();
    final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    /**
     * WKS with an empty port bitmap (dnsjava reads it, then refuses to write it), and HIP whose rendezvous servers,
     * compression pointers on the wire, expand past 65,535 bytes.
     */
    static byte[] unencodableAnswer(String kind, Message query) {
        Message reply = FakeUpstream.reply(query);
        if (kind.equals("WKS")) {
            return FakeUpstream.withRawAnswer(reply, Type.WKS, new byte[] {(byte) 192, 0, 2, 1, 6});
        }
        java.io.ByteArrayOutputStream rdata = new java.io.ByteArrayOutputStream();
        rdata.write(4); // HIT length
        rdata.write(2); // PK algorithm
        rdata.write(0);
        rdata.write(4); // PK length
        rdata.writeBytes(new byte[] {1, 2, 3, 4}); // HIT
        rdata.writeBytes(new byte[] {5, 6, 7, 8}); // public key
        for (int i = 0; i < 400; i++) {
            rdata.write(0xC0); // rendezvous server: the (long) question name
            rdata.write(12);
        }
        return FakeUpstream.withRawAnswer(reply, Type.HIP, rdata.toByteArray());
    }

    /** A question name of about 250 bytes, so that 400 pointers to it expand to about 100,000 bytes. */
    static String longName(String first) {
        return first + "." + "a".repeat(60) + "." + "b".repeat(60) + "." + "c".repeat(60) + ".hostile.test.";
    }

    @ParameterizedTest
    @ValueSource(strings = {"WKS", "HIP"})
    void anAnswerThatCannotBeReEncodedNeverWedgesTheName(String kind) throws Exception {
        FakeUpstream upstream = upstream("127.0.0.5", (q, tcp) -> unencodableAnswer(kind, q));
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(upstream.address())
                .timeout(Duration.ofSeconds(2))
                .build());
        String name = longName("wedge");
        // precondition: dnsjava reads the answer but cannot write it again
        int type = Type.value(kind); // asked for, so that the answer record is on the chain and kept
        Message parsed = new Message(unencodableAnswer(kind, query(name, type)));
        assertThat(parsed.getSection(Section.ANSWER)).hasSize(1);
        assertThatThrownBy(parsed::toWire).isInstanceOf(RuntimeException.class);

        int rounds = 5;
        for (int round = 1; round <= rounds; round++) {
            int asked = upstream.udpQueries();
            List<CompletableFuture<Message>> pending = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                pending.add(forwarder.forward(query(name, type)));
            }
            for (CompletableFuture<Message> p : pending) {
                assertThat(p.get(20, TimeUnit.SECONDS).getRcode())
                        .as("every waiting query is answered")
                        .isEqualTo(Rcode.SERVFAIL);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> inflight(forwarder) == 0);
            assertThat(upstream.udpQueries())
                    .as("the upstream is asked again each round")
                    .isGreaterThan(asked);
        }
        assertThat(metrics.count("unusable answer")).as("counted").isGreaterThanOrEqualTo(rounds);
        assertThat(forwarder.cache().size()).isZero();
    }

    @Test
    void aQuestionInFlightEndsAtTheRequestDeadlineEvenIfItsTriesAreStillRunning() throws Exception {
        // the deadline shorter than one try stands in for a completion path that is lost: only it can end them
        FakeUpstream blackHole = upstream("127.0.0.5", (q, tcp) -> null);
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(blackHole.address())
                .timeout(Duration.ofSeconds(30))
                .requestDeadline(Duration.ofMillis(1000))
                .build());
        List<CompletableFuture<Message>> pending = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            pending.add(forwarder.forward(query("lost" + (i % 5) + ".hostile.test.", Type.A)));
        }

        for (CompletableFuture<Message> p : pending) {
            assertThat(p.get(10, TimeUnit.SECONDS).getRcode()).isEqualTo(Rcode.SERVFAIL);
        }
        // counted just after the answers go out
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(metrics.count("deadline"))
                        .as("one per question (more if one expired before the loop ended)")
                        .isGreaterThanOrEqualTo(5));
        await().atMost(Duration.ofSeconds(5)).until(() -> inflight(forwarder) == 0);
    }

    @Test
    void theDefaultDeadlineCoversEveryTry() throws Exception {
        ForwarderConfig config = ForwarderConfig.builder()
                .upstreams(new InetSocketAddress("127.0.0.1", 53), new InetSocketAddress("127.0.0.2", 53))
                .timeout(Duration.ofSeconds(2))
                .build();
        assertThat(config.requestDeadline()).isEqualTo(Duration.ofSeconds(9)); // 2 upstreams x (UDP + TCP) + 1 s
    }

    @Test
    void unansweredQueriesKeepFileDescriptorsBounded() throws Exception {
        FakeUpstream blackHole = upstream("127.0.0.5", (q, tcp) -> null);
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(blackHole.address())
                .timeout(Duration.ofSeconds(3))
                .maxConcurrent(100_000)
                .build());
        long before = openFds();

        List<CompletableFuture<Message>> pending = new ArrayList<>();
        long peak = 0;
        for (int i = 0; i < 3000; i++) {
            pending.add(forwarder.forward(query("n" + i + ".never.test.", Type.A)));
            if (i % 250 == 0) {
                peak = Math.max(peak, openFds());
            }
        }
        // sampled until every query is answered (SERVFAIL at the timeout), so the peak while all are in flight counts
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!pending.stream().allMatch(CompletableFuture::isDone) && System.nanoTime() < deadline) {
            peak = Math.max(peak, openFds());
            Thread.sleep(50);
        }

        assertThat(peak - before)
                .as("file descriptors for 3,000 unanswered queries in flight (%d before)", before)
                .isLessThan(200);
        assertThat(blackHole.udpQueries()).as("the queries did go out").isGreaterThan(1000);
        for (CompletableFuture<Message> p : pending) {
            assertThat(p.get(30, TimeUnit.SECONDS).getRcode()).isEqualTo(Rcode.SERVFAIL);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> inflight(forwarder) == 0);
    }

    @Test
    void beyondMaxConcurrentQuestionsAQueryIsRefusedAtOnce() throws Exception {
        FakeUpstream blackHole = upstream("127.0.0.5", (q, tcp) -> null);
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(blackHole.address())
                .timeout(Duration.ofSeconds(5))
                .maxConcurrent(10)
                .build());
        List<CompletableFuture<Message>> pending = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            pending.add(forwarder.forward(query("c" + i + ".never.test.", Type.A)));
        }
        assertThat(pending).noneMatch(CompletableFuture::isDone);

        CompletableFuture<Message> beyond = forwarder.forward(query("c10.never.test.", Type.A));
        CompletableFuture<Message> joining = forwarder.forward(query("c3.never.test.", Type.A));

        assertThat(beyond).as("answered at once").isDone();
        assertThat(beyond.get().getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(joining)
                .as("a query for a question already in flight waits for it")
                .isNotDone();
        assertThat(metrics.count("rejected max_concurrent")).isEqualTo(1);
        assertThat(forwarder.inflight()).isEqualTo(10);
    }

    @Test
    void queriesWaitingForUpstreamAnswersAreBoundedPerQuestionAndInAll() throws Exception {
        FakeUpstream blackHole = upstream("127.0.0.5", (q, tcp) -> null);
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(blackHole.address())
                .timeout(Duration.ofSeconds(5))
                .maxWaiters(4)
                .maxWaiting(10)
                .build());
        List<CompletableFuture<Message>> waiting = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            waiting.add(forwarder.forward(query("same.never.test.", Type.A)));
        }
        assertThat(waiting.subList(0, 4)).noneMatch(CompletableFuture::isDone);
        assertThat(waiting.subList(4, 6)).allMatch(f -> f.isDone() && f.join().getRcode() == Rcode.REFUSED);
        assertThat(metrics.count("rejected max_waiters")).isEqualTo(2);

        for (int i = 0; i < 8; i++) {
            waiting.add(forwarder.forward(query("w" + i + ".never.test.", Type.A)));
        }
        assertThat(waiting.subList(6, 12)).noneMatch(CompletableFuture::isDone);
        assertThat(waiting.subList(12, 14))
                .as("beyond 10 waiting in all")
                .allMatch(f -> f.isDone() && f.join().getRcode() == Rcode.REFUSED);
        assertThat(metrics.count("rejected max_waiting")).isEqualTo(2);
    }

    @Test
    void anAnswerStillTruncatedOverTcpIsAFailureNotAnEmptyAnswer() throws Exception {
        FakeUpstream truncating = upstream("127.0.0.5", (q, tcp) -> {
            Message m = FakeUpstream.reply(q);
            m.getHeader().setFlag(Flags.TC);
            return m.toWire();
        });
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(truncating.address())
                .timeout(Duration.ofSeconds(2))
                .build());

        Message response = ask(forwarder, query("tc.hostile.test.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(response.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(truncating.tcpQueries()).isEqualTo(1);
        assertThat(metrics.failures(truncating.address(), FailureReason.TRUNCATED))
                .isEqualTo(1);
    }

    @Test
    void anAnswerStillTruncatedOverTcpFailsOverToTheNextUpstream() throws Exception {
        FakeUpstream truncating = upstream("127.0.0.5", (q, tcp) -> {
            Message m = FakeUpstream.reply(q);
            m.getHeader().setFlag(Flags.TC);
            return m.toWire();
        });
        FakeUpstream good = upstream("127.0.0.6", (q, tcp) -> {
            Message m = FakeUpstream.reply(q);
            m.addRecord(
                    new ARecord(q.getQuestion().getName(), DClass.IN, 300, InetAddress.getByName("192.0.2.9")),
                    Section.ANSWER);
            return m.toWire();
        });
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(truncating.address(), good.address())
                .timeout(Duration.ofSeconds(2))
                .build());

        Message response = ask(forwarder, query("tc.hostile.test.", Type.A));

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(addresses(response)).containsExactly("192.0.2.9");
        assertThat(metrics.failures(truncating.address(), FailureReason.TRUNCATED))
                .isEqualTo(1);
    }

    @Test
    void aTcpAnswerOfExactly65535BytesIsAccepted() throws Exception {
        FakeUpstream big = upstream("127.0.0.5", (q, tcp) -> {
            Message m = FakeUpstream.reply(q);
            if (!tcp) {
                m.getHeader().setFlag(Flags.TC);
                return m.toWire();
            }
            return exactly(m, q.getQuestion().getName(), 65535);
        });
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(big.address())
                .timeout(Duration.ofSeconds(3))
                .build());

        Message response = ask(forwarder, query("big.hostile.test.", Type.TXT));

        assertThat(response.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(response.toWire().length).isEqualTo(65535);
        assertThat(metrics.failures(big.address(), FailureReason.NETWORK)).isZero();
    }

    @Test
    void uniqueNamesWithLargeAnswersKeepTheCacheWithinItsByteBudget() throws Exception {
        FakeUpstream bulky = upstream("127.0.0.5", (q, tcp) -> {
            Message m = FakeUpstream.reply(q);
            Name n = q.getQuestion().getName();
            for (int i = 0; i < 3; i++) {
                m.addRecord(
                        new TXTRecord(n, DClass.IN, 300, List.of(n.toString().repeat(4), "t".repeat(200 + i))),
                        Section.ANSWER);
            }
            return m.toWire();
        });
        long budget = 128 * 1024;
        Forwarder forwarder = forwarder(ForwarderConfig.builder()
                .upstreams(bulky.address())
                .timeout(Duration.ofSeconds(2))
                .cacheMaxBytes(budget)
                .build());
        for (int i = 0; i < 400; i++) {
            Message response = ask(forwarder, query("u" + i + ".bulky.test.", Type.TXT));
            assertThat(response.getSection(Section.ANSWER)).hasSize(3);
            assertThat(forwarder.cache().bytes()).isLessThanOrEqualTo(budget);
        }
        assertThat(forwarder.cache().size()).isBetween(10, 399);
        int asked = bulky.udpQueries();
        Message again = ask(forwarder, query("u399.bulky.test.", Type.TXT));
        assertThat(((TXTRecord) again.getSection(Section.ANSWER).get(0))
                        .getStrings()
                        .get(0))
                .isEqualTo("u399.bulky.test.".repeat(4));
        assertThat(bulky.udpQueries())
                .as("the latest answer is served from the cache")
                .isEqualTo(asked);
    }

    /** {@code m} with TXT records at {@code name} filling it to exactly {@code size} bytes. */
    static byte[] exactly(Message m, Name name, int size) throws Exception {
        int i = 0;
        while (size - m.toWire().length > 500) {
            m.addRecord(
                    new TXTRecord(name, DClass.IN, 300, List.of(String.format("%05d", i++) + "x".repeat(245))),
                    Section.ANSWER);
        }
        // one last TXT making the total exact: owner pointer 2, type, class, TTL, length 10, then the strings
        int rdata = size - m.toWire().length - 12;
        int first = Math.min(255, rdata - 1);
        List<String> strings = new ArrayList<>(List.of("z".repeat(first)));
        if (rdata - first - 1 > 0) {
            strings.add("w".repeat(rdata - first - 2));
        }
        m.addRecord(new TXTRecord(name, DClass.IN, 300, strings), Section.ANSWER);
        byte[] wire = m.toWire();
        assertThat(wire).hasSize(size);
        return wire;
    }

    // ---- helpers

    private FakeUpstream upstream(String host, FakeUpstream.Responder responder) throws Exception {
        FakeUpstream u = new FakeUpstream(host, responder);
        closeables.add(u);
        return u;
    }

    private Forwarder forwarder(ForwarderConfig config) {
        Forwarder f = new Forwarder(config, metrics);
        closeables.add(0, f);
        return f;
    }

    /** Questions in the forwarder's in-flight map (read by reflection, so this also runs against older code). */
    static int inflight(Forwarder forwarder) throws Exception {
        java.lang.reflect.Field f = Forwarder.class.getDeclaredField("inflight");
        f.setAccessible(true);
        return ((Map<?, ?>) f.get(forwarder)).size();
    }

    static long openFds() throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
