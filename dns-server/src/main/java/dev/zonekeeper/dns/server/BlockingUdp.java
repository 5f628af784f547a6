package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.metrics.TransportKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UDP on the JDK's blocking {@link DatagramChannel}s: one platform thread per SO_REUSEPORT socket, parked in the
 * kernel's {@code recvfrom} until a query arrives and answering it at once with {@code sendto}. Two system calls per
 * query and no readiness polling, where an epoll event loop makes four per wake-up (the wait, with its timer; the
 * batched read; Netty's per-read {@code getsockopt}; the batched write): at the loads a cluster DNS server sees, a
 * wake-up carries one or two queries, so the poll is pure overhead (measured in {@code e2e/bench/README.md}).
 *
 * <p>Nothing is allocated per query on this path: the query is read into a direct buffer owned by the thread, the
 * JDK keeps the last sender's address object while the sender stays the same, and the response is a pooled buffer
 * written from its own memory. Answers produced later (forwarded queries) are sent from the forwarder's thread on the
 * same socket; the JDK serialises writers.
 */
final class BlockingUdp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlockingUdp.class);

    private final List<DatagramChannel> channels = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final InetSocketAddress bound;

    /**
     * Binds {@code sockets} sockets to {@code listen} (the first one picks the port when it is 0, the others join it
     * with SO_REUSEPORT; one socket only where SO_REUSEPORT is not supported) and starts a reading thread for each.
     * On a given port every socket sets SO_REUSEPORT, so that a second server process can bind the same address
     * before the first one closes (a rolling restart without a moment in which nobody listens).
     */
    BlockingUdp(InetSocketAddress listen, int sockets, int maxDatagram, int bufferBytes, QueryProcessor processor)
            throws IOException {
        InetSocketAddress at = listen;
        try {
            for (int i = 0; i < sockets; i++) {
                DatagramChannel ch = listen.getAddress() instanceof Inet4Address
                        ? DatagramChannel.open(StandardProtocolFamily.INET)
                        : DatagramChannel.open();
                channels.add(ch);
                boolean reusePort = (sockets > 1 || listen.getPort() != 0)
                        && ch.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT);
                if (reusePort) {
                    ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                }
                ch.setOption(StandardSocketOptions.SO_RCVBUF, bufferBytes);
                ch.setOption(StandardSocketOptions.SO_SNDBUF, bufferBytes);
                ch.bind(at);
                at = (InetSocketAddress) ch.getLocalAddress();
                if (sockets > 1 && !reusePort) {
                    LOG.info("SO_REUSEPORT is not supported here: one UDP socket instead of {}", sockets);
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            closeChannels();
            throw e;
        }
        bound = at;
        for (int i = 0; i < channels.size(); i++) {
            DatagramChannel ch = channels.get(i);
            Thread t = new FastThreadLocalThread(
                    () -> serve(ch, maxDatagram, processor), "dns-udp-" + bound.getPort() + "-" + i);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    InetSocketAddress address() {
        return bound;
    }

    /** The number of sockets (and reading threads). */
    int sockets() {
        return channels.size();
    }

    private static void serve(DatagramChannel ch, int maxDatagram, QueryProcessor processor) {
        ByteBuffer in = ByteBuffer.allocateDirect(maxDatagram);
        ByteBuf query = Unpooled.wrappedBuffer(in);
        QueryProcessor.Responder late = (sender, response) -> send(ch, response, (SocketAddress) sender);
        QueryScratch q = new QueryScratch(TransportKind.UDP, DnsTransport.BUFFERS, late); // this thread's queries
        while (ch.isOpen()) {
            SocketAddress sender;
            try {
                in.clear();
                sender = ch.receive(in);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.debug("UDP receive failed: {}", e.toString());
                continue;
            }
            long start = System.nanoTime();
            if (sender == null) {
                continue;
            }
            query.setIndex(0, in.position());
            ByteBuf out;
            try {
                out = processor.process(q.received(query, sender, start));
            } catch (RuntimeException e) {
                LOG.warn("query from {} failed", sender, e);
                continue;
            }
            if (out != null) {
                send(ch, out, sender);
            }
        }
    }

    /** Sends and releases {@code response}; a failed send loses this response only. */
    private static void send(DatagramChannel ch, ByteBuf response, SocketAddress to) {
        try {
            ByteBuffer b = response.nioBufferCount() == 1
                    ? response.internalNioBuffer(response.readerIndex(), response.readableBytes())
                    : response.nioBuffer();
            ch.send(b, to);
        } catch (ClosedChannelException e) {
            // shutting down
        } catch (IOException e) {
            LOG.debug("UDP send to {} failed: {}", to, e.toString());
        } finally {
            response.release();
        }
    }

    private void closeChannels() {
        for (DatagramChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.debug("closing a UDP socket: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        closeChannels();
        for (Thread t : threads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
