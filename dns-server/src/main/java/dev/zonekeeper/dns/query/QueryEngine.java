package dev.zonekeeper.dns.query;

import dev.zonekeeper.dns.zone.ZoneSet;
import org.xbill.DNS.Name;

/** Answers questions from served zones. Plain Java: no sockets, no Netty. (Stub.) */
public final class QueryEngine {
    private QueryEngine() {
    }

    /**
     * The authoritative answer for (qname, qtype, qclass), or null when no served zone encloses qname (the caller
     * forwards or refuses). qname may be in any letter case.
     */
    public static Answer answer(ZoneSet zones, Name qname, int qtype, int qclass) {
        throw new UnsupportedOperationException("not yet");
    }
}
