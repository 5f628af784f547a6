package dev.zonekeeper.dns.forward;

/** Why one try against one upstream did not produce a usable answer. */
public enum FailureReason {
    /** No valid answer within the per-try timeout. */
    TIMEOUT,
    /** The upstream answered SERVFAIL. */
    SERVFAIL,
    /** The upstream answered REFUSED. */
    REFUSED,
    /**
     * The answer over TCP (after a truncated UDP answer) was still truncated: an upstream that cannot give the whole
     * answer, so the try fails (the next upstream is asked) instead of passing on a partial answer.
     */
    TRUNCATED,
    /** Socket error: bind, connect, send, reset, or a malformed TCP stream. */
    NETWORK,
    /**
     * A datagram that was not the answer: wrong source address, wrong ID, wrong question or unparsable. Counted per
     * dropped datagram; the query keeps waiting for the real answer, so this does not end a try.
     */
    MISMATCH
}
