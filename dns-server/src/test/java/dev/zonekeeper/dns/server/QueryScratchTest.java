package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

class QueryScratchTest {

    /**
     * The UDP path receives into one direct buffer per socket and parses each query from it; that copy must not
     * allocate per query (Netty's getBytes into an array made a duplicate of the NIO buffer on every call).
     */
    @Test
    void readingAQueryFromTheUdpReceiveBufferAllocatesNothingAndLeavesTheBufferAsItWas() throws Exception {
        byte[] wire = Message.newQuery(Record.newRecord(Name.fromString("svc1.ns1.svc.cluster.local."), Type.A,
                DClass.IN)).toWire();
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
}
