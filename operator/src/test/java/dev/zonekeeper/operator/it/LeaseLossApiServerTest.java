package dev.zonekeeper.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.transfer.TsigKeyFile;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordSpec;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordStatus;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.testing.TcpRelay;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.ZoneTransferIn;

/**
 * Issue 13 point 6 with two replicas: the Lease holder loses its way to the API server for longer than the Lease. It
 * keeps running and serving its zones, stops writing status before the other replica takes the Lease, and when it
 * can reach the API server again it catches up with the changes made meanwhile and still writes nothing: one writer.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
@ExtendWith(RequiresControlPlane.class)
class LeaseLossApiServerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final String LEASE = "zonekeeper-lease-loss";
    private static final TSIG KEY =
            TsigKeyFile.parse("zonekeeper-transfer:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXM=");
    private static final Name EXAMPLE = Name.fromConstantString("example.com.");

    @Test
    void aReplicaCutOffFromTheApiServerStopsWritingKeepsServingAndCatchesUp() throws Exception {
        try (ControlPlane controlPlane = ControlPlane.start();
                KubernetesClient client = new KubernetesClientBuilder()
                        .withConfig(Config.fromKubeconfig(controlPlane.kubeConfigYaml()))
                        .build()) {
            ControlPlane.applyCrd(client);
            client.namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName("team")
                            .endMetadata()
                            .build())
                    .create();
            ZoneSettings settings =
                    ZoneSettings.parse("cluster.local", List.of("example.com"), Map.of("example.com", "*"));
            Config relayed = Config.fromKubeconfig(controlPlane.kubeConfigYaml());
            URI real = URI.create(relayed.getMasterUrl());
            InetSocketAddress api = new InetSocketAddress(real.getHost(), real.getPort());
            int port = TcpRelay.freePort();
            relayed.setMasterUrl("https://127.0.0.1:" + port + "/");
            TcpRelay relay = new TcpRelay(port, api);
            try (KubernetesClient cutClient =
                            new KubernetesClientBuilder().withConfig(relayed).build();
                    Replica a = new Replica(cutClient, settings, "replica-a", LEASE, KEY)) {
                a.start();
                await("replica-a holds the Lease")
                        .atMost(TIMEOUT)
                        .until(() -> holder(client), h -> h.equals("replica-a"));
                try (Replica b = new Replica(client, settings, "replica-b", LEASE, KEY).start()) {
                    client.resource(record("first", "192.0.2.1")).create();
                    await().atMost(TIMEOUT).until(() -> ready(client, "first", 1L));
                    assertThat(a.statusWrites()).isPositive();

                    // replica-a is cut off: replica-b takes the Lease once it expires; replica-a has stopped writing by
                    // then
                    relay.close();
                    TreeSet<String> before = lines(a);
                    await("replica-b takes the Lease")
                            .atMost(TIMEOUT)
                            .until(() -> holder(client), h -> h.equals("replica-b"));
                    assertThat(a.leadership.isLeader()).isFalse();
                    long writesByA = a.statusWrites();
                    client.resource(record("second", "192.0.2.2")).create();
                    await().atMost(TIMEOUT).until(() -> ready(client, "second", 1L));
                    assertThat(lines(a)).as("replica-a serves what it had").isEqualTo(before);

                    // replica-a reaches the API server again: it serves the change, and writes nothing (replica-b does)
                    relay = new TcpRelay(port, api);
                    await().atMost(TIMEOUT)
                            .untilAsserted(() -> assertThat(lines(a)).contains("second.example.com. 192.0.2.2"));
                    DnsRecord second = client.resources(DnsRecord.class)
                            .inNamespace("team")
                            .withName("second")
                            .get();
                    second.getSpec().setValues(List.of("192.0.2.22"));
                    second.getMetadata().setResourceVersion(null);
                    client.resource(second).update();
                    await().atMost(TIMEOUT).until(() -> ready(client, "second", 2L));
                    await().atMost(TIMEOUT).untilAsserted(() -> {
                        assertThat(lines(a)).contains("second.example.com. 192.0.2.22");
                        assertThat(client.resources(DnsRecord.class)
                                        .inNamespace("team")
                                        .withName("second")
                                        .get()
                                        .getStatus()
                                        .getServedSerial())
                                .isEqualTo(b.publisher
                                        .servedSerial("team", "second")
                                        .orElseThrow());
                    });
                    assertThat(holder(client)).isEqualTo("replica-b");
                    assertThat(a.statusWrites())
                            .as("status writes by replica-a since it lost the Lease")
                            .isEqualTo(writesByA);
                    assertThat(b.statusWrites()).isPositive();
                }
            } finally {
                relay.close();
            }
        }
    }

    private static String holder(KubernetesClient client) {
        Lease lease = client.leases().inNamespace("default").withName(LEASE).get();
        return lease == null || lease.getSpec().getHolderIdentity() == null
                ? ""
                : lease.getSpec().getHolderIdentity();
    }

    private static boolean ready(KubernetesClient client, String name, long generation) {
        return Optional.ofNullable(client.resources(DnsRecord.class)
                        .inNamespace("team")
                        .withName(name)
                        .get())
                .map(DnsRecord::getStatus)
                .flatMap(s -> s.condition(DnsRecordStatus.READY))
                .filter(c ->
                        "True".equals(c.getStatus()) && Long.valueOf(generation).equals(c.getObservedGeneration()))
                .isPresent();
    }

    /** "name rdata" of the A records of example.com, by AXFR from the replica's transfer server. */
    private static TreeSet<String> lines(Replica replica) throws Exception {
        ZoneTransferIn xfr = ZoneTransferIn.newAXFR(
                EXAMPLE,
                replica.transferAddress().getHostString(),
                replica.transferAddress().getPort(),
                KEY);
        xfr.setTimeout(Duration.ofSeconds(10));
        xfr.run();
        TreeSet<String> out = new TreeSet<>();
        for (org.xbill.DNS.Record r : xfr.getAXFR()) {
            if (r.getType() == Type.A) {
                out.add(r.getName() + " " + r.rdataToString());
            }
        }
        return out;
    }

    private static DnsRecord record(String name, String value) {
        DnsRecord record = new DnsRecord();
        record.setMetadata(
                new ObjectMetaBuilder().withNamespace("team").withName(name).build());
        record.setSpec(new DnsRecordSpec(name + ".example.com", DnsRecordType.A, null, List.of(value)));
        return record;
    }
}
