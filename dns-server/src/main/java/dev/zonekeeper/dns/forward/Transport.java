package dev.zonekeeper.dns.forward;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadFactory;

/** Netty transport: native epoll where available, else NIO. Channels must match the event loop group's kind. */
public enum Transport {
    EPOLL,
    NIO;

    /** {@link #EPOLL} if the native library loads on this machine, else {@link #NIO}. */
    public static Transport detect() {
        return Epoll.isAvailable() ? EPOLL : NIO;
    }

    /** An event loop group for this transport. */
    public EventLoopGroup newEventLoopGroup(int threads, ThreadFactory threadFactory) {
        IoHandlerFactory handlers = this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, threadFactory, handlers);
    }

    /** A factory for UDP channels of the address family of {@code peer}. */
    public ChannelFactory<DatagramChannel> datagramChannel(InetSocketAddress peer) {
        SocketProtocolFamily family = family(peer);
        return this == EPOLL ? () -> new EpollDatagramChannel(family) : () -> new NioDatagramChannel(family);
    }

    /** A factory for TCP client channels of the address family of {@code peer}. */
    public ChannelFactory<SocketChannel> socketChannel(InetSocketAddress peer) {
        SocketProtocolFamily family = family(peer);
        return this == EPOLL
                ? () -> new EpollSocketChannel(family)
                : () -> new NioSocketChannel(java.nio.channels.spi.SelectorProvider.provider(), family);
    }

    private static SocketProtocolFamily family(InetSocketAddress peer) {
        return peer.getAddress() instanceof Inet6Address ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
    }
}
