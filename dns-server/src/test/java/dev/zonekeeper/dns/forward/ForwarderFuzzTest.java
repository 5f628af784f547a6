package dev.zonekeeper.dns.forward;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.TransportKind;
import dev.zonekeeper.dns.server.QueryProcessor;
import dev.zonekeeper.dns.zone.ZoneSet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Coverage-guided fuzzing of upstream answers into the {@link Forwarder}, through the {@link QueryProcessor} that
 * serves them (issue 13, point 1: one answer that could not be cached wedged a name forever). Invariants: every
 * waiting query is answered (within a bound well above the request deadline); each answer parses, with the
 * client's ID and question; the in-flight map empties; and the answer to the same question asked again (served
 * from the cache, or the fast path's pre-encoded bytes, or upstream again) equals the first, TTLs aside.
 *
 * <p>Input: byte 0 selects whether the TCP answer (after TC over UDP) is the same bytes (bit 0 clear) or the rest
 * after a 2-byte length; the answers' first two bytes are replaced with the upstream query's ID. Every input gets a
 * fresh forwarder (on one shared event loop), so nothing is cached from the input before.
 */
class ForwarderFuzzTest {
    private static final Name QNAME = Name.fromConstantString("fuzz.example.org.");
    private static final int WAITERS = 3;
    private static final long ANSWERED_SECONDS = 30;
    private static final EventLoopGroup GROUP =
            Transport.detect().newEventLoopGroup(1, new DefaultThreadFactory("fuzz-forwarder", true));
    private static volatile byte[] udpAnswer = new byte[0];
    private static volatile byte[] tcpAnswer = new byte[0];
    private static final FakeUpstream UPSTREAM = start();
    /** One for every input: a DnsMetrics used on a thread stays reachable from it (its per-thread stripe). */
    private static final DnsMetrics METRICS = new DnsMetrics();

    private static FakeUpstream start() {
        try {
            return new FakeUpstream("127.0.0.1", (query, tcp) -> {
                byte[] a = (tcp ? tcpAnswer : udpAnswer).clone();
                if (a.length >= 2) {
                    a[0] = (byte) (query.getHeader().getID() >> 8);
                    a[1] = (byte) query.getHeader().getID();
                }
                return a.length == 0 ? null : a;
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void upstreamAnswers(byte[] data) throws Exception {
        byte[] udp = data.length > 0 ? Arrays.copyOfRange(data, 1, data.length) : data;
        byte[] tcp = udp;
        if (data.length > 2 && (data[0] & 1) != 0) {
            int split = Math.min(udp.length, ((udp[0] & 0xFF) << 8 | (udp[1] & 0xFF)) + 2);
            tcp = Arrays.copyOfRange(udp, split, udp.length);
            udp = Arrays.copyOfRange(udp, 2, split);
        }
        udpAnswer = udp;
        tcpAnswer = tcp;

        ForwarderConfig config = ForwarderConfig.builder()
                .upstreams(List.<InetSocketAddress>of(UPSTREAM.address()))
                .timeout(Duration.ofMillis(50)) // short: most fuzzed answers are ignored until the timeout
                .udpSockets(2)
                .build();
        try (Forwarder forwarder = new Forwarder(config, GROUP, Transport.detect(), ForwarderMetrics.NOOP)) {
            QueryProcessor processor = new QueryProcessor(ZoneSet.of(List.of()), METRICS, forwarder, List.of());
            List<CompletableFuture<byte[]>> answers = new ArrayList<>();
            List<byte[]> queries = new ArrayList<>();
            for (int i = 0; i < WAITERS; i++) {
                byte[] q = query(0x1000 + i, i == 1);
                queries.add(q);
                answers.add(ask(processor, q));
            }
            List<Message> first = new ArrayList<>();
            for (int i = 0; i < WAITERS; i++) {
                byte[] a = answers.get(i).get(ANSWERED_SECONDS, TimeUnit.SECONDS);
                first.add(check(queries.get(i), a));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(ANSWERED_SECONDS);
            while (forwarder.inflight() > 0 && System.nanoTime() < until) {
                Thread.sleep(1);
            }
            assertThat(forwarder.inflight()).as("the in-flight map empties").isZero();

            byte[] again = query(0x2000, false);
            Message second = check(again, ask(processor, again).get(ANSWERED_SECONDS, TimeUnit.SECONDS));
            if (first.get(0).getRcode() != Rcode.SERVFAIL && second.getRcode() != Rcode.SERVFAIL) {
                assertThat(normal(second)).as("the same question asked again").isEqualTo(normal(first.get(0)));
            }
        }
    }

    private static CompletableFuture<byte[]> ask(QueryProcessor processor, byte[] query) {
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        ByteBuf now = processor.process(
                Unpooled.wrappedBuffer(query),
                TransportKind.UDP,
                UnpooledByteBufAllocator.DEFAULT,
                (context, response) -> answer.complete(bytes(response)),
                null,
                System.nanoTime());
        if (now != null) {
            answer.complete(bytes(now));
        }
        return answer;
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    private static byte[] query(int id, boolean edns) {
        Message m = Message.newQuery(org.xbill.DNS.Record.newRecord(QNAME, Type.A, DClass.IN));
        m.getHeader().setID(id);
        if (edns) {
            m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        }
        return m.toWire();
    }

    private static Message check(byte[] query, byte[] answer) {
        Message m;
        try {
            m = new Message(answer);
        } catch (IOException e) {
            throw new AssertionError("the answer does not parse: " + e, e);
        }
        assertThat(new byte[] {answer[0], answer[1]}).as("ID").containsExactly(query[0], query[1]);
        assertThat(m.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(m.getQuestion()).as("question").isNotNull();
        assertThat(m.getQuestion().getName()).isEqualTo(QNAME);
        assertThat(m.getQuestion().getType()).isEqualTo(Type.A);
        assertThat(answer.length).as("UDP size").isLessThanOrEqualTo(m.getOPT() == null ? 512 : 1232);
        return m;
    }

    /** The rcode, AA and the sections without TTLs or OPT. */
    private static String normal(Message m) {
        StringBuilder sb = new StringBuilder(Rcode.string(m.getRcode()));
        for (int section = Section.ANSWER; section <= Section.ADDITIONAL; section++) {
            sb.append("\n;").append(Section.string(section));
            for (org.xbill.DNS.Record r : m.getSection(section)) {
                if (!(r instanceof OPTRecord)) {
                    sb.append('\n')
                            .append(r.getName().toString().toLowerCase(Locale.ROOT))
                            .append(' ')
                            .append(Type.string(r.getType()))
                            .append(' ')
                            .append(r.rdataToString());
                }
            }
        }
        return sb.toString();
    }
}
