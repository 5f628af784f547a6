package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.forward.Forwarder;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.TransportKind;
import dev.zonekeeper.dns.zone.ZoneSet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * Processors that answered on a long-lived thread (an event loop, a test's thread) leave one query object on it, not
 * one each: the warm-up's throwaway processors and the fuzz targets' one per input must not each keep a query object
 * (its buffers, the last query's sender and responder) for the life of every thread they ran on. Seen from outside:
 * the responders of earlier processors' queries become garbage once the processors are dropped.
 */
class QueryProcessorRetentionTest {

    @Test
    void processorsUsedOnOneThreadLeaveOneQueryObject() throws Exception {
        List<WeakReference<QueryProcessor.Responder>> responders = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            byte[] state = new byte[1 << 16]; // what a real responder holds: a channel, a future
            QueryProcessor.Responder r = (context, response) -> {
                state[0]++;
                response.release();
            };
            responders.add(new WeakReference<>(r));
            answerOnce(r);
        }
        List<WeakReference<QueryProcessor.Responder>> earlier = responders.subList(0, responders.size() - 1);
        for (int i = 0; i < 50 && earlier.stream().anyMatch(w -> w.get() != null); i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(earlier.stream().filter(w -> w.get() != null).count())
                .as("responders of dropped processors' queries still reachable from this thread")
                .isZero();
    }

    private static void answerOnce(QueryProcessor.Responder responder) throws Exception {
        QueryProcessor p = new QueryProcessor(ZoneSet.of(List.of()), new DnsMetrics(), (Forwarder) null, List.of());
        Message q = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString("a.example."), Type.A, DClass.IN));
        ByteBuf out = p.process(
                Unpooled.wrappedBuffer(q.toWire()),
                TransportKind.UDP,
                UnpooledByteBufAllocator.DEFAULT,
                responder,
                null,
                System.nanoTime());
        assertThat(out).as("REFUSED at once: no zone, no forwarder").isNotNull();
        out.release();
    }
}
