package dev.zonekeeper.operator.updatepolicy;

import dev.zonekeeper.dns.transfer.UpdateHandler;
import dev.zonekeeper.dns.update.UpdatePolicy;
import dev.zonekeeper.dns.update.UpdateService;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;
import org.xbill.DNS.Message;
import org.xbill.DNS.TSIG;

/**
 * The TransferServer's view of dynamic updates: UPDATE requests go to the {@link UpdateService}; a key may transfer a
 * zone when a policy in force lets it update that zone ({@link UpdateService#transferPolicy}).
 */
public final class PolicyUpdateHandler implements UpdateHandler {

    private final UpdateService service;

    public PolicyUpdateHandler(UpdateService service) {
        this.service = Objects.requireNonNull(service, "service");
    }

    @Override
    public byte[] update(byte[] request, InetAddress client, boolean overTcp) throws InterruptedException {
        return service.handle(request, client, overTcp);
    }

    @Override
    public Optional<TSIG> transferKey(Message request, byte[] wire) {
        return service.transferPolicy(request, wire).map(UpdatePolicy::key);
    }
}
