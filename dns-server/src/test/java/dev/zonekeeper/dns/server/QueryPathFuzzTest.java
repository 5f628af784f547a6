package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.zonekeeper.dns.StandaloneZonesAccess;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.TransportKind;
import dev.zonekeeper.dns.testing.InProcessServer;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneSet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Coverage-guided fuzzing of the query path (issue 13): any bytes from a client into {@link QueryProcessor}, over
 * UDP and TCP, on the fast path and on the full path. Invariants:
 * <ul>
 *   <li>an answer, or a drop counted in {@code zonekeeper_dns_dropped_total};</li>
 *   <li>the answer parses with dnsjava, has QR set, the query's ID, and the query's question (when it has one);</li>
 *   <li>a UDP answer fits 512 bytes, or the query's EDNS size (at most 1232);</li>
 *   <li>the fast path (pre-encoded answers) and the full path (dnsjava) give the same answer;</li>
 *   <li>UDP and TCP give the same answer, apart from TC (then the rcode and question still agree) and ANY (RFC 8482:
 *       over UDP a subset of the records TCP gives).</li>
 * </ul>
 * {@code ./mvnw test} replays the corpus in {@code src/test/resources/.../QueryPathFuzzTestInputs/query/};
 * {@code e2e/fuzz/run.sh query MINUTES} fuzzes.
 */
class QueryPathFuzzTest {
    private static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;
    private static final DnsMetrics METRICS = new DnsMetrics();
    private static final QueryProcessor PROCESSOR = new QueryProcessor(zones(), METRICS, null);

    /** The example zones, plus one with an RRset too big for UDP, a wildcard and a CNAME chain. */
    private static ZoneSet zones() {
        List<Zone> zones = new ArrayList<>(
                StandaloneZonesAccess.examples(InProcessServer.examples()).zones());
        StringBuilder big = new StringBuilder("""
                $ORIGIN big.test.
                $TTL 60
                @ IN SOA ns.big.test. hostmaster.big.test. 1 7200 1800 86400 60
                @ IN NS ns.big.test.
                ns IN A 192.0.2.53
                * IN A 192.0.2.99
                a IN CNAME b
                b IN CNAME c.example.test.
                loop IN CNAME loop
                sub IN NS ns.sub.big.test.
                ns.sub IN A 192.0.2.54
                """);
        for (int i = 0; i < 120; i++) {
            big.append("many IN A 10.0.")
                    .append(i / 256)
                    .append('.')
                    .append(i % 256)
                    .append('\n');
            big.append("txt IN TXT \"").append("t".repeat(200)).append(i).append("\"\n");
        }
        zones.add(Zone.parse(Name.fromConstantString("big.test."), big.toString()));
        return ZoneSet.of(zones);
    }

    @FuzzTest
    void query(byte[] query) throws IOException {
        Message parsed = tryParse(query);
        Answer fastUdp = run(query, TransportKind.UDP, false);
        Answer fastTcp = run(query, TransportKind.TCP, false);
        Answer fullUdp = run(query, TransportKind.UDP, true);
        Answer fullTcp = run(query, TransportKind.TCP, true);

        for (Answer a : List.of(fastUdp, fastTcp, fullUdp, fullTcp)) {
            if (a.dropped) {
                continue;
            }
            checkAnswer(query, parsed, a);
        }
        assertThat(fastUdp.dropped).as("fast UDP dropped iff fast TCP dropped").isEqualTo(fastTcp.dropped);
        if (!fastUdp.dropped && !fullUdp.dropped) {
            assertThat(fastUdp.normal()).as("fast and full path agree (UDP)").isEqualTo(fullUdp.normal());
        }
        if (!fastTcp.dropped && !fullTcp.dropped) {
            assertThat(fastTcp.normal()).as("fast and full path agree (TCP)").isEqualTo(fullTcp.normal());
        }
        if (!fastUdp.dropped && !fastTcp.dropped) {
            org.xbill.DNS.Record q = fastUdp.message.getQuestion();
            if (fastUdp.message.getHeader().getFlag(Flags.TC)) {
                assertThat(fastUdp.message.getRcode()).as("UDP and TCP rcode").isEqualTo(fastTcp.message.getRcode());
            } else if (q != null && q.getType() == Type.ANY) {
                // RFC 8482: over UDP, ANY may be answered with a subset of what TCP gives.
                assertThat(fastUdp.message.getRcode()).as("UDP and TCP rcode").isEqualTo(fastTcp.message.getRcode());
                assertThat(lines(fastTcp.message, Section.ANSWER))
                        .as("ANY over UDP: a subset of the TCP answer")
                        .containsAll(lines(fastUdp.message, Section.ANSWER));
            } else {
                assertThat(fastUdp.normal()).as("UDP and TCP agree").isEqualTo(fastTcp.normal());
            }
        }
    }

