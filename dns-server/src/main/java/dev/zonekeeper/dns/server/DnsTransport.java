package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.DnsMetrics.BadInput;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS over UDP and TCP on one port. UDP: several SO_REUSEPORT sockets, each with its own thread blocked in the
 * kernel's receive ({@link BlockingUdp}; the benchmark chose it over Netty's epoll loop). TCP, with Netty (epoll, or
 * NIO where epoll is missing), per RFC 7766: several queries per connection, pipelined, answered as they complete,
 * closed after an idle timeout. The transport only moves bytes; {@link QueryProcessor} makes the answers.
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
    static final PooledByteBufAllocator BUFFERS = new PooledByteBufAllocator(true,
            PooledByteBufAllocator.defaultNumHeapArena(), PooledByteBufAllocator.defaultNumDirectArena(),
            PooledByteBufAllocator.defaultPageSize(), 7, PooledByteBufAllocator.defaultSmallCacheSize(),
            PooledByteBufAllocator.defaultNormalCacheSize(), PooledByteBufAllocator.defaultUseCacheForAllThreads());
    /** Socket receive and send buffers: a burst of queries waits in the kernel instead of being dropped. */
    private static final int UDP_BUFFER_BYTES = 4 << 20;
    public static final int TCP_IDLE_SECONDS = 10;
    public static final int TCP_MAX_CONNECTIONS = 1000;

    private final EventLoopGroup group;
    private final List<Channel> channels = new ArrayList<>();
    private final InetSocketAddress boundAddress;
    private final boolean epoll;
    private BlockingUdp udp;

    public DnsTransport(InetSocketAddress listen, int udpSockets, QueryProcessor processor, DnsMetrics metrics)
            throws InterruptedException {
        this(listen, udpSockets, processor, metrics, TCP_IDLE_SECONDS);
    }

    /**
     * @param listen where to listen; port 0 picks a free port for UDP and binds TCP to the same one ({@link #address()})
     * @param tcpIdleSeconds a TCP connection with no query and no response for this long is closed (RFC 7766 6.2.3)
     */
    public DnsTransport(InetSocketAddress listen, int udpSockets, QueryProcessor processor, DnsMetrics metrics,
                        int tcpIdleSeconds) throws InterruptedException {
        epoll = Epoll.isAvailable();
        int sockets = Math.max(1, udpSockets);
        group = new MultiThreadIoEventLoopGroup(sockets, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        ConnectionLimit limit = new ConnectionLimit(TCP_MAX_CONNECTIONS, metrics);
        TcpHandler tcp = new TcpHandler(processor, metrics);
        LengthFieldPrepender prepender = new LengthFieldPrepender(2);
        ServerBootstrap sb = new ServerBootstrap().group(group)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.ALLOCATOR, BUFFERS)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(limit,
                                new IdleStateHandler(0, 0, tcpIdleSeconds, TimeUnit.SECONDS),
                                new LengthFieldBasedFrameDecoder(65535, 0, 2, 0, 2),
                                prepender, tcp);
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
    private InetSocketAddress bindAll(ServerBootstrap sb, InetSocketAddress listen, int sockets,
                                      QueryProcessor processor) throws InterruptedException {
        try {
            udp = new BlockingUdp(listen, sockets, MAX_DATAGRAM, UDP_BUFFER_BYTES, processor);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot listen on UDP " + listen + ": " + e.getMessage(), e);
        }
        channels.add(sb.bind(udp.address()).sync().channel());
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

    public boolean epoll() {
        return epoll;
    }

    @Override
    public void close() {
        closeChannels();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    @Sharable
    static final class TcpHandler extends SimpleChannelInboundHandler<ByteBuf> {
        private final QueryProcessor processor;
        private final DnsMetrics metrics;

        TcpHandler(QueryProcessor processor, DnsMetrics metrics) {
            this.processor = processor;
            this.metrics = metrics;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            long start = System.nanoTime();
            Channel ch = ctx.channel();
            ByteBuf out = processor.process(frame, DnsMetrics.TCP, ctx.alloc(),
                    (ignored, late) -> ch.writeAndFlush(late), null, start);
            if (out != null) {
                ctx.write(out);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                ctx.close();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof TooLongFrameException) {
                metrics.dropped(BadInput.OVERSIZED_TCP);
            }
            LOG.debug("TCP error from {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /** Closes new TCP connections beyond a bound, so a flood of idle connections cannot exhaust the server. */
    @Sharable
    static final class ConnectionLimit extends io.netty.channel.ChannelInboundHandlerAdapter {
        private final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
        private final int max;
        private final DnsMetrics metrics;

        ConnectionLimit(int max, DnsMetrics metrics) {
            this.max = max;
            this.metrics = metrics;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (open.incrementAndGet() > max) {
                metrics.dropped(BadInput.TCP_LIMIT);
                ctx.close();
                return;
            }
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.decrementAndGet();
            ctx.fireChannelInactive();
        }
    }
}
