package dev.zonekeeper.e2e.scenario;

import dev.zonekeeper.testing.BindServer;
import java.nio.file.Path;
import java.util.List;

/**
 * The cert-manager and ExternalDNS cases of {@link UpdateClientsCases} against BIND 9 ({@code named}): each key's
 * grants as {@code update-policy} rules of the same type, and zone transfers allowed to ExternalDNS's key only.
 */
class UpdateClientsBindTest extends UpdateClientsCases {

    @Override
    Served startDns(Path dir, List<Key> keys) {
        BindServer.Builder builder = BindServer.builder();
        StringBuilder policy = new StringBuilder();
        for (Key key : keys) {
            builder.key(key.name(), key.algorithm(), key.secret());
            for (Grant grant : key.grants()) {
                policy.append("grant ")
                        .append(key.name())
                        .append(' ')
                        .append(grant.match())
                        .append(' ')
                        .append(grant.name())
                        .append(". ")
                        .append(String.join(" ", grant.types()))
                        .append("; ");
            }
        }
        BindServer bind = builder.option("allow-transfer { key " + EXTERNAL_DNS_KEY + "; };")
                .zone(ZONE, ZONE_TEXT, policy.toString().strip())
                .start();
        return new Served(bind.address(), bind::log, bind::close);
    }
}
