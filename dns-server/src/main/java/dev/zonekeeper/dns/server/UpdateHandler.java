package dev.zonekeeper.dns.server;

import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;

/**
 * Where dynamic updates (RFC 2136, opcode UPDATE) and TSIG-signed zone transfers (AXFR) received on the DNS port go:
 * a sidecar relays them to its primary, standalone mode applies them itself. The {@link QueryProcessor} hands them
 * over on the full path, by opcode and question type, before parsing anything else; queries never come here. Both
 * methods return at once: the work runs on the handler's own bounded threads, never on the event loop.
 */
public interface UpdateHandler {

    /**
     * False while this handler takes nothing (standalone mode without any DnsUpdatePolicy): the server then answers
     * as it does without one, UPDATE with NOTIMP and every AXFR with REFUSED, counted as bad input.
     */
    default boolean enabled() {
        return true;
    }

    /**
     * Answers one UPDATE request ({@code request} as received, hostile): completes with the response's wire bytes,
     * whose ID is the request's, or with null to send nothing.
     */
    CompletableFuture<byte[]> update(byte[] request, InetAddress client, boolean overTcp);

    /**
     * Answers one TSIG-signed AXFR request received over TCP: passes each message of the response to {@code out},
     * in order, the last one with {@code last} set; completes when done (exceptionally when the client's connection
     * must be closed, e.g. a transfer cut off midway).
     */
    CompletableFuture<Void> transfer(byte[] request, InetAddress client, MessageSink out);

    /** Receives the messages of a multi-message response; blocks while the client has not taken the previous ones. */
    interface MessageSink {
        void message(byte[] wire, boolean last) throws IOException;
    }
}
