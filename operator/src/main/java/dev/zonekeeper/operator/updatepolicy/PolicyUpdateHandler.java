package dev.zonekeeper.operator.updatepolicy;

import dev.zonekeeper.dns.transfer.UpdateHandler;
import dev.zonekeeper.dns.update.UpdatePolicy;
import dev.zonekeeper.dns.update.UpdateService;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/**
 * The TransferServer's view of dynamic updates: UPDATE requests go to the {@link UpdateService}; a key may transfer a
 * zone when a policy in force lets it update that zone ({@link UpdateService#transferPolicy}), except the cluster
 * domain: a key that writes one namespace's names must not list every Service and Pod of the cluster. Its SOA stays
 * answerable (clients find the zone with it).
 */
public final class PolicyUpdateHandler implements UpdateHandler {

    private final UpdateService service;
    private final Name clusterDomain;

    public PolicyUpdateHandler(UpdateService service, Name clusterDomain) {
        this.service = Objects.requireNonNull(service, "service");
        this.clusterDomain = Objects.requireNonNull(clusterDomain, "clusterDomain");
    }

    @Override
    public byte[] update(byte[] request, InetAddress client, boolean overTcp) throws InterruptedException {
        return service.handle(request, client, overTcp);
    }

    @Override
    public Optional<TSIG> transferKey(Message request, byte[] wire) {
        org.xbill.DNS.Record question = request.getQuestion();
        if (question != null
                && question.getType() != Type.SOA
                && question.getName().subdomain(clusterDomain)) {
            return Optional.empty();
        }
        return service.transferPolicy(request, wire).map(UpdatePolicy::key);
    }
}
