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

    /**
     * The outcome: {@code result} null when the request verified; {@code key} set when its MAC verified;
     * {@code inFlight} for a replay of a request still being handled (a client's retransmission, which gets no
     * answer of its own: the answer to the original is on its way); {@code mac} to hand to {@link #done}.
     */
    record Verdict(
            UpdateResult result,
            String detail,
            int tsigError,
            Name keyName,
            TSIG key,
            boolean inFlight,
            ByteBuffer mac) {
        Verdict(UpdateResult result, String detail, int tsigError, Name keyName, TSIG key) {
            this(result, detail, tsigError, keyName, key, false, null);
        }

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
        ByteBuffer mac = null;
        if (remember) {
            mac = ByteBuffer.wrap(tsig.getSignature().clone());
            RecentMacs macs = recent.computeIfAbsent(keyName, k -> new RecentMacs());
            Seen seen = macs.add(mac, signed.plus(fudge), now);
            if (seen != Seen.NEW) {
                boolean inFlight = seen == Seen.IN_FLIGHT;
                return new Verdict(
                        UpdateResult.REPLAYED,
                        inFlight
                                ? "the request repeats one with key " + keyName
                                        + " that is still being applied (a retransmission; not answered)"
                                : "the request repeats one already received with key " + keyName + " (a replay)",
                        Rcode.BADTIME,
                        keyName,
                        key,
                        inFlight,
                        null);
            }
        }
        return new Verdict(null, "", Rcode.NOERROR, keyName, key, false, mac);
    }

    private static Verdict badKey(Name keyName, String detail) {
        return new Verdict(UpdateResult.BAD_KEY, detail, Rcode.BADKEY, keyName, null);
    }

    /** The request whose verdict carried {@code mac} has been answered: a repetition of it is now a replay. */
    void done(Name keyName, ByteBuffer mac) {
        RecentMacs macs = recent.get(keyName);
        if (macs != null && mac != null) {
            macs.done(mac);
        }
    }

    /** Forgets the MACs of keys no policy names any more. */
    void retain(Set<Name> keys) {
        recent.keySet().retainAll(keys);
    }

    enum Seen {
        NEW,
        IN_FLIGHT,
        ANSWERED
    }

    /** A MAC until when it could verify, and whether its request is still being handled. */
    private static final class Entry {
        final Instant expires;
        boolean inFlight = true;

        Entry(Instant expires) {
            this.expires = expires;
        }
    }

    /** The MACs one key signed with recently, each until it expires; insertion order, bounded. */
    private static final class RecentMacs {
        private final LinkedHashMap<ByteBuffer, Entry> macs = new LinkedHashMap<>();

        /** Whether {@code mac} is known and not expired; records it when it is new. */
        synchronized Seen add(ByteBuffer mac, Instant expires, Instant now) {
            Iterator<Entry> it = macs.values().iterator();
            while (it.hasNext() && it.next().expires.isBefore(now)) {
                it.remove(); // dropped from the oldest while expired (within a fudge of insertion order)
            }
            Entry known = macs.get(mac);
            if (known != null && !known.expires.isBefore(now)) {
                return known.inFlight ? Seen.IN_FLIGHT : Seen.ANSWERED;
            }
            macs.remove(mac);
            macs.put(mac, new Entry(expires));
            if (macs.size() > MAX_MACS_PER_KEY) {
                Iterator<ByteBuffer> eldest = macs.keySet().iterator();
                eldest.next();
                eldest.remove();
            }
            return Seen.NEW;
        }

        synchronized void done(ByteBuffer mac) {
            Entry e = macs.get(mac);
            if (e != null) {
                e.inFlight = false;
            }
        }
    }
}
