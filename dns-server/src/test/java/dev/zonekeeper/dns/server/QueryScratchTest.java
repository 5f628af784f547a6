package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.TransportKind;
import dev.zonekeeper.dns.zone.ZoneSet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class QueryScratchTest {

    /**
     * The UDP path receives into one direct buffer per socket and parses each query from it; that copy must not
     * allocate per query (Netty's getBytes into an array made a duplicate of the NIO buffer on every call).
     */
    @Test
    void readingAQueryFromTheUdpReceiveBufferAllocatesNothingAndLeavesTheBufferAsItWas() throws Exception {
        byte[] wire = Message.newQuery(
                        Record.newRecord(Name.fromString("svc1.ns1.svc.cluster.local."), Type.A, DClass.IN))
                .toWire();
        ByteBuffer in = ByteBuffer.allocateDirect(4096); // as BlockingUdp receives
        ByteBuf query = Unpooled.wrappedBuffer(in);
        in.put(wire);
        query.setIndex(0, wire.length);
        QueryScratch scratch = new QueryScratch();
        for (int i = 0; i < 1_000; i++) {
            assertThat(scratch.parse(query)).isEqualTo(QueryScratch.OK);
        }
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        int parsed = 0;
        for (int i = 0; i < 10_000; i++) {
            if (scratch.parse(query) == QueryScratch.OK) {
                parsed++;
            }
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(parsed).isEqualTo(10_000);
        assertThat(allocated).as("bytes allocated by 10,000 parses").isLessThan(10_000);
        assertThat(query.readerIndex()).isZero();
        assertThat(query.writerIndex()).isEqualTo(wire.length);
        assertThat(scratch.length).isEqualTo(wire.length);
    }

    private static ZoneSet zones() {
        return FastPathAllocationTest.zones();
    }

    /**
     * The per-query object as {@link BlockingUdp} keeps it: one per reading thread, made once with the transport, the
     * allocator and the responder, refilled for each query with its bytes, sender and arrival. A query answered on
     * the fast path through it allocates nothing, and each response is the right one for its query.
     */
    @Test
    void aReadingThreadsQueryObjectCarriesEachUdpQueryWithoutAllocating() throws Exception {
        QueryProcessor p = new QueryProcessor(zones(), new DnsMetrics(), null);
        byte[] wire = EdnsOptionAgreementTest.query(0x2468, "www.example.test", Type.A, DClass.IN, null);
        InetSocketAddress sender = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 40001);
        // one buffer handed out again and again: Netty's pool would count its own sampling here, not the query's
        ByteBufAllocator once = new FastPathAllocationTest.ReusingAllocator();
        int[] answered = new int[1];
        long allocated = FastPathAllocationTest.onNettyThread(
                () -> { // as BlockingUdp's reading threads are
                    ByteBuffer in = ByteBuffer.allocateDirect(4096); // as BlockingUdp receives
                    ByteBuf query = Unpooled.wrappedBuffer(in);
                    in.put(wire);
                    query.setIndex(0, wire.length);
                    QueryScratch q =
                            new QueryScratch(TransportKind.UDP, once, (context, response) -> response.release());
                    com.sun.management.ThreadMXBean threads =
                            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                    long bytes = 0;
                    for (int round = 0; round < 2; round++) { // the first round warms up (thread locals, JIT)
                        long before = threads.getCurrentThreadAllocatedBytes();
                        for (int i = 0; i < 10_000; i++) {
                            ByteBuf out = p.process(q.received(query, sender, System.nanoTime()));
                            if (out != null
                                    && out.getUnsignedShort(0) == 0x2468
                                    && (out.getByte(3) & 0xF) == 0
                                    && out.getUnsignedShort(6) == 2
                                    && (out.getByte(2) & 0x04) != 0) {
                                answered[0]++;
                            }
                            if (out != null) {
                                out.release();
                            }
                        }
                        bytes = threads.getCurrentThreadAllocatedBytes() - before;
                    }
                    return bytes;
                });
        assertThat(answered[0])
                .as("queries answered authoritatively, NOERROR, both A records, their own ID")
                .isEqualTo(20_000);
        assertThat(allocated)
                .as("bytes allocated by 10,000 UDP queries through one query object")
                .isLessThan(10_000);
    }

    /**
     * The query object is reused for the next query at once, while a forwarded query waits for its upstream: its
     * response must still go to its own sender, with its own ID and transport, when the upstream answers later.
     */
    @Test
    void aForwardedQueryIsAnsweredToItsOwnSenderAfterTheQueryObjectMovedOn() throws Exception {
        List<CompletableFuture<Message>> upstream = new ArrayList<>();
        QueryProcessor p = new QueryProcessor(zones(), new DnsMetrics(), query -> {
            CompletableFuture<Message> f = new CompletableFuture<>();
            upstream.add(f);
            return f;
        });
        List<Object> contexts = new ArrayList<>();
        List<Message> late = new ArrayList<>();
        QueryScratch q = new QueryScratch(TransportKind.UDP, UnpooledByteBufAllocator.DEFAULT, (context, response) -> {
            byte[] b = new byte[response.readableBytes()];
            response.readBytes(b);
            response.release();
            contexts.add(context);
            try {
                late.add(new Message(b));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        });
        InetSocketAddress first = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 40002);
        InetSocketAddress second = new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 40003);
        byte[] external = EdnsOptionAgreementTest.query(0x1111, "www.example.org", Type.A, DClass.IN, null);
        assertThat(p.process(q.received(Unpooled.wrappedBuffer(external), first, System.nanoTime())))
                .as("a forwarded query is answered later")
                .isNull();
        byte[] ours = EdnsOptionAgreementTest.query(0x2222, "www.example.test", Type.A, DClass.IN, null);
        ByteBuf now = p.process(q.received(Unpooled.wrappedBuffer(ours), second, System.nanoTime()));
        assertThat(now.getUnsignedShort(0)).isEqualTo(0x2222);
        now.release();
        assertThat(upstream).hasSize(1);

        Message answer = new Message(0x1111);
        answer.getHeader().setFlag(Flags.QR);
        answer.addRecord(Record.newRecord(Name.fromString("www.example.org."), Type.A, DClass.IN), Section.QUESTION);
        answer.addRecord(
                new ARecord(Name.fromString("www.example.org."), DClass.IN, 60, InetAddress.getByName("192.0.2.7")),
                Section.ANSWER);
        upstream.get(0).complete(answer);

        assertThat(contexts).containsExactly(first);
        assertThat(late).hasSize(1);
        Message m = late.get(0);
        assertThat(m.getHeader().getID()).isEqualTo(0x1111);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getSection(Section.ANSWER))
                .extracting(Record::rdataToString)
                .containsExactly("192.0.2.7");
    }
}
