package dev.zonekeeper.dns.forward;

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
        return new CacheKey(q.getName().toString().toLowerCase(Locale.ROOT), q.getType(), q.getDClass(), dnssecOk,
                query.getHeader().getFlag(Flags.CD));
    }
}
