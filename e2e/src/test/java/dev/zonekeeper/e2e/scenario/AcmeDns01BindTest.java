package dev.zonekeeper.e2e.scenario;

import dev.zonekeeper.testing.BindServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * The ACME DNS-01 cases of {@link AcmeDns01Cases} against BIND 9 ({@code named}), each client's key granted the
 * challenge names ({@code update-policy}): the reference that the CA, the clients and the cases themselves are right.
 */
class AcmeDns01BindTest extends AcmeDns01Cases {

    @Override
    DnsUnderTest startDns(Path dir) {
        BindServer.Builder builder = BindServer.builder();
        StringBuilder policy = new StringBuilder();
        for (Client client : Client.values()) {
            builder.key(client.keyName, client.algorithm, secrets.get(client));
            for (String name : CHALLENGE_NAMES) {
                policy.append("grant ")
                        .append(client.keyName)
                        .append(" name ")
                        .append(name)
                        .append(". TXT; ");
            }
        }
        builder.key(example.keyName(), example.algorithm(), example.secret());
        policy.append(example.bindGrants());
        BindServer bind = builder.zone(ZONE, """
                        $TTL 60
                        @   IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60
                        @   IN NS  ns1.example.test.
                        ns1 IN A   127.0.0.1
                        www IN A   127.0.0.1
                        """, policy.toString().strip()).start();
        return new DnsUnderTest() {
            @Override
            public InetSocketAddress address() {
                return bind.address();
            }

            @Override
            public String log() {
                return bind.log();
            }

            @Override
            public void close() {
                bind.close();
            }
        };
    }
}
