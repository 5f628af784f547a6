package dev.zonekeeper.dns.forward;

import dev.zonekeeper.dns.wire.WireBytes;
import java.util.Locale;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;

/**
 * What a cached response is looked up by: the question with the name in lower case, and the client bits that change
 * the answer an upstream gives (DO: DNSSEC records included; CD: validation disabled).
 */
public record CacheKey(String name, int type, int dclass, boolean dnssecOk, boolean checkingDisabled) {

    /** The key of a query; it must have a question. */
    public static CacheKey of(Message query) {
        org.xbill.DNS.Record q = query.getQuestion();
        OPTRecord opt = query.getOPT();
        boolean dnssecOk = opt != null && (opt.getFlags() & ExtendedFlags.DO) != 0;
        return new CacheKey(
                q.getName().toString().toLowerCase(Locale.ROOT),
                q.getType(),
                q.getDClass(),
                dnssecOk,
                query.getHeader().getFlag(Flags.CD));
    }

    /**
     * A per-process keyed hash ({@link WireBytes#stringHash}), not the record's default built on
     * {@link String#hashCode}: names with colliding String hashes would put every key of the cache and the in-flight
     * map in one bucket, searched linearly (issue 13, point 4).
     */
    @Override
    public int hashCode() {
        return WireBytes.stringHash(
                name, (type << 16) ^ dclass ^ (dnssecOk ? 0x8000_0000 : 0) ^ (checkingDisabled ? 0x4000_0000 : 0));
    }
}
