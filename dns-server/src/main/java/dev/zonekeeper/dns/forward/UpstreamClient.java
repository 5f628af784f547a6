package dev.zonekeeper.dns.forward;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;

/**
 * One query to one upstream, over UDP or TCP, on Netty channels.
 *
 * <p>UDP: queries go out from a bounded pool of unconnected sockets per address family ({@code udpSockets}), each
 * bound to port 0 so the kernel picks a random free port, several queries multiplexed on one socket by ID. A socket
 * is picked at random for each query, and after {@code udpSocketUses} queries (or a minute) it is replaced by a fresh
 * one on a new random port (the old one closes when its last query ends), so the source port keeps changing while the
 * number of open sockets stays bounded: at most twice the pool per family, however many queries are in flight or
 * unanswered (one socket per query held 10,712 descriptors at 5,000 qps of unanswered names, issue 13 point 3). Each
 * query gets a random ID not in use on its socket. Sockets are deliberately not connected, so that datagrams from
 * other addresses reach the handler, are dropped and counted as {@link FailureReason#MISMATCH}. A datagram is the
 * answer only if it has the ID of a query on that socket, comes from the address and port that query asked, has QR,
 * and repeats the question (name case-insensitively, type, class); anything else is counted and the query keeps
 * waiting until its timeout.
 *
 * <p>TCP (RFC 7766): a fresh connection, the message prefixed with its 2-byte length, the answer read the same way
 * (up to 65,535 bytes) and checked for ID and question.
 */
final class UpstreamClient {
    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * A pooled socket is also replaced after this long, so that a quiet forwarder does not keep one source port
     * (which an off-path attacker could learn) for hours.
     */
    static final long MAX_SOCKET_AGE_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final EventLoopGroup group;
    private final Transport transport;
    private final long timeoutNanos;
    private final ForwarderMetrics metrics;
    private final int poolSize;
    private final int maxUses;
    private final Set<InetSocketAddress> upstreams;
    private final ChannelGroup channels = new DefaultChannelGroup("forwarder-upstream", GlobalEventExecutor.INSTANCE);
    /** Per address family (0: IPv4, 1: IPv6), the sockets queries are sent from. Guarded by this. */
    private final PooledSocket[][] pools = new PooledSocket[2][];
    /** Replaced sockets still open for their queries in flight. Guarded by this. */
    private int draining;
    /** Pooled sockets open (in a pool or draining). Guarded by this. */
    private int open;

    private boolean closed;

    UpstreamClient(EventLoopGroup group, Transport transport, Duration timeout, ForwarderMetrics metrics) {
        this(group, transport, timeout, metrics, 32, 256, Set.of());
    }

    UpstreamClient(
            EventLoopGroup group,
            Transport transport,
            Duration timeout,
            ForwarderMetrics metrics,
            int udpSockets,
            int udpSocketUses,
            Set<InetSocketAddress> upstreams) {
        this.group = group;
        this.transport = transport;
        this.timeoutNanos = timeout.toNanos();
        this.metrics = metrics;
        this.poolSize = udpSockets;
        this.maxUses = udpSocketUses;
        this.upstreams = Set.copyOf(upstreams);
    }

    /** Pooled UDP sockets open now. */
    synchronized int udpSockets() {
        return open;
    }

    /** One UDP socket of the pool and the queries in flight on it, by ID. */
    private final class PooledSocket {
        final Channel channel;
        final ChannelFuture bind;
        final Map<Integer, Exchange> pending = new HashMap<>();
        final long createdNanos = System.nanoTime();
        int uses;
        boolean retired;
        /** Closed by us after retirement (counted out of {@code open} once). */
        boolean finished;

        PooledSocket(InetSocketAddress peer) {
            Bootstrap bootstrap = new Bootstrap()
                    .group(group)
                    .channelFactory(transport.datagramChannel(peer))
                    .handler(new UdpHandler(this));
            bind = bootstrap.bind(wildcard(peer));
            channel = bind.channel();
            channels.add(channel);
        }
    }

    private record Exchange(InetSocketAddress upstream, Message query, CompletableFuture<Message> result) {}

