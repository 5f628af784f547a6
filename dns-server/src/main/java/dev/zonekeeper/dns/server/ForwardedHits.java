package dev.zonekeeper.dns.server;

import dev.zonekeeper.dns.forward.EncodedResponse;
import dev.zonekeeper.dns.forward.Forwarder;
import io.netty.buffer.ByteBuf;

/**
 * The fast path for forwarded questions whose response is fresh in the forwarder's cache: the response is the
 * cache's pre-encoded records ({@link EncodedResponse}) behind a header and the question as sent, with TTLs decremented
 * by the entry's age, and our OPT when the query had EDNS — the bytes the full path (dnsjava parse, {@link
 * Forwarder#forward}, dnsjava encode) sends for the same hit. Anything else (no fresh entry, a response that does not
 * fit the client's UDP size and must be truncated) is left to the full path.
 */
final class ForwardedHits {
    private final Forwarder forwarder;
    private final ResponseWriter writer;

    ForwardedHits(Forwarder forwarder, ResponseWriter writer) {
        this.forwarder = forwarder;
        this.writer = writer;
    }

    /**
     * The response to the query in {@code s} (a plain query the fast path parsed), null when rate limiting dropped
     * it, or {@link ResponseWriter#FULL_PATH}.
     */
    ByteBuf answer(QueryScratch s) {
        long now = System.nanoTime();
        EncodedResponse r = forwarder.cachedResponse(s, now);
        if (r == null) {
            return ResponseWriter.FULL_PATH;
        }
        // AA and AD clear, as the full path sends forwarded answers
        ByteBuf out =
                writer.begin(s, r.tailLength(), r.rcode(), r.answerCount(), r.authorityCount(), r.additionalCount());
        if (out == null) {
            return ResponseWriter.FULL_PATH; // the full path truncates
        }
        r.writeTail(out, now);
        forwarder.cacheHitServed();
        return writer.finish(out, s, r.rcode());
    }
}
