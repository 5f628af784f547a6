package dev.zonekeeper.dns.forward;

/**
 * A standard query's question as read from its bytes, without parsing into objects: what {@link
 * Forwarder#cachedResponse} needs to find a fresh cached response. The DNS server's per-query object implements it,
 * so the forwarder does not depend on the server.
 */
public interface WireQuestion {
    /** The query's bytes; the question name is {@code packet()[nameOffset(), nameOffset() + nameLength())}. */
    byte[] packet();

    int nameOffset();

    /** Length of the wire-form name (any case, uncompressed), its root label included. */
    int nameLength();

    /** {@link dev.zonekeeper.dns.wire.WireBytes#questionHash} of the name, type and class. */
    int questionHash();

    int qtype();

    int qclass();

    /** The EDNS DO bit. */
    boolean dnssecOk();

    /** The header's CD bit. */
    boolean checkingDisabled();
}
