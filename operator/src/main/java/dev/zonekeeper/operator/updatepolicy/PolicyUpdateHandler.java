package dev.zonekeeper.operator.updatepolicy;

import dev.zonekeeper.dns.transfer.UpdateHandler;
import dev.zonekeeper.dns.update.UpdateService;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;

/**
 * The TransferServer's view of dynamic updates: UPDATE requests go to the {@link UpdateService}; a key may transfer a
 * zone when a policy in force lets it update that zone.
 */
public final class PolicyUpdateHandler implements UpdateHandler {

    private final UpdateService service;
    private final UpdatePolicies policies;

    public PolicyUpdateHandler(UpdateService service, UpdatePolicies policies) {
        this.service = Objects.requireNonNull(service, "service");
        this.policies = Objects.requireNonNull(policies, "policies");
    }

    @Override
    public byte[] update(byte[] request, InetAddress client, boolean overTcp) throws InterruptedException {
        return service.handle(request, client, overTcp);
    }

    @Override
    public Optional<TSIG> transferKey(Name keyName, Name zone) {
        return policies.transferKey(keyName, zone);
    }
}
