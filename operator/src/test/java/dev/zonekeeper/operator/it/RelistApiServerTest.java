package dev.zonekeeper.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.transfer.JournaledZone;
import dev.zonekeeper.dns.transfer.PrimaryZones;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.operator.discovery.ClusterZoneBuilder;
import dev.zonekeeper.operator.informers.ClusterInformers;
import dev.zonekeeper.operator.zone.ProgrammingLatency;
import dev.zonekeeper.operator.zone.ZonePublisher;
import dev.zonekeeper.testing.TcpRelay;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * Issue 13 point 6: after an outage long enough that the informers' last version is gone (etcd compacted it; the
 * watch cache is off, so a watch from it fails with 410 Gone), the informers list everything again. No zone version
 * published while that relist is under way lacks an object that existed before and after the outage: every version
 * in the zone's journal is replayed and checked, and the last one holds the changes made meanwhile.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
@ExtendWith(RequiresControlPlane.class)
class RelistApiServerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Name CLUSTER = Name.fromConstantString("cluster.local.");
    private static final String NS = "relist";

    @Test
    void noZoneVersionPublishedDuringARelistLacksAnObjectThatExists() throws Exception {
        try (ControlPlane controlPlane =
                        ControlPlane.start(List.of("--watch-cache=false", "--etcd-compaction-interval=2s"));
                KubernetesClient client = new KubernetesClientBuilder()
                        .withConfig(Config.fromKubeconfig(controlPlane.kubeConfigYaml()))
                        .build()) {
            client.namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(NS)
                            .endMetadata()
                            .build())
                    .create();
            for (int i = 0; i < 40; i++) {
                service("keep-" + i, client);
            }
            for (int i = 0; i < 10; i++) {
                service("gone-" + i, client);
            }
            Config relayed = Config.fromKubeconfig(controlPlane.kubeConfigYaml());
            URI real = URI.create(relayed.getMasterUrl());
            InetSocketAddress api = new InetSocketAddress(real.getHost(), real.getPort());
            int port = TcpRelay.freePort();
            relayed.setMasterUrl("https://127.0.0.1:" + port + "/");
            relayed.setRequestRetryBackoffLimit(0);
            PrimaryZones zones = new PrimaryZones();
            ZonePublisher publisher = new ZonePublisher(
                    ZoneSettings.parse("cluster.local", List.of(), Map.of()),
                    new ClusterZoneBuilder("cluster.local", 5, List.of()),
                    zones,
                    new ProgrammingLatency(new SimpleMeterRegistry()));
            TcpRelay relay = new TcpRelay(port, api);
            try (KubernetesClient cut =
                            new KubernetesClientBuilder().withConfig(relayed).build();
                    ClusterInformers informers = new ClusterInformers(cut, publisher, null, false)) {
                informers.start().toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                await().atMost(TIMEOUT)
                        .until(() -> names(zones.get(CLUSTER).zone()).containsAll(expected("keep-", 40))
                                && names(zones.get(CLUSTER).zone()).containsAll(expected("gone-", 10)));

                // the outage; meanwhile Services go and come, and etcd compacts past the informers' last version
                String before =
                        client.services().inAnyNamespace().list().getMetadata().getResourceVersion();
                relay.close();
                JournaledZone atCut = zones.get(CLUSTER);
                for (int i = 0; i < 10; i++) {
                    client.services().inNamespace(NS).withName("gone-" + i).delete();
                    service("new-" + i, client);
                }
                await("etcd compacted past version " + before)
                        .atMost(TIMEOUT)
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> gone(client, before));

                relay = new TcpRelay(port, api);
                await().atMost(TIMEOUT).until(() -> {
                    Set<String> now = names(zones.get(CLUSTER).zone());
                    return now.containsAll(expected("new-", 10)) && now.stream().noneMatch(n -> n.startsWith("gone-"));
                });

                // every version from the one served at the cut to the last: none lacks a Service that was never deleted
                List<JournaledZone.Diff> diffs =
                        zones.get(CLUSTER).diffsSince(atCut.serial()).orElseThrow();
                assertThat(diffs).isNotEmpty();
                Zone version = atCut.zone();
                for (JournaledZone.Diff diff : diffs) {
                    version = version.apply(diff.removed(), diff.added());
                    assertThat(names(version))
                            .as("zone at serial %d", diff.to().getSerial())
                            .containsAll(expected("keep-", 40));
                }
                assertThat(names(version)).containsAll(expected("new-", 10)).noneMatch(n -> n.startsWith("gone-"));
                // it was a relist, not a resumed watch (which would interleave the deletions with the creations, as
                // they
                // happened): every new Service arrived before the first deletion, applied once the whole list was read
                int lastAdded = -1;
                int firstRemoved = Integer.MAX_VALUE;
                for (int i = 0; i < diffs.size(); i++) {
                    if (diffs.get(i).added().stream()
                            .anyMatch(r -> r.getType() == Type.A
                                    && r.getName().toString().startsWith("new-"))) {
                        lastAdded = i;
                    }
                    if (firstRemoved == Integer.MAX_VALUE
                            && diffs.get(i).removed().stream()
                                    .anyMatch(r -> r.getType() == Type.A
                                            && r.getName().toString().startsWith("gone-"))) {
                        firstRemoved = i;
                    }
                }
                assertThat(lastAdded)
                        .as("last creation before the first deletion")
                        .isLessThan(firstRemoved);
            } finally {
                relay.close();
            }
        }
    }

    private static void service(String name, KubernetesClient client) {
        client.services()
                .inNamespace(NS)
                .resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .withNewSpec()
                        .addNewPort()
                        .withName("http")
                        .withPort(80)
                        .endPort()
                        .endSpec()
                        .build())
                .create();
    }

    /** Whether a watch from {@code version} is refused as too old (410 Gone): etcd compacted past it. */
    private static boolean gone(KubernetesClient client, String version) throws Exception {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        try (Watch watch = client.services()
                .inNamespace(NS)
                .withResourceVersion(version)
                .watch(new Watcher<Service>() {
                    @Override
                    public void eventReceived(Action action, Service resource) {
                        // events from a version still kept: not compacted yet
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                        result.complete(cause.isHttpGone());
                    }

                    @Override
                    public boolean reconnecting() {
                        return false;
                    }
                })) {
            return result.get(3, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return false; // the watch runs: the version is still there
        }
    }

    private static List<String> expected(String prefix, int n) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add(prefix + i);
        }
        return names;
    }

    /** The Services with an A record in the zone. */
    private static Set<String> names(Zone zone) {
        Set<String> out = new TreeSet<>();
        for (org.xbill.DNS.Record r : zone.records()) {
            String name = r.getName().toString();
            if (r.getType() == Type.A && name.endsWith("." + NS + ".svc.cluster.local.")) {
                out.add(name.substring(0, name.indexOf('.')));
            }
        }
        return out;
    }
}