    /**
     * Sends {@code query} over UDP (with a new ID); completes with the matching answer or an
     * {@link UpstreamException}.
     */
    CompletableFuture<Message> udp(InetSocketAddress upstream, Message query) {
        CompletableFuture<Message> result = new CompletableFuture<>();
        Exchange exchange = new Exchange(upstream, query, result);
        PooledSocket socket;
        int id;
        synchronized (this) {
            if (closed) {
                result.completeExceptionally(new UpstreamException(upstream, FailureReason.NETWORK, "closed", null));
                return result;
            }
            socket = acquire(upstream);
            if (socket.pending.size() >= 0x8000) {
                result.completeExceptionally(
                        new UpstreamException(upstream, FailureReason.NETWORK, "too many queries on one socket", null));
                return result;
            }
            do {
                id = RANDOM.nextInt(0x10000);
            } while (socket.pending.containsKey(id));
            query.getHeader().setID(id);
            socket.pending.put(id, exchange);
        }
        int exchangeId = id;
        byte[] wire;
        ScheduledFuture<?> timer;
        try {
            wire = query.toWire();
            timer = timeout(result, upstream);
        } catch (RuntimeException e) { // never leave an exchange behind on the socket
            release(socket, exchangeId, exchange);
            throw e;
        }
        result.whenComplete((m, t) -> {
            timer.cancel(false);
            release(socket, exchangeId, exchange);
        });
        socket.bind.addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new UpstreamException(upstream, FailureReason.NETWORK, "bind", f.cause()));
                return;
            }
            socket.channel
                    .writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(wire), upstream))
                    .addListener(w -> {
                        if (!w.isSuccess()) {
                            result.completeExceptionally(
                                    new UpstreamException(upstream, FailureReason.NETWORK, "send", w.cause()));
                        }
                    });
        });
        return result;
    }

    /** A socket of the pool for {@code upstream}'s family: a random slot, renewed when used up. Holds the lock. */
    private PooledSocket acquire(InetSocketAddress upstream) {
        int family = upstream.getAddress() instanceof Inet4Address ? 0 : 1;
        if (pools[family] == null) {
            pools[family] = new PooledSocket[poolSize];
        }
        PooledSocket[] pool = pools[family];
        int slot = RANDOM.nextInt(pool.length);
        PooledSocket s = pool[slot];
        boolean dead = s != null && (!s.channel.isOpen() || (s.bind.isDone() && !s.bind.isSuccess()));
        // Past its uses it is replaced, unless too many replaced ones still drain: then it serves on, so the
        // number of sockets stays bounded whatever the upstreams do.
        boolean usedUp = s != null && (s.uses >= maxUses || System.nanoTime() - s.createdNanos > MAX_SOCKET_AGE_NANOS);
        if (s == null || dead || (usedUp && draining < poolSize)) {
            if (s != null) {
                retire(s);
            }
            s = new PooledSocket(upstream);
            open++;
            pool[slot] = s;
        }
        s.uses++;
        return s;
    }

    /** Takes {@code s} out of its pool; it closes now if idle, else when its last query ends. Holds the lock. */
    private void retire(PooledSocket s) {
        s.retired = true;
        if (s.pending.isEmpty()) {
            s.finished = true;
            s.channel.close();
            open--;
        } else {
            draining++;
        }
    }

    private synchronized void release(PooledSocket s, int id, Exchange exchange) {
        if (s.pending.get(id) == exchange) {
            s.pending.remove(id);
        }
        if (s.retired && s.pending.isEmpty() && !s.finished) {
            s.finished = true;
            s.channel.close();
            draining--;
            open--;
        }
    }

    /** The datagram {@code packet} arrived on {@code s}: the answer of one of its queries, or counted and dropped. */
    private void received(PooledSocket s, DatagramPacket packet) {
        ByteBuf content = packet.content();
        InetSocketAddress sender = packet.sender();
        Exchange exchange = null;
        if (content.readableBytes() >= 12) {
            int id = content.getUnsignedShort(content.readerIndex());
            synchronized (this) {
                exchange = s.pending.get(id);
            }
        }
        if (exchange == null) {
            // no query of this socket has that ID: counted against the sender only if it is an upstream, so that
            // forged datagrams cannot create a metric series per source address
            if (sender != null && upstreams.contains(sender)) {
                metrics.upstreamFailure(sender, FailureReason.MISMATCH);
            } else {
                metrics.strayDatagram();
            }
            return;
        }
        if (!sameEndpoint(sender, exchange.upstream())) {
            metrics.upstreamFailure(exchange.upstream(), FailureReason.MISMATCH);
            return;
        }
        accept(exchange.upstream(), exchange.query(), exchange.result(), content);
    }

    /**
     * The largest TCP frame: Netty's max frame length counts the 2-byte length prefix too, so 65,535 would refuse
     * messages of 65,534 and 65,535 bytes (issue 13 point 11).
     */
    static final int MAX_FRAME = 2 + 65535;

    /** Sends {@code query} over TCP; completes with the matching answer or an {@link UpstreamException}. */
    CompletableFuture<Message> tcp(InetSocketAddress upstream, Message query) {
        CompletableFuture<Message> result = new CompletableFuture<>();
        byte[] wire = query.toWire();
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channelFactory(transport.socketChannel(upstream))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast(
                                        new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 2, 0, 2),
                                        new TcpHandler(upstream, query, result));
                    }
                });
        ChannelFuture connect = bootstrap.connect(upstream);
        Channel channel = connect.channel();
        channels.add(channel);
        ScheduledFuture<?> timer = timeout(result, upstream);
        result.whenComplete((m, t) -> {
            timer.cancel(false);
            channel.close();
        });
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(
                        new UpstreamException(upstream, FailureReason.NETWORK, "connect", f.cause()));
                return;
            }
            ByteBuf framed = Unpooled.buffer(2 + wire.length);
            framed.writeShort(wire.length);
            framed.writeBytes(wire);
            channel.writeAndFlush(framed).addListener(w -> {
                if (!w.isSuccess()) {
                    result.completeExceptionally(
                            new UpstreamException(upstream, FailureReason.NETWORK, "send", w.cause()));
                }
            });
        });
        return result;
    }

    /** Closes every open upstream channel; queries in flight fail. */
    void close() {
        List<Exchange> pending = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (PooledSocket[] pool : pools) {
                if (pool != null) {
                    for (PooledSocket s : pool) {
                        if (s != null) {
                            pending.addAll(s.pending.values());
                        }
                    }
                }
            }
        }
        for (Exchange e : pending) {
            e.result()
                    .completeExceptionally(new UpstreamException(e.upstream(), FailureReason.NETWORK, "closed", null));
        }
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Fails {@code result} with a timeout unless it completes first; the caller cancels the timer on completion. */
    private ScheduledFuture<?> timeout(CompletableFuture<Message> result, InetSocketAddress upstream) {
        return group.next()
                .schedule(
                        () -> result.completeExceptionally(new UpstreamException(
                                upstream,
                                FailureReason.TIMEOUT,
                                "no answer in " + Duration.ofNanos(timeoutNanos),
                                null)),
                        timeoutNanos,
                        TimeUnit.NANOSECONDS);
    }

    private static InetSocketAddress wildcard(InetSocketAddress peer) {
        try {
            return new InetSocketAddress(
                    InetAddress.getByAddress(new byte[peer.getAddress() instanceof Inet4Address ? 4 : 16]), 0);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code response} answers {@code query}: QR, same ID, same question (name in any case). */
    static boolean answers(Message query, Message response) {
        if (!response.getHeader().getFlag(Flags.QR)
                || response.getHeader().getID() != query.getHeader().getID()) {
            return false;
        }
        org.xbill.DNS.Record q = query.getQuestion();
        org.xbill.DNS.Record r = response.getQuestion();
        if (r == null) {
            return false;
        }
        Name qName = q.getName();
        return qName.equals(r.getName()) && q.getType() == r.getType() && q.getDClass() == r.getDClass();
    }

    private static boolean sameEndpoint(InetSocketAddress a, InetSocketAddress b) {
        return a != null && a.getPort() == b.getPort() && a.getAddress().equals(b.getAddress());
    }

    /** Completes {@code result} with the message in {@code content} if it answers {@code query}; else counts it. */
    private void accept(InetSocketAddress upstream, Message query, CompletableFuture<Message> result, ByteBuf content) {
        if (result.isDone()) {
            return;
        }
        Message response;
        try {
            response = new Message(ByteBufUtil.getBytes(content));
        } catch (IOException | RuntimeException e) {
            // hostile bytes: dnsjava may throw more than IOException on them
            metrics.upstreamFailure(upstream, FailureReason.MISMATCH);
            return;
        }
        if (!answers(query, response)) {
            metrics.upstreamFailure(upstream, FailureReason.MISMATCH);
            return;
        }
        result.complete(response);
    }

    private final class UdpHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        private final PooledSocket socket;

        UdpHandler(PooledSocket socket) {
            super(DatagramPacket.class);
            this.socket = socket;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            received(socket, packet);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // e.g. ICMP port unreachable on some platforms: the socket stays usable, its queries time out
        }
    }

    private final class TcpHandler extends SimpleChannelInboundHandler<ByteBuf> {
        private final InetSocketAddress upstream;
        private final Message query;
        private final CompletableFuture<Message> result;

        TcpHandler(InetSocketAddress upstream, Message query, CompletableFuture<Message> result) {
            super(ByteBuf.class);
            this.upstream = upstream;
            this.query = query;
            this.result = result;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            accept(upstream, query, result, frame);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.completeExceptionally(new UpstreamException(upstream, FailureReason.NETWORK, null, cause));
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.completeExceptionally(
                    new UpstreamException(upstream, FailureReason.NETWORK, "connection closed", null));
        }
    }
}
