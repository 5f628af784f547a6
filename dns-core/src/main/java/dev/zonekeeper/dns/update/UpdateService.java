package dev.zonekeeper.dns.update;

import java.net.InetAddress;
import java.time.Clock;
import java.util.Collection;
import java.util.function.Consumer;

/**
 * Answers UPDATE requests (see the package description for the steps). Thread-safe; {@link #handle} blocks until
 * the store has committed and served the change, so callers run it off their event loops, with bounded concurrency.
 */
public final class UpdateService {

    /**
     * @param maxRequestBytes      larger requests are answered FORMERR unread
     * @param perKeyRate           updates per second one key may send (a token bucket), beyond which REFUSED
     * @param perKeyBurst          the bucket's size
     * @param maxConflictRetries   evaluations of one request after optimistic-concurrency conflicts, then SERVFAIL
     */
    public record Options(int maxRequestBytes, double perKeyRate, int perKeyBurst, int maxConflictRetries) {
        public static final Options DEFAULT = new Options(65_535, 50, 100, 5);
    }

    public UpdateService(UpdateStore store, Options options, Clock clock, Consumer<UpdateOutcome> listener) {
        throw new UnsupportedOperationException("TODO");
    }

    /** Replaces the policies (atomically; requests in flight finish under the old ones). */
    public void policies(Collection<UpdatePolicy> policies) {
        throw new UnsupportedOperationException("TODO");
    }

    /** True when at least one policy exists: UPDATE is off until a grant exists (answered REFUSED). */
    public boolean enabled() {
        throw new UnsupportedOperationException("TODO");
    }

    /**
     * The answer to one UPDATE request in wire format: signed with the request's key when it verified, the zone
     * section echoed, the rcode (and TSIG error) of {@link UpdateResult}.
     */
    public byte[] handle(byte[] request, InetAddress client, boolean overTcp) throws InterruptedException {
        throw new UnsupportedOperationException("TODO");
    }
}
