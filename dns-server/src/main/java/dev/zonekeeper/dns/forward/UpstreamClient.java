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
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;

/**
 * One query to one upstream, over UDP or TCP, on Netty channels.
 *
 * <p>UDP: every query gets a fresh unconnected socket bound to port 0, so the kernel picks the source port (Linux
 * picks a random free port in {@code net.ipv4.ip_local_port_range}), and the socket is closed with the query. Together
 * with the random 16-bit ID this gives about 30 bits for an off-path spoofer to guess. The socket is deliberately not
 * connected, so that datagrams from other addresses reach the handler, are dropped and counted as
 * {@link FailureReason#MISMATCH}. A datagram is the answer only if it comes from the address and port asked, has the
 * query's ID and QR, and repeats the question (name case-insensitively, type, class); anything else is counted and the
 * query keeps waiting until its timeout.
 *
 * <p>TCP (RFC 7766): a fresh connection, the message prefixed with its 2-byte length, the answer read the same way
 * and checked for ID and question.
 */
final class UpstreamClient {
    private final EventLoopGroup group;
    private final Transport transport;
    private final long timeoutNanos;
    private final ForwarderMetrics metrics;
    private final ChannelGroup channels = new DefaultChannelGroup("forwarder-upstream", GlobalEventExecutor.INSTANCE);

    UpstreamClient(EventLoopGroup group, Transport transport, Duration timeout, ForwarderMetrics metrics) {
        this.group = group;
        this.transport = transport;
        this.timeoutNanos = timeout.toNanos();
        this.metrics = metrics;
    }

    /** Sends {@code query} over UDP; completes with the matching answer or an {@link UpstreamException}. */
    CompletableFuture<Message> udp(InetSocketAddress upstream, Message query) {
        CompletableFuture<Message> result = new CompletableFuture<>();
        byte[] wire = query.toWire();
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channelFactory(transport.datagramChannel(upstream))
                .handler(new UdpHandler(upstream, query, result));
        ChannelFuture bind = bootstrap.bind(wildcard(upstream));
        Channel channel = bind.channel();
        channels.add(channel);
        guard(result, channel, upstream);
        bind.addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(
                        new UpstreamException(upstream, FailureReason.NETWORK, "bind", f.cause()));
                return;
            }
            channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(wire), upstream)).addListener(w -> {
                if (!w.isSuccess()) {
                    result.completeExceptionally(
                            new UpstreamException(upstream, FailureReason.NETWORK, "send", w.cause()));
                }
            });
        });
        return result;
    }

    /** Sends {@code query} over TCP; completes with the matching answer or an {@link UpstreamException}. */
    CompletableFuture<Message> tcp(InetSocketAddress upstream, Message query) {
        CompletableFuture<Message> result = new CompletableFuture<>();
        byte[] wire = query.toWire();
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channelFactory(transport.socketChannel(upstream))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(65535, 0, 2, 0, 2),
                                new TcpHandler(upstream, query, result));
                    }
                });
        ChannelFuture connect = bootstrap.connect(upstream);
        Channel channel = connect.channel();
        channels.add(channel);
        guard(result, channel, upstream);
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

    /** Closes every open upstream channel. */
    void close() {
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Times the exchange out and closes its channel when it completes either way. */
    private void guard(CompletableFuture<Message> result, Channel channel, InetSocketAddress upstream) {
        ScheduledFuture<?> timer = group.next().schedule(
                () -> result.completeExceptionally(new UpstreamException(upstream, FailureReason.TIMEOUT,
                        "no answer in " + Duration.ofNanos(timeoutNanos), null)),
                timeoutNanos, TimeUnit.NANOSECONDS);
        result.whenComplete((m, t) -> {
            timer.cancel(false);
            channel.close();
        });
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
        if (!response.getHeader().getFlag(Flags.QR) || response.getHeader().getID() != query.getHeader().getID()) {
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

    private abstract class ResponseHandler<T> extends SimpleChannelInboundHandler<T> {
        final InetSocketAddress upstream;
        final Message query;
        final CompletableFuture<Message> result;

        ResponseHandler(Class<T> type, InetSocketAddress upstream, Message query, CompletableFuture<Message> result) {
            super(type);
            this.upstream = upstream;
            this.query = query;
            this.result = result;
        }

        void accept(ByteBuf content) {
            if (result.isDone()) {
                return;
            }
            Message response;
            try {
                response = new Message(ByteBufUtil.getBytes(content));
            } catch (IOException e) {
                metrics.upstreamFailure(upstream, FailureReason.MISMATCH);
                return;
            }
            if (!answers(query, response)) {
                metrics.upstreamFailure(upstream, FailureReason.MISMATCH);
                return;
            }
            result.complete(response);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.completeExceptionally(new UpstreamException(upstream, FailureReason.NETWORK, null, cause));
            ctx.close();
        }
    }

    private final class UdpHandler extends ResponseHandler<DatagramPacket> {
        UdpHandler(InetSocketAddress upstream, Message query, CompletableFuture<Message> result) {
            super(DatagramPacket.class, upstream, query, result);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            if (!sameEndpoint(packet.sender(), upstream)) {
                metrics.upstreamFailure(upstream, FailureReason.MISMATCH);
                return;
            }
            accept(packet.content());
        }
    }

    private final class TcpHandler extends ResponseHandler<ByteBuf> {
        TcpHandler(InetSocketAddress upstream, Message query, CompletableFuture<Message> result) {
            super(ByteBuf.class, upstream, query, result);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            accept(frame);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.completeExceptionally(
                    new UpstreamException(upstream, FailureReason.NETWORK, "connection closed", null));
        }
    }
}
