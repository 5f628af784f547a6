package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.DnsMetrics.BadInput;
import dev.zonekeeper.dns.metrics.TransportKind;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS over UDP and TCP on one port. UDP: several SO_REUSEPORT sockets, each with its own thread blocked in the
 * kernel's receive ({@link BlockingUdp}; the benchmark chose it over Netty's epoll loop). TCP, with Netty (epoll, or
 * NIO where epoll is missing), per RFC 7766: several queries per connection, pipelined, answered as they complete,
 * closed after an idle timeout; each message must arrive whole within a per-message timeout, and connections are
 * capped per client address and in all ({@link TcpLimits}). The transport only moves bytes; {@link QueryProcessor} makes the answers.
 */
public final class DnsTransport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DnsTransport.class);
    /** Largest datagram read; a bigger query arrives cut and gets FORMERR. */
    private static final int MAX_DATAGRAM = 4096;
    /**
     * Netty's pooled allocator with 1 MiB chunks instead of its default 4 MiB. The JDK zeroes direct memory as it
     * allocates it, so every chunk an arena takes is resident in full; a DNS message is at most 64 KiB, and the UDP
     * sockets and the TCP event loops each use an arena of their own. Measured at 10,000 Services: 3 MiB less
     * resident memory in the DNS server, nothing else changed.
     */
    static final PooledByteBufAllocator BUFFERS = new PooledByteBufAllocator(
            true,
            PooledByteBufAllocator.defaultNumHeapArena(),
            PooledByteBufAllocator.defaultNumDirectArena(),
            PooledByteBufAllocator.defaultPageSize(),
            7,
            PooledByteBufAllocator.defaultSmallCacheSize(),
            PooledByteBufAllocator.defaultNormalCacheSize(),
            PooledByteBufAllocator.defaultUseCacheForAllThreads());
    /** Socket receive and send buffers: a burst of queries waits in the kernel instead of being dropped. */
    private static final int UDP_BUFFER_BYTES = 4 << 20;

    public static final int TCP_IDLE_SECONDS = 10;
    public static final int TCP_MAX_CONNECTIONS = 1000;

    private final EventLoopGroup group;
    private final ConnectionLimit connections;
    private final List<Channel> channels = new ArrayList<>();
    private final InetSocketAddress boundAddress;
    private final boolean epoll;
    private BlockingUdp udp;

    public DnsTransport(InetSocketAddress listen, int udpSockets, QueryProcessor processor, DnsMetrics metrics)
            throws InterruptedException {
        this(listen, udpSockets, processor, metrics, TcpLimits.DEFAULTS);
    }

    /**
     * @param listen where to listen; port 0 picks a free port for UDP and binds TCP to the same one ({@link #address()})
     * @param tcpIdleSeconds a TCP connection with no query and no response for this long is closed (RFC 7766 6.2.3)
     */
    public DnsTransport(
            InetSocketAddress listen, int udpSockets, QueryProcessor processor, DnsMetrics metrics, int tcpIdleSeconds)
            throws InterruptedException {
        this(listen, udpSockets, processor, metrics, TcpLimits.DEFAULTS.withIdleSeconds(tcpIdleSeconds));
    }

    /**
     * @param listen where to listen; port 0 picks a free port for UDP and binds TCP to the same one ({@link #address()})
     * @param tcp the DNS-over-TCP timeouts and connection caps
     */
    public DnsTransport(
            InetSocketAddress listen, int udpSockets, QueryProcessor processor, DnsMetrics metrics, TcpLimits tcp)
            throws InterruptedException {
        epoll = Epoll.isAvailable();
        int sockets = Math.max(1, udpSockets);
        group = new MultiThreadIoEventLoopGroup(
                sockets, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        connections = new ConnectionLimit(tcp.maxConnections(), tcp.maxPerClient(), metrics);
        ConnectionLimit limit = connections;
        LengthFieldPrepender prepender = new LengthFieldPrepender(2);
        ServerBootstrap sb = new ServerBootstrap()
                .group(group)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.ALLOCATOR, BUFFERS)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Above the high mark of answers the client has not taken, the connection stops reading queries
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(16 << 10, 64 << 10))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(prepender, new TcpConnection(processor, metrics, limit, tcp));
                    }
                });
        // Port 0: the kernel picks a free UDP port, whose TCP twin may be taken; then try another (a few times).
        int attempts = listen.getPort() == 0 ? 10 : 1;
        InetSocketAddress bound = null;
        for (int attempt = 1; bound == null; attempt++) {
            try {
                bound = bindAll(sb, listen, sockets, processor);
            } catch (InterruptedException e) {
                closeChannels();
                throw e;
            } catch (Exception e) {
                closeChannels();
                if (attempt >= attempts) {
                    group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
                    throw e;
                }
                LOG.debug("binding a free port for UDP and TCP failed ({}), trying another", e.toString());
            }
        }
        boundAddress = bound;
        // DEBUG: the warm-up opens one of these on a private port too; Main logs the service address
        LOG.debug("DNS listening on {} (UDP: {} socket(s), TCP: {})", bound, udp.sockets(), epoll ? "epoll" : "nio");
    }

    /** Binds the UDP sockets and the TCP socket to one port; returns the address bound. */
    private InetSocketAddress bindAll(
            ServerBootstrap sb, InetSocketAddress listen, int sockets, QueryProcessor processor)
            throws InterruptedException {
        try {
            udp = new BlockingUdp(listen, sockets, MAX_DATAGRAM, UDP_BUFFER_BYTES, processor);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot listen on UDP " + listen + ": " + e.getMessage(), e);
        }
        // SO_REUSEPORT on a given port, as for UDP: a second server process can take over the address (rolling
        // restart). Not on a port the kernel picked for UDP: its TCP twin must not join another process's listener.
        ServerBootstrap bootstrap = listen.getPort() == 0
                ? sb
                : sb.clone()
                        .option(
                                epoll
                                        ? EpollChannelOption.SO_REUSEPORT
                                        : NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT),
                                true);
        channels.add(bootstrap.bind(udp.address()).sync().channel());
        return udp.address();
    }

    private void closeChannels() {
        if (udp != null) {
            udp.close();
            udp = null;
        }
        for (Channel c : channels) {
            c.close().awaitUninterruptibly();
        }
        channels.clear();
    }

    public InetSocketAddress address() {
        return boundAddress;
    }

    /** TCP connections open now. */
    public int tcpConnections() {
        return connections.open();
    }

    public boolean epoll() {
        return epoll;
    }

    @Override
    public void close() {
        closeChannels();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /**
     * The DNS-over-TCP limits (Knot's {@code tcp-io-timeout}/{@code tcp-idle-timeout}/{@code tcp-max-clients}, NSD's
     * {@code tcp-count}/{@code tcp-timeout}).
     *
     * @param idleSeconds a connection with no complete query and no response for this long is closed (RFC 7766 6.2.3)
     * @param ioTimeoutMillis once a message's first byte has arrived, the whole message must arrive within this
     *                        time, else the connection is closed: a byte now and then does not keep it open
     * @param maxConnections connections open at once; a new one beyond it closes the one idle longest
     * @param maxPerClient connections open at once from one client address; a new one beyond it is refused
     */
    public record TcpLimits(int idleSeconds, int ioTimeoutMillis, int maxConnections, int maxPerClient) {
        public static final TcpLimits DEFAULTS = new TcpLimits(TCP_IDLE_SECONDS, 2000, TCP_MAX_CONNECTIONS, 64);

        public TcpLimits {
            if (idleSeconds < 1 || ioTimeoutMillis < 1 || maxConnections < 1 || maxPerClient < 1) {
                throw new IllegalArgumentException("TCP limits must be positive: " + this);
            }
        }

        public TcpLimits withIdleSeconds(int seconds) {
            return new TcpLimits(seconds, ioTimeoutMillis, maxConnections, maxPerClient);
        }
    }

    /**
     * One DNS-over-TCP connection (RFC 7766): splits the stream into messages at their 2-byte length (any length
     * 0-65535), hands each to the {@link QueryProcessor} and writes the answers, pipelined. What it holds is bounded:
     * the bytes of at most one message being received plus one socket read, {@link #MAX_PENDING} queries waiting for
     * a later answer (it stops reading beyond), and the answers the client has not read yet (it stops reading while
     * the channel is above its write-buffer high water mark, and closes a client that lets
     * {@link #MAX_UNREAD_BYTES} pile up). Its timers: the per-message timeout and the idle timeout, checked by one
     * periodic task per connection (no timer is armed per message).
     */
    static final class TcpConnection extends ChannelInboundHandlerAdapter {
        /** Queries of one connection waiting for a later (forwarded) answer before it stops reading more. */
        static final int MAX_PENDING = 32;
        /** Answers written but not yet taken by the client beyond which it is closed (2 largest messages). */
        static final long MAX_UNREAD_BYTES = 2 * 65537;

        private static final QueryProcessor.Responder LATE =
                (context, response) -> ((TcpConnection) context).late(response);
        /**
         * The query object of each event loop: its connections' queries are answered one at a time on it. Its
         * allocator is the one every connection is given ({@code ChannelOption.ALLOCATOR}).
         */
        private static final FastThreadLocal<QueryScratch> QUERIES = new FastThreadLocal<>() {
            @Override
            protected QueryScratch initialValue() {
                return new QueryScratch(TransportKind.TCP, BUFFERS, LATE);
            }
        };

        private final QueryProcessor processor;
        private final DnsMetrics metrics;
        private final ConnectionLimit limit;
        private final long ioNanos;
        private final long idleNanos;
        private ChannelHandlerContext ctx;
        /** The client's address: DNS cookies and the per-client cap are bound to it. */
        private InetSocketAddress remote;
        /** Received bytes not yet taken as messages. */
        private ByteBuf buffer = Unpooled.EMPTY_BUFFER;
        /** When the first byte of the message being received arrived; -1 when none is. */
        private long partialSince = -1;
        /** Last complete query or response (System.nanoTime); read by {@link ConnectionLimit} on other threads. */
        volatile long lastActivity;
        /** Queries taken whose answer is not written yet. */
        private int pending;

        private ScheduledFuture<?> timer;
        /** Counted by the {@link ConnectionLimit}: released once when closed. */
        boolean admitted;

        InetAddress client;
        /** Set once when this connection is chosen to be closed to make room (so two new ones do not pick it). */
        final AtomicBoolean evicted = new AtomicBoolean();

        TcpConnection(QueryProcessor processor, DnsMetrics metrics, ConnectionLimit limit, TcpLimits limits) {
            this.processor = processor;
            this.metrics = metrics;
            this.limit = limit;
            this.ioNanos = TimeUnit.MILLISECONDS.toNanos(limits.ioTimeoutMillis());
            this.idleNanos = TimeUnit.SECONDS.toNanos(limits.idleSeconds());
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            this.remote = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a : null;
            lastActivity = System.nanoTime();
            if (!limit.admit(this, ctx.channel())) {
                ctx.close();
                return;
            }
            // A quarter of the shorter timeout: a timeout fires between 1 and 1.25 times its value.
            long period = Math.max(
                    TimeUnit.MILLISECONDS.toNanos(10),
                    Math.min(TimeUnit.SECONDS.toNanos(1), Math.min(ioNanos, idleNanos) / 4));
            timer = ctx.executor().scheduleAtFixedRate(this::checkTimeouts, period, period, TimeUnit.NANOSECONDS);
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            cleanUp();
            ctx.fireChannelInactive();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            cleanUp();
        }

        private void cleanUp() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            buffer.release();
            buffer = Unpooled.EMPTY_BUFFER;
            limit.release(this);
        }

        private void checkTimeouts() {
            if (!ctx.channel().isActive()) {
                return;
            }
            long now = System.nanoTime();
            if (partialSince >= 0 && now - partialSince >= ioNanos) {
                metrics.tcpClosed(DnsMetrics.TcpClose.IO_TIMEOUT);
                LOG.debug(
                        "TCP {}: a message took longer than the I/O timeout, closing",
                        ctx.channel().remoteAddress());
                ctx.close();
            } else if (partialSince < 0 && now - lastActivity >= idleNanos) {
                metrics.tcpClosed(DnsMetrics.TcpClose.IDLE_TIMEOUT);
                ctx.close();
            }
        }

        /** Closes this connection to make room for a new one (called on any thread). */
        void evict() {
            metrics.tcpClosed(DnsMetrics.TcpClose.EVICTED);
            ctx.channel().close();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf in)) {
                ctx.fireChannelRead(msg);
                return;
            }
            if (!admitted) {
                in.release(); // refused or closing
                return;
            }
            buffer = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), buffer, in);
            drain();
        }

        /** Answers the complete messages in the buffer while the connection may take more. */
        private void drain() {
            while (!paused()) {
                int readable = buffer.readableBytes();
                if (readable < 2) {
                    break;
                }
                int length = buffer.getUnsignedShort(buffer.readerIndex());
                if (readable < 2 + length) {
                    break;
                }
                buffer.skipBytes(2);
                ByteBuf message = buffer.readSlice(length);
                partialSince = -1;
                answer(message);
            }
            if (buffer.isReadable()) {
                // Bytes of a message that is not complete yet (unless paused with whole ones waiting): its clock runs
                // from the moment its first byte was seen here.
                if (partialSince < 0 && !paused()) {
                    partialSince = System.nanoTime();
                }
                buffer.discardSomeReadBytes();
            } else {
                buffer.release();
                buffer = Unpooled.EMPTY_BUFFER;
            }
            autoRead();
        }

        /** Reads from the socket only while the connection can take more (see {@link #paused}). */
        private void autoRead() {
            boolean read = !paused();
            if (ctx.channel().config().isAutoRead() != read) {
                ctx.channel().config().setAutoRead(read);
            }
        }

        private boolean paused() {
            return pending >= MAX_PENDING
                    || !ctx.channel().isWritable()
                    || !ctx.channel().isActive();
        }

        private void answer(ByteBuf message) {
            long start = System.nanoTime();
            lastActivity = start;
            pending++;
            ByteBuf out = processor.process(QUERIES.get().received(message, this, start));
            if (out != null) {
                pending--;
                ctx.write(out);
            }
        }

        /**
         * One message of an answer of several (a zone transfer the update path streams), from any thread: written
         * and flushed in order, before the answer's last message, which goes through the responder as any answer.
         * The caller waits for the returned future before the next one, so a slow client slows the transfer instead
         * of filling the heap.
         */
        io.netty.channel.ChannelFuture part(ByteBuf message) {
            lastActivity = System.nanoTime();
            return ctx.writeAndFlush(message);
        }

        /** Closes this connection (a streamed answer that cannot be finished), from any thread. */
        void abort() {
            ctx.channel().close();
        }

        /** The client's address (null before the connection is active). */
        InetSocketAddress remote() {
            return remote;
        }

        /** An answer produced later (forwarded), on any thread: written on the connection's event loop. */
        private void late(ByteBuf response) {
            EventExecutor loop = ctx.executor();
            if (loop.inEventLoop()) {
                written(response);
                return;
            }
            try {
                loop.execute(() -> written(response));
            } catch (RejectedExecutionException e) {
                response.release(); // shutting down
            }
        }

        private void written(ByteBuf response) {
            pending--;
            Channel ch = ctx.channel();
            if (response == null) { // the query is dropped unanswered (a failed update handler)
                resume();
                return;
            }
            if (!ch.isActive()) {
                response.release();
                return;
            }
            if (!ch.isWritable()
                    && ch.unsafe().outboundBuffer() != null
                    && ch.unsafe().outboundBuffer().totalPendingWriteBytes() + response.readableBytes()
                            > MAX_UNREAD_BYTES) {
                // The client does not read its answers: do not keep them for it.
                response.release();
                metrics.tcpClosed(DnsMetrics.TcpClose.UNREAD_ANSWERS);
                ctx.close();
                return;
            }
            lastActivity = System.nanoTime();
            ctx.writeAndFlush(response);
            resume();
        }

        private void resume() {
            if (!paused() && buffer.isReadable()) {
                drain();
                ctx.flush();
            } else {
                autoRead();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                resume();
            } else {
                autoRead();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("TCP error from {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /**
     * The connection caps, shared by every TCP connection: at most {@code maxPerClient} from one address (a new one
     * beyond is refused) and {@code maxConnections} in all. At the total cap a new connection closes the one idle
     * longest (no complete query or response for the longest time) instead of being refused, as Knot does: a client
     * that holds connections open without using them cannot keep everyone else out, while connections in use stay.
     */
    static final class ConnectionLimit {
        private final int max;
        private final int maxPerClient;
        private final DnsMetrics metrics;
        private final AtomicInteger open = new AtomicInteger();
        private final Map<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();
        private final Set<TcpConnection> connections = ConcurrentHashMap.newKeySet();

        ConnectionLimit(int max, int maxPerClient, DnsMetrics metrics) {
            this.max = max;
            this.maxPerClient = maxPerClient;
            this.metrics = metrics;
        }

        /** Counts a new connection in; false (counted in metrics) when it must be closed. */
        boolean admit(TcpConnection c, Channel ch) {
            InetAddress client = ch.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
            if (client != null) {
                AtomicInteger n = perClient.compute(client, (k, v) -> {
                    AtomicInteger count = v == null ? new AtomicInteger() : v;
                    count.incrementAndGet();
                    return count;
                });
                if (n.get() > maxPerClient) {
                    decrement(client);
                    metrics.tcpClosed(DnsMetrics.TcpClose.REFUSED_PER_CLIENT);
                    metrics.dropped(BadInput.TCP_LIMIT);
                    return false;
                }
            }
            if (open.incrementAndGet() > max && !evictIdlest()) {
                open.decrementAndGet();
                if (client != null) {
                    decrement(client);
                }
                metrics.tcpClosed(DnsMetrics.TcpClose.REFUSED_TOTAL);
                metrics.dropped(BadInput.TCP_LIMIT);
                return false;
            }
            c.client = client;
            c.admitted = true;
            connections.add(c);
            metrics.tcpConnections(1);
            return true;
        }

        /** Closes the connection idle longest; false when there is none to close. */
        private boolean evictIdlest() {
            while (true) {
                TcpConnection idlest = null;
                long oldest = 0;
                for (TcpConnection c : connections) {
                    long t = c.lastActivity;
                    if (!c.evicted.get() && (idlest == null || t - oldest < 0)) {
                        idlest = c;
                        oldest = t;
                    }
                }
                if (idlest == null) {
                    return false;
                }
                if (idlest.evicted.compareAndSet(false, true)) {
                    idlest.evict();
                    return true;
                }
            }
        }

        void release(TcpConnection c) {
            if (!c.admitted) {
                return;
            }
            c.admitted = false;
            connections.remove(c);
            open.decrementAndGet();
            metrics.tcpConnections(-1);
            if (c.client != null) {
                decrement(c.client);
            }
        }

        private void decrement(InetAddress client) {
            perClient.computeIfPresent(client, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
        }

        int open() {
            return open.get();
        }
    }
}
