package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.StandaloneZones;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.TransportKind;
import dev.zonekeeper.dns.standalone.ManifestDirectory;
import dev.zonekeeper.dns.testing.InProcessServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.CookieOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * The fast path allocates nothing per query with cookies and response rate limiting at work (as {@link
 * QueryScratchTest} proves for the parse): a query with a client cookie, one with a valid server cookie (exempt from
 * RRL), and a flood over the rate whose responses are dropped or truncated in place. Measured on a Netty thread, as
 * the UDP readers are, with one sender address object (the JDK keeps it while the sender stays the same). The response
 * buffer comes from an allocator that hands out one buffer again and again: Netty's pool costs about 10 bytes per
 * buffer on average (its leak detector samples one allocation in 128), with or without this change, and would hide
 * what the query path itself allocates.
 */
class FastPathAllocationTest {
    private static final int QUERIES = 10_000;

    /** Hands out the same direct buffer, cleared, its reference count raised; released by the caller as usual. */
    static final class ReusingAllocator extends io.netty.buffer.AbstractByteBufAllocator {
        private final ByteBuf buf = Unpooled.directBuffer(65536);

        ReusingAllocator() {
            super(true);
        }

        @Override
        public ByteBuf ioBuffer(int initialCapacity) {
            return buf.retain().clear();
        }

        @Override
        public ByteBuf directBuffer(int initialCapacity) {
            return ioBuffer(initialCapacity);
        }

        @Override
        public ByteBuf buffer(int initialCapacity) {
            return ioBuffer(initialCapacity);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            throw new UnsupportedOperationException();
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    private static final ReusingAllocator REUSING = new ReusingAllocator();

    static dev.zonekeeper.dns.zone.ZoneSet zones() {
        List<Name> origins = List.of(Name.fromConstantString("example.test."));
        ManifestDirectory manifests =
                new ManifestDirectory(InProcessServer.examples().resolve("records"), new LinkedHashSet<>(origins));
        return new StandaloneZones(origins, InetAddress.getLoopbackAddress(), 30)
                .build(manifests.load().records());
    }

    /** Bytes allocated by the calling thread while {@code QUERIES} copies of {@code wire} are processed. */
    private static long allocated(QueryProcessor p, byte[] wire, InetSocketAddress sender, int[] outcomes) {
        ByteBuffer in = ByteBuffer.allocateDirect(4096);
        ByteBuf query = Unpooled.wrappedBuffer(in);
        in.put(wire);
        query.setIndex(0, wire.length);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int round = 0; round < 2; round++) { // the first round warms up (thread locals, pool, JIT)
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < QUERIES; i++) {
                ByteBuf out = p.process(query, TransportKind.UDP, REUSING, null, sender, System.nanoTime());
                if (round == 1) {
                    outcomes[out == null ? 0 : (out.getByte(2) & 0x02) != 0 ? 1 : 2]++;
                }
                if (out != null) {
                    out.release();
                }
            }
            if (round == 1) {
                return threads.getCurrentThreadAllocatedBytes() - before;
            }
        }
        throw new IllegalStateException();
    }

    static long onNettyThread(java.util.function.LongSupplier work) throws InterruptedException {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new FastThreadLocalThread(() -> {
            try {
                result.set(work.getAsLong());
            } catch (Throwable e) {
                result.set(e);
            }
        });
        t.start();
        t.join(120_000);
        if (result.get() instanceof Throwable e) {
            throw new AssertionError(e);
        }
        return (Long) result.get();
    }

    private static byte[] cookieQuery(byte[] cookie) {
        return EdnsOptionAgreementTest.query(
                0x1234, "www.example.test", Type.A, DClass.IN, EdnsOptionAgreementTest.option(10, cookie));
    }

    @Test
    void cookiesAndRateLimitingAllocateNothingPerQuery() throws Exception {
        QueryProcessor p = new QueryProcessor(zones(), new DnsMetrics(), null);
        InetSocketAddress sender = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 40000);
        byte[] clientOnly = cookieQuery(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});

        // the plain fast path, as before this change
        byte[] plain = EdnsOptionAgreementTest.query(0x4321, "www.example.test", Type.A, DClass.IN, null);
        int[] before = new int[3];
        long bytes = onNettyThread(() -> allocated(p, plain, sender, before));
        assertThat(bytes).as("bytes allocated by %d plain queries", QUERIES).isLessThan(QUERIES);

        // a client cookie, under a rate no query reaches
        p.rateLimit(100_000_000, 2, 24, 56, 15);
        int[] outcomes = new int[3];
        bytes = onNettyThread(() -> allocated(p, clientOnly, sender, outcomes));
        assertThat(outcomes[2]).as("answered").isEqualTo(QUERIES);
        assertThat(bytes)
                .as("bytes allocated by %d queries with a client cookie", QUERIES)
                .isLessThan(QUERIES);

        // the server cookie it got back, presented: valid, exempt from a rate every query is over
        ByteBuf first = p.process(
                Unpooled.wrappedBuffer(clientOnly), TransportKind.UDP, REUSING, null, sender, System.nanoTime());
        byte[] response = new byte[first.readableBytes()];
        first.readBytes(response);
        first.release();
        CookieOption c = (CookieOption) new Message(response)
                .getOPT()
                .getOptions(EDNSOption.Code.COOKIE)
                .get(0);
        byte[] valid = cookieQuery(EdnsOptionAgreementTest.concat(
                c.getClientCookie(), c.getServerCookie().get()));
        p.rateLimit(1, 2, 24, 56, 15);
        int[] exempt = new int[3];
        bytes = onNettyThread(() -> allocated(p, valid, sender, exempt));
        assertThat(exempt[2]).as("answered in full").isEqualTo(QUERIES);
        assertThat(bytes)
                .as("bytes allocated by %d queries with a valid server cookie", QUERIES)
                .isLessThan(QUERIES);

        // a flood without cookie over the rate: dropped and slipped
        int[] flood = new int[3];
        bytes = onNettyThread(() -> allocated(p, plain, sender, flood));
        assertThat(flood[0]).as("dropped").isPositive();
        assertThat(flood[1]).as("slipped").isPositive();
        assertThat(bytes)
                .as("bytes allocated by %d rate-limited queries", QUERIES)
                .isLessThan(QUERIES);
    }
}
