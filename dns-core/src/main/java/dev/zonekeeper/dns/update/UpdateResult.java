package dev.zonekeeper.dns.update;

import org.xbill.DNS.Rcode;

/**
 * Every way an update ends, with the rcode the client gets and the label metrics count it under
 * ({@code result="..."}).
 */
public enum UpdateResult {
    /** Applied (or a no-op that changed nothing), and served. */
    APPLIED(Rcode.NOERROR, "applied"),
    /** Not a well-formed UPDATE (RFC 2136 3.1.1, 3.4.1.2), or over the size bound. */
    MALFORMED(Rcode.FORMERR, "malformed"),
    /** No TSIG: updates are only accepted signed. */
    UNSIGNED(Rcode.REFUSED, "unsigned"),
    /** TSIG with a key no policy names (NOTAUTH, TSIG error BADKEY). */
    BAD_KEY(Rcode.NOTAUTH, "bad_key"),
    /** TSIG that does not verify (NOTAUTH, BADSIG). */
    BAD_SIGNATURE(Rcode.NOTAUTH, "bad_signature"),
    /** Signed outside the time fudge (NOTAUTH, BADTIME). */
    BAD_TIME(Rcode.NOTAUTH, "bad_time"),
    /** A signature seen before within its time window (NOTAUTH, BADTIME). */
    REPLAYED(Rcode.NOTAUTH, "replayed"),
    /** Over the key's rate. */
    RATE_LIMITED(Rcode.REFUSED, "rate_limited"),
    /** The zone section names a zone this server does not serve, or one the key has no policy for. */
    ZONE_NOT_ALLOWED(Rcode.REFUSED, "zone_not_allowed"),
    /** A record outside the key's grants. */
    OUTSIDE_GRANT(Rcode.REFUSED, "outside_grant"),
    /** A name or RRset the cluster generates (Service and Pod records) or the zone apex's SOA and NS. */
    GENERATED_NAME(Rcode.REFUSED, "generated_name"),
    /** A name held by another namespace's DnsRecord, or by a DnsRecord no update wrote. */
    OWNED_ELSEWHERE(Rcode.REFUSED, "owned_elsewhere"),
    /** A record type a DnsRecord cannot hold, or a value the record validator rejects. */
    UNSUPPORTED(Rcode.REFUSED, "unsupported"),
    /** A name outside the zone in the prerequisite or update section. */
    NOT_ZONE(Rcode.NOTZONE, "notzone"),
    /** Prerequisite failures, one per rcode. */
    PREREQ_YXDOMAIN(Rcode.YXDOMAIN, "prereq_yxdomain"),
    PREREQ_NXDOMAIN(Rcode.NXDOMAIN, "prereq_nxdomain"),
    PREREQ_YXRRSET(Rcode.YXRRSET, "prereq_yxrrset"),
    PREREQ_NXRRSET(Rcode.NXRRSET, "prereq_nxrrset"),
    /** The store failed (API server down, disk full) or the change was not served in time. */
    STORE_FAILED(Rcode.SERVFAIL, "store_failed");

    private final int rcode;
    private final String label;

    UpdateResult(int rcode, String label) {
        this.rcode = rcode;
        this.label = label;
    }

    public int rcode() {
        return rcode;
    }

    public String label() {
        return label;
    }
}
