package dev.zonekeeper.dns.forward;

import java.net.InetSocketAddress;

/** A try against one upstream that produced no usable answer. */
final class UpstreamException extends Exception {
    private static final long serialVersionUID = 1L;

    private final FailureReason reason;

    UpstreamException(InetSocketAddress upstream, FailureReason reason, String detail, Throwable cause) {
        super(upstream + ": " + reason + (detail == null ? "" : " (" + detail + ")"), cause, false, false);
        this.reason = reason;
    }

    FailureReason reason() {
        return reason;
    }
}
