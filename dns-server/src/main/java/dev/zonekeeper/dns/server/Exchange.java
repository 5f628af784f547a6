package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.metrics.TransportKind;
import io.netty.buffer.ByteBufAllocator;
import org.xbill.DNS.CookieOption;
import org.xbill.DNS.Message;

/**
 * A query on the full path, parsed by dnsjava: what its response needs, copied out of the reused {@link QueryScratch}
 * because a forwarded query is answered later, on the forwarder's thread, when the scratch holds another query.
 */
final class Exchange {
    final TransportKind transport;
    final ByteBufAllocator alloc;
    final QueryProcessor.Responder responder;
    final Object context;
    final long startNanos;
    /** The rate limiter's account of the client, or a null limiter: not limited (TCP, unknown or proven address). */
    RateLimiter limiter;

    long network;
    /** The cookie option to answer with; null when the query had none. */
    CookieOption cookie;
    /** The query; null until parsed. */
    Message query;

    Exchange(QueryScratch q, RateLimiter limiter, long network) {
        this.transport = q.transport;
        this.alloc = q.alloc;
        this.responder = q.responder;
        this.context = q.context;
        this.startNanos = q.startNanos;
        this.limiter = limiter;
        this.network = network;
    }
}
