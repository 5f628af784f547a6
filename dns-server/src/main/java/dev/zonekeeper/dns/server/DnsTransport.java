package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.DnsMetrics.BadInput;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
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
 * DNS over UDP and TCP with Netty. UDP: several SO_REUSEPORT sockets on epoll (one NIO socket where epoll is
 * missing), each read with recvmmsg in batches and answered with one flush per batch (sendmmsg). TCP per RFC 7766:
 * several queries per connection, pipelined, answered as they complete, closed after an idle timeout.
 * The transport only moves bytes; {@link QueryProcessor} makes the answers.
 */
public final class DnsTransport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DnsTransport.class);
    /** Largest datagram read; a bigger query arrives cut and gets FORMERR. */
    private static final int MAX_DATAGRAM = 4096;
    private static final int DATAGRAMS_PER_READ = 16;
    public static final int TCP_IDLE_SECONDS = 10;
    public static final int TCP_MAX_CONNECTIONS = 1000;

    private final EventLoopGroup group;
    private final List<Channel> channels = new ArrayList<>();
    private final InetSocketAddress boundAddress;
    private final boolean epoll;

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
        int sockets = epoll ? Math.max(1, udpSockets) : 1;
        group = new MultiThreadIoEventLoopGroup(sockets, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Bootstrap b = new Bootstrap().group(group)
                .channel(epoll ? EpollDatagramChannel.class : NioDatagramChannel.class)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.SO_RCVBUF, 4 << 20)
                .option(ChannelOption.SO_SNDBUF, 4 << 20)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new UdpHandler(processor));
                    }
                });
        if (epoll) {
            b.option(EpollChannelOption.SO_REUSEPORT, true)
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_DATAGRAM)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM * DATAGRAMS_PER_READ));
        } else {
            b.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM));
        }
        Channel first = b.bind(listen).sync().channel();
        channels.add(first);
        InetSocketAddress bound = (InetSocketAddress) first.localAddress();
        for (int i = 1; i < sockets; i++) {
            channels.add(b.bind(bound).sync().channel());
        }
        ConnectionLimit limit = new ConnectionLimit(TCP_MAX_CONNECTIONS, metrics);
        TcpHandler tcp = new TcpHandler(processor, metrics);
        LengthFieldPrepender prepender = new LengthFieldPrepender(2);
        ServerBootstrap sb = new ServerBootstrap().group(group)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
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
        channels.add(sb.bind(bound).sync().channel());
        boundAddress = bound;
        LOG.info("DNS listening on {} (UDP x{} {}, TCP)", bound, sockets, epoll ? "epoll" : "nio");
    }

    public InetSocketAddress address() {
        return boundAddress;
    }

    public boolean epoll() {
        return epoll;
    }

    @Override
    public void close() {
        for (Channel c : channels) {
            c.close().awaitUninterruptibly();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** One per UDP socket, so the responder for late (forwarded) answers is made once, not per query. */
    static final class UdpHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        private final QueryProcessor processor;
        private QueryProcessor.Responder responder;

        UdpHandler(QueryProcessor processor) {
            super(DatagramPacket.class, true);
            this.processor = processor;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            Channel ch = ctx.channel();
            responder = (sender, late) -> ch.writeAndFlush(new DatagramPacket(late, (InetSocketAddress) sender));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            long start = System.nanoTime();
            ByteBuf out = processor.process(packet.content(), DnsMetrics.UDP, ctx.alloc(), responder,
                    packet.sender(), start);
            if (out != null) {
                ctx.write(new DatagramPacket(out, packet.sender()), ctx.voidPromise());
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("UDP error: {}", cause.toString());
        }
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
