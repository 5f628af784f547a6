package dev.zonekeeper.dns.update;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;

/**
 * Checks the TSIG of an UPDATE (RFC 8945): the key must be one a policy names (else BADKEY), the MAC must verify on
 * the request's original wire bytes (dnsjava's {@link TSIG#verify}; else BADSIG), the time signed must be within the
 * fudge of this server's clock (else BADTIME), and the MAC must not have been seen before from the same key while it
 * could still verify (else a replay, answered as BADTIME).
 *
 * <p>The replay memory is bounded: per key the MACs of at most {@value #MAX_MACS_PER_KEY} requests, each kept until
 * its time signed plus its fudge has passed, the oldest dropped first when a key sends more within one window. A key's
 * rate limit (50 updates per second by default) makes the window that fits in the bound at least 80 seconds; keys come
 * only from policies, so the number of keys is bounded by the policies.
 */
final class UpdateAuthenticator {
    static final int MAX_MACS_PER_KEY = 4096;

    private final Clock clock;
    private final Map<Name, RecentMacs> recent = new ConcurrentHashMap<>();

    UpdateAuthenticator(Clock clock) {
        this.clock = clock;
    }

    /** The outcome: {@code result} null when the request verified; {@code key} set when its MAC verified. */
    record Verdict(UpdateResult result, String detail, int tsigError, Name keyName, TSIG key) {
        boolean ok() {
            return result == null;
        }
    }

    /**
     * Verifies {@code m}, parsed from {@code wire}, against the keys of {@code policies} (those naming the request's
     * key). {@code remember} false checks without recording the MAC (zone-transfer requests).
     */
    Verdict verify(Message m, byte[] wire, Collection<UpdatePolicy> policies, boolean remember) {
        TSIGRecord tsig = m.getTSIG();
        if (tsig == null) {
            return new Verdict(UpdateResult.UNSIGNED, "the request is not signed with TSIG", -1, null, null);
        }
        Name keyName = tsig.getName();
        if (policies.isEmpty()) {
            return badKey(keyName, "no DnsUpdatePolicy names the key " + keyName);
        }
        boolean badSig = false;
        // several policies may share a key: each distinct TSIG is tried (a key name with another algorithm or secret)
        Set<TSIG> tried = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (UpdatePolicy p : policies) {
            if (!tried.add(p.key())) {
                continue;
            }
            int error = p.key().verify(m, wire, null);
            if (error == Rcode.NOERROR || error == Rcode.BADTIME) {
                return checkTime(m, tsig, p.keyName(), p.key(), remember);
            }
            badSig |= error == Rcode.BADSIG;
        }
        if (badSig) {
            return new Verdict(
                    UpdateResult.BAD_SIGNATURE,
                    "the TSIG signature of key " + keyName + " does not verify",
                    Rcode.BADSIG,
                    keyName,
                    null);
        }
        return badKey(
                keyName,
                "the key " + keyName + " with algorithm " + tsig.getAlgorithm()
                        + " is not the one a DnsUpdatePolicy names");
    }

    /** The MAC verified: the time must be within the fudge, on this server's clock, and the MAC new. */
    private Verdict checkTime(Message m, TSIGRecord tsig, Name keyName, TSIG key, boolean remember) {
        Instant now = clock.instant();
        Instant signed = tsig.getTimeSigned();
        Duration fudge = tsig.getFudge();
        if (Duration.between(now, signed).abs().compareTo(fudge) > 0) {
            return new Verdict(
                    UpdateResult.BAD_TIME,
                    "the request was signed at " + signed + ", more than its fudge " + fudge.toSeconds()
                            + "s from the server's time " + now,
                    Rcode.BADTIME,
                    keyName,
                    key);
        }
        if (remember) {
            RecentMacs macs = recent.computeIfAbsent(keyName, k -> new RecentMacs());
            if (!macs.add(ByteBuffer.wrap(tsig.getSignature().clone()), signed.plus(fudge), now)) {
                return new Verdict(
                        UpdateResult.REPLAYED,
                        "the request repeats one already received with key " + keyName + " (a replay)",
                        Rcode.BADTIME,
                        keyName,
                        key);
            }
        }
        return new Verdict(null, "", Rcode.NOERROR, keyName, key);
    }

    private static Verdict badKey(Name keyName, String detail) {
        return new Verdict(UpdateResult.BAD_KEY, detail, Rcode.BADKEY, keyName, null);
    }

    /** Forgets the MACs of keys no policy names any more. */
    void retain(Set<Name> keys) {
        recent.keySet().retainAll(keys);
    }

    /** The MACs one key signed with recently, each until it expires; insertion order, bounded. */
    private static final class RecentMacs {
        private final LinkedHashMap<ByteBuffer, Instant> expiry = new LinkedHashMap<>();

        /** False when {@code mac} is already known and not expired; else records it. */
        synchronized boolean add(ByteBuffer mac, Instant expires, Instant now) {
            Iterator<Instant> it = expiry.values().iterator();
            while (it.hasNext() && it.next().isBefore(now)) {
                it.remove(); // dropped from the oldest while expired (within a fudge of insertion order)
            }
            Instant known = expiry.get(mac);
            if (known != null && !known.isBefore(now)) {
                return false;
            }
            expiry.remove(mac);
            expiry.put(mac, expires);
            if (expiry.size() > MAX_MACS_PER_KEY) {
                Iterator<ByteBuffer> eldest = expiry.keySet().iterator();
                eldest.next();
                eldest.remove();
            }
            return true;
        }
    }
}
