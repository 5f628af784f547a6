package dev.zonekeeper.dns.transfer;

import java.net.InetAddress;
import java.util.Optional;
import org.xbill.DNS.Message;
import org.xbill.DNS.TSIG;

/**
 * What a {@link TransferServer} hands dynamic updates to (opcode UPDATE, RFC 2136), and asks whether a key other than
 * the transfer key may transfer a zone: the key of an update policy may read the zone it updates (RFC 2136 clients
 * such as ExternalDNS list what they own with AXFR). Kept to plain types so the transfer package depends on nothing
 * else; the operator adapts its {@code UpdateService} to it.
 */
public interface UpdateHandler {

    /**
     * The answer to one UPDATE request in wire format, or null when nothing must be sent (e.g. a UDP retransmission of
     * a request still being applied); may block until the change is served, so the server calls it off its UDP loop.
     */
    byte[] update(byte[] request, InetAddress client, boolean overTcp) throws InterruptedException;

    /**
     * The key to verify and sign a transfer request (AXFR, IXFR, SOA) with, when the request ({@code wire} parsed)
     * is signed by a key that may read the zone it asks for; empty otherwise (the server then handles it as without
     * a handler).
     */
    Optional<TSIG> transferKey(Message request, byte[] wire);
}
