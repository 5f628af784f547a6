package dev.zonekeeper.dns.metrics;

/**
 * How a query arrived: its size limit, rate limiting and minimal ANY depend on it, and queries are counted by it.
 * Here rather than in the server package so that the meters can index by it without depending on the server.
 */
public enum TransportKind {
    UDP("udp"),
    TCP("tcp");

    /** The {@code transport} label of the query counters. */
    final String tag;

    TransportKind(String tag) {
        this.tag = tag;
    }
}