    private static List<String> lines(Message m, int section) {
        List<String> lines = new ArrayList<>();
        for (org.xbill.DNS.Record r : m.getSection(section)) {
            lines.add(r.toString().toLowerCase(Locale.ROOT));
        }
        return lines;
    }

    private static void checkAnswer(byte[] query, Message parsedQuery, Answer a) {
        byte[] r = a.bytes;
        assertThat(r.length).as("answer has a header").isGreaterThanOrEqualTo(12);
        assertThat(new byte[] {r[0], r[1]}).as("ID").containsExactly(query[0], query[1]);
        Message m = a.message;
        assertThat(m.getHeader().getFlag(Flags.QR)).as("QR").isTrue();
        if (a.transport == TransportKind.UDP) {
            int limit = 512;
            OPTRecord opt = parsedQuery == null ? null : parsedQuery.getOPT();
            if (opt != null) {
                limit = Math.max(512, Math.min(opt.getPayloadSize(), QueryProcessor.EDNS_UDP_SIZE));
            }
            assertThat(r.length).as("UDP answer size").isLessThanOrEqualTo(Math.max(limit, 512));
        }
        org.xbill.DNS.Record q = m.getQuestion();
        if (q != null) {
            assertThat(parsedQuery)
                    .as("a question is echoed only from a query that parses")
                    .isNotNull();
            org.xbill.DNS.Record asked = parsedQuery.getQuestion();
            assertThat(asked).isNotNull();
            assertThat(q.getName()).isEqualTo(asked.getName());
            assertThat(q.getType()).isEqualTo(asked.getType());
            assertThat(q.getDClass()).isEqualTo(asked.getDClass());
        } else if (parsedQuery != null && parsedQuery.getQuestion() != null && m.getRcode() == Rcode.NOERROR) {
            throw new AssertionError("NOERROR answer without the question: " + m);
        }
    }

    private static Message tryParse(byte[] query) {
        try {
            return new Message(query);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private Answer run(byte[] query, TransportKind transport, boolean fullPath) throws IOException {
        double droppedBefore = InProcessServerCounters.dropped(METRICS);
        ByteBuf in = Unpooled.wrappedBuffer(query);
        ByteBuf out = fullPath
                ? PROCESSOR.processFull(in, transport, ALLOC, System.nanoTime())
                : PROCESSOR.process(
                        in, transport, ALLOC, (context, response) -> response.release(), null, System.nanoTime());
        if (out == null) {
            assertThat(InProcessServerCounters.dropped(METRICS))
                    .as("a query without an answer is counted as dropped")
                    .isEqualTo(droppedBefore + 1);
            return new Answer(transport, null, null, true);
        }
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        out.release();
        Message m;
        try {
            m = new Message(bytes);
        } catch (IOException e) {
            throw new AssertionError((fullPath ? "full" : "fast") + " path answer does not parse: " + e, e);
        }
        return new Answer(transport, bytes, m, false);
    }

    private record Answer(TransportKind transport, byte[] bytes, Message message, boolean dropped) {
        /** What a client sees, names compared case-insensitively; not the ID, size or compression. */
        String normal() {
            Message m = message;
            StringBuilder sb = new StringBuilder(Rcode.string(m.getRcode()));
            for (int flag : new int[] {Flags.QR, Flags.AA, Flags.TC, Flags.RD, Flags.RA, Flags.AD, Flags.CD}) {
                if (m.getHeader().getFlag(flag)) {
                    sb.append(' ').append(Flags.string(flag));
                }
            }
            sb.append(" opcode=").append(m.getHeader().getOpcode());
            OPTRecord opt = m.getOPT();
            if (opt != null) {
                sb.append(" opt=")
                        .append(opt.getPayloadSize())
                        .append('/')
                        .append(opt.getVersion())
                        .append((opt.getFlags() & ExtendedFlags.DO) != 0 ? "/do" : "")
                        .append('/')
                        .append(opt.getOptions().size());
            }
            for (int section = Section.QUESTION; section <= Section.ADDITIONAL; section++) {
                sb.append("\n;").append(Section.string(section));
                for (org.xbill.DNS.Record r : m.getSection(section)) {
                    if (!(r instanceof OPTRecord)) {
                        sb.append('\n').append(r.toString().toLowerCase(Locale.ROOT));
                    }
                }
            }
            return sb.toString();
        }
    }
}
