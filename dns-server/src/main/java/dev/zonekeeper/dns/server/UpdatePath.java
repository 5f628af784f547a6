package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.TransportKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFuture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The update path: UPDATE requests (opcode 5), TSIG-signed SOA queries (nsupdate finding the zone) and TSIG-signed
 * AXFR requests over TCP go, as received, to the {@link UpdateHandler}, and its answer is sent later through the
 * query's responder. Reached from the full path only (the fast path takes no TSIG and opcode QUERY alone); UPDATE by
 * the opcode before any parsing, so queries pay nothing for it.
 */
final class UpdatePath {
    private static final Logger LOG = LoggerFactory.getLogger(UpdatePath.class);
    /** The largest UDP response sent as it is; a larger one is cut to its header with TC (RFC 2136 has no EDNS). */
    static final int UDP_MAX = 512;
    /** How long a relayed transfer waits for the client to take one message before giving up on it. */
    private static final long CLIENT_WAIT_SECONDS = 30;

    private final DnsMetrics metrics;
    private final UpdateHandler handler;

    UpdatePath(DnsMetrics metrics, UpdateHandler handler) {
        this.metrics = metrics;
        this.handler = handler;
    }

    boolean enabled() {
        return handler.enabled();
    }

    /** Hands the UPDATE in {@code s} to the handler; its answer is sent later. Returns null (nothing now). */
    ByteBuf update(QueryScratch s) {
        metrics.query(s.transport, -1);
        return handOver(new Exchange(s, null, 0), s); // signed and rate limited per key by the handler, not per address
    }

    /** Hands the TSIG-signed SOA query of {@code x} (already counted) to the handler; its answer is sent later. */
    ByteBuf signedQuery(Exchange x, QueryScratch s) {
        return handOver(x, s);
    }

    private ByteBuf handOver(Exchange x, QueryScratch s) {
        byte[] request = ByteBufUtil.getBytes(s.bytes);
        boolean tcp = s.transport == TransportKind.TCP;
        CompletableFuture<byte[]> answer;
        try {
            answer = handler.update(request, client(x.context), tcp);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e); // answered below as any failure
        }
        answer.whenComplete((response, err) -> {
            if (err != null) {
                LOG.warn("update handler failed: {}", err.toString());
            }
            if (err != null || response == null || response.length < 12) {
                if (tcp) {
                    x.responder.respond(x.context, null); // nothing to say: the TCP connection drops the query
                }
                return;
            }
            byte[] out = response;
            if (!tcp && out.length > UDP_MAX) {
                out = java.util.Arrays.copyOf(response, 12);
                out[2] |= 0x02; // TC: the client asks again over TCP
                java.util.Arrays.fill(out, 4, 12, (byte) 0);
            }
            metrics.response(out[3] & 0xF, x.startNanos);
            ByteBuf buf = x.alloc.ioBuffer(out.length);
            buf.writeBytes(out);
            x.responder.respond(x.context, buf);
        });
        return null;
    }

    /** Hands the signed AXFR of {@code x} (over TCP) to the handler, which streams the answer. */
    ByteBuf transfer(Exchange x, QueryScratch s) {
        if (!(x.context instanceof DnsTransport.TcpConnection conn)) {
            return null;
        }
        byte[] request = ByteBufUtil.getBytes(s.bytes);
        UpdateHandler.MessageSink sink = (wire, last) -> {
            ByteBuf buf = x.alloc.ioBuffer(wire.length);
            buf.writeBytes(wire);
            if (last) {
                metrics.response(wire.length >= 4 ? wire[3] & 0xF : 0, x.startNanos);
                x.responder.respond(x.context, buf);
                return;
            }
            ChannelFuture written = conn.part(buf);
            if (!written.awaitUninterruptibly(CLIENT_WAIT_SECONDS, TimeUnit.SECONDS) || !written.isSuccess()) {
                throw new IOException("the client did not take the transfer's messages");
            }
        };
        CompletableFuture<Void> done;
        try {
            done = handler.transfer(request, client(x.context), sink);
        } catch (RuntimeException e) {
            LOG.warn("transfer handler failed: {}", e.toString());
            conn.abort();
            return null;
        }
        done.whenComplete((v, err) -> {
            if (err != null) {
                LOG.debug("relayed transfer ended early: {}", err.toString());
                conn.abort();
            }
        });
        return null;
    }

    private static InetAddress client(Object context) {
        Object address = context instanceof DnsTransport.TcpConnection c ? c.remote() : context;
        return address instanceof InetSocketAddress a ? a.getAddress() : null;
    }
}
