package dev.zonekeeper.operator.informers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.transfer.PrimaryZones;
import dev.zonekeeper.dns.transfer.TransferServer;
import dev.zonekeeper.dns.transfer.TsigKeyFile;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.operator.discovery.ClusterZoneBuilder;
import dev.zonekeeper.operator.discovery.EndpointSliceInfo;
import dev.zonekeeper.operator.zone.ProgrammingLatency;
import dev.zonekeeper.operator.zone.ZonePublisher;
import dev.zonekeeper.testing.KubeApiServer;
import dev.zonekeeper.testing.TcpRelay;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xbill.DNS.Name;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.ZoneTransferIn;

/**
 * The whole data path against a real kube-apiserver: objects created with the Fabric8 client, informers, the
 * publisher and the TSIG-protected transfer server in-process, and dnsjava's ZoneTransferIn as the secondary.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterPipelineApiServerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final TSIG KEY =
            TsigKeyFile.parse("zonekeeper-transfer:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXM=");
    private static final Name CLUSTER = Name.fromConstantString("cluster.local.");
    private static final Name IN_ADDR = Name.fromConstantString("in-addr.arpa.");

    private KubeApiServer apiServer;
    private KubernetesClient client;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ProgrammingLatency latency = new ProgrammingLatency(meters);
    private final PrimaryZones zones = new PrimaryZones();
    private ZonePublisher publisher;
    private TransferServer server;
    private ClusterInformers informers;
    private String apiClusterIp;

    @BeforeAll
    void start() throws Exception {
        apiServer = KubeApiServer.start();
        client = apiServer.client();
        client.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("shop")
                        .endMetadata()
                        .build())
                .create();
        // no controller-manager here: the ServiceAccount admission plugin needs the default account to exist
        client.serviceAccounts()
                .inNamespace("shop")
                .resource(new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName("default")
                        .endMetadata()
                        .build())
                .create();

        Service api = client.services()
                .inNamespace("shop")
                .resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withName("api")
                        .endMetadata()
                        .withNewSpec()
                        .addNewPort()
                        .withName("http")
                        .withPort(80)
                        .endPort()
                        .withSelector(Map.of("app", "api"))
                        .endSpec()
                        .build())
                .create();
        apiClusterIp = api.getSpec().getClusterIP();
        client.services()
                .inNamespace("shop")
                .resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withName("pg")
                        .endMetadata()
                        .withNewSpec()
                        .withClusterIP("None")
                        .addNewPort()
                        .withName("pg")
                        .withPort(5432)
                        .endPort()
                        .endSpec()
                        .build())
                .create();
        client.discovery()
                .v1()
                .endpointSlices()
                .inNamespace("shop")
                .resource(new EndpointSliceBuilder()
                        .withNewMetadata()
                        .withName("pg-1")
                        .addToLabels(EndpointSliceInfo.SERVICE_NAME_LABEL, "pg")
                        .endMetadata()
                        .withAddressType("IPv4")
                        .addNewEndpoint()
                        .withAddresses("10.1.0.5")
                        .withHostname("pg-0")
                        .withNewConditions()
                        .withReady(true)
                        .endConditions()
                        .endEndpoint()
                        .addNewPort()
                        .withName("pg")
                        .withProtocol("TCP")
                        .withPort(5432)
                        .endPort()
                        .build())
                .create();
        Pod pod = client.pods()
                .inNamespace("shop")
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("api-1")
                        .addToLabels("app", "api")
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("api")
                        .withImage("example/api:1")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        pod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                .withPhase("Running")
                .withPodIP("10.1.0.7")
                .addNewPodIP()
                .withIp("10.1.0.7")
                .endPodIP()
                .build());
        client.pods().inNamespace("shop").resource(pod).updateStatus();

        publisher = new ZonePublisher(
                ZoneSettings.parse("cluster.local", List.of(), Map.of()),
                new ClusterZoneBuilder("cluster.local", 5, List.of()),
                zones,
                latency);
        server = TransferServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), zones, KEY);
        server.addServedListener(latency::served);
        informers = new ClusterInformers(client, publisher);
        informers.start();
    }

    @AfterAll
    void stop() {
        if (informers != null) {
            informers.close();
        }
        if (server != null) {
            server.close();
        }
        if (apiServer != null) {
            apiServer.close();
        }
    }

    private List<org.xbill.DNS.Record> axfr(Name zone) throws Exception {
        ZoneTransferIn xfr = ZoneTransferIn.newAXFR(
                zone, server.address().getHostString(), server.address().getPort(), KEY);
        xfr.setTimeout(Duration.ofSeconds(10));
        xfr.run();
        return xfr.getAXFR();
    }

    private ZoneTransferIn ixfr(Name zone, long serial) throws Exception {
        ZoneTransferIn xfr = ZoneTransferIn.newIXFR(
                zone,
                serial,
                false,
                server.address().getHostString(),
                server.address().getPort(),
                KEY);
        xfr.setTimeout(Duration.ofSeconds(10));
        xfr.run();
        return xfr;
    }

    private static TreeSet<String> lines(List<org.xbill.DNS.Record> records, int type) {
        TreeSet<String> out = new TreeSet<>();
        for (org.xbill.DNS.Record r : records) {
            if (r.getType() == type) {
                out.add(r.getName() + " " + r.rdataToString());
            }
        }
        return out;
    }

    @Test
    void clusterObjectsReachTheSecondaryByAxfrAndChangesByIxfr() throws Exception {
        await().atMost(TIMEOUT).until(() -> informers.synced() && publisher.published());

        List<org.xbill.DNS.Record> cluster = axfr(CLUSTER);
        assertThat(lines(cluster, Type.A))
                .contains(
                        "api.shop.svc.cluster.local. " + apiClusterIp,
                        "pg.shop.svc.cluster.local. 10.1.0.5",
                        "pg-0.pg.shop.svc.cluster.local. 10.1.0.5",
                        "10-1-0-7.shop.pod.cluster.local. 10.1.0.7");
        assertThat(lines(cluster, Type.SRV))
                .contains(
                        "_http._tcp.api.shop.svc.cluster.local. 0 100 80 api.shop.svc.cluster.local.",
                        "_pg._tcp.pg.shop.svc.cluster.local. 0 100 5432 pg-0.pg.shop.svc.cluster.local.");
        // the API server's own "kubernetes" Service in "default" is there too
        assertThat(lines(cluster, Type.A)).anyMatch(l -> l.startsWith("kubernetes.default.svc.cluster.local. "));
        List<org.xbill.DNS.Record> reverse = axfr(IN_ADDR);
        assertThat(lines(reverse, Type.PTR))
                .contains(
                        ReverseMap.fromAddress(apiClusterIp) + " api.shop.svc.cluster.local.",
                        "5.0.1.10.in-addr.arpa. pg-0.pg.shop.svc.cluster.local.");

        long before = zones.get(CLUSTER).serial();
        // first a change DNS does not care about, then a new port: only the port shows up, as one change
        client.services()
                .inNamespace("shop")
                .withName("api")
                .edit(s -> new ServiceBuilder(s)
                        .editMetadata()
                        .addToLabels("team", "checkout")
                        .addToAnnotations("note", "irrelevant")
                        .endMetadata()
                        .build());
        client.services()
                .inNamespace("shop")
                .withName("api")
                .edit(s -> new ServiceBuilder(s)
                        .editSpec()
                        .addNewPort()
                        .withName("grpc")
                        .withPort(9090)
                        .endPort()
                        .endSpec()
                        .build());
        await().atMost(TIMEOUT).until(() -> zones.get(CLUSTER).serial() != before);
        assertThat(zones.get(CLUSTER).diffsSince(before).orElseThrow()).hasSize(1);

        ZoneTransferIn update = ixfr(CLUSTER, before);
        assertThat(update.isAXFR()).as("incremental").isFalse();
        assertThat(update.getIXFR()).hasSize(1);
        ZoneTransferIn.Delta delta = update.getIXFR().get(0);
        assertThat(lines(delta.adds, Type.SRV))
                .contains("_grpc._tcp.api.shop.svc.cluster.local. 0 100 9090 api.shop.svc.cluster.local.");
        // the server records the latency once it has flushed the transfer, which may be just after the client read it
        await().atMost(TIMEOUT)
                .untilAsserted(() -> assertThat(
                                latency.timer(ProgrammingLatency.Kind.Service).count())
                        .isEqualTo(1));

        long beforeDelete = zones.get(CLUSTER).serial();
        client.services().inNamespace("shop").withName("api").delete();
        client.pods().inNamespace("shop").withName("api-1").withGracePeriod(0).delete();
        await().atMost(TIMEOUT).until(() -> {
            org.xbill.DNS.Record podA = org.xbill.DNS.Record.newRecord(
                    Name.fromConstantString("10-1-0-7.shop.pod.cluster.local."), Type.A, org.xbill.DNS.DClass.IN);
            return zones.get(CLUSTER)
                            .zone()
                            .rrset(Name.fromConstantString("api.shop.svc.cluster.local."), Type.A)
                            .isEmpty()
                    && zones.get(CLUSTER).zone().rrset(podA.getName(), Type.A).isEmpty();
        });
        ZoneTransferIn gone = ixfr(CLUSTER, beforeDelete);
        assertThat(gone.isAXFR()).as("incremental").isFalse();
        TreeSet<String> deleted = new TreeSet<>();
        for (ZoneTransferIn.Delta d : gone.getIXFR()) {
            deleted.addAll(lines(d.deletes, Type.A));
        }
        assertThat(deleted)
                .containsExactlyInAnyOrder(
                        "api.shop.svc.cluster.local. " + apiClusterIp, "10-1-0-7.shop.pod.cluster.local. 10.1.0.7");
        assertThat(lines(axfr(IN_ADDR), Type.PTR))
                .doesNotContain(ReverseMap.fromAddress(apiClusterIp) + " api.shop.svc.cluster.local.");
    }

    /**
     * {@code zonekeeper.pods=disabled}: no Pod is watched and no pod record is published, while Services and headless
     * Services (from EndpointSlices) are served as before. The pipeline with pods (the class's) shows the same pod, so
     * the pod is there to be seen.
     */
    @Test
    void withPodsDisabledNoPodIsWatchedAndServicesAreStillServed() throws Exception {
        Pod web = client.pods()
                .inNamespace("shop")
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName("web-1")
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("web")
                        .withImage("example/web:1")
                        .endContainer()
                        .endSpec()
                        .build())
                .create();
        web.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                .withPhase("Running")
                .withPodIP("10.1.0.9")
                .addNewPodIP()
                .withIp("10.1.0.9")
                .endPodIP()
                .build());
        client.pods().inNamespace("shop").resource(web).updateStatus();
        Name webPod = Name.fromConstantString("10-1-0-9.shop.pod.cluster.local.");
        await().atMost(TIMEOUT)
                .until(() -> zones.get(CLUSTER) != null
                        && !zones.get(CLUSTER).zone().rrset(webPod, Type.A).isEmpty());

        PrimaryZones noPodZones = new PrimaryZones();
        ZonePublisher noPodPublisher = new ZonePublisher(
                ZoneSettings.parse("cluster.local", List.of(), Map.of()),
                new ClusterZoneBuilder("cluster.local", 5, List.of()),
                noPodZones,
                new ProgrammingLatency(new SimpleMeterRegistry()));
        try (ClusterInformers noPods = new ClusterInformers(client, noPodPublisher, null, false)) {
            noPods.start();
            await().atMost(TIMEOUT).until(() -> noPods.synced() && noPodPublisher.published());
            assertThat(noPods.summary()).doesNotContain("Pod");
            List<org.xbill.DNS.Record> cluster = noPodZones.get(CLUSTER).zone().records();
            assertThat(lines(cluster, Type.A))
                    .contains("pg.shop.svc.cluster.local. 10.1.0.5", "pg-0.pg.shop.svc.cluster.local. 10.1.0.5")
                    .noneMatch(l -> l.contains(".pod.cluster.local."));
            assertThat(lines(cluster, Type.SRV))
                    .contains("_pg._tcp.pg.shop.svc.cluster.local. 0 100 5432 pg-0.pg.shop.svc.cluster.local.");
        }
    }

    /**
     * The operator may start while the API server cannot be reached (it is restarting, the network is not up yet): the
     * informers' first list fails, and they must keep trying until it succeeds, then publish the zones. Fabric8's
     * default gives up for good after the first failure, which would leave the zones unpublished forever. Here the
     * informers first talk to a port where nothing listens; a few seconds later a TCP relay to the real API server opens
     * on that port.
     */
    @Test
    void informersStartedBeforeTheApiServerIsReachableSyncOnceItIs() throws Exception {
        int port = TcpRelay.freePort(); // free now; nothing listens on it until the relay opens
        Config config = apiServer.config();
        URI real = URI.create(config.getMasterUrl());
        config.setMasterUrl("https://127.0.0.1:" + port + "/");
        // no retries inside the HTTP client (it retries a refused connection up to 10 times, 100 ms doubling): each
        // failed list reaches the informers' exception handler at once, as a longer outage does in production
        config.setRequestRetryBackoffLimit(0);
        PrimaryZones lateZones = new PrimaryZones();
        ZonePublisher latePublisher = new ZonePublisher(
                ZoneSettings.parse("cluster.local", List.of(), Map.of()),
                new ClusterZoneBuilder("cluster.local", 5, List.of()),
                lateZones,
                new ProgrammingLatency(new SimpleMeterRegistry()));
        try (KubernetesClient lateClient =
                        new KubernetesClientBuilder().withConfig(config).build();
                ClusterInformers late = new ClusterInformers(lateClient, latePublisher, null, true)) {
            CompletionStage<Void> started = late.start();
            Thread.sleep(3000); // several failed lists
            assertThat(late.synced()).isFalse();
            assertThat(latePublisher.published()).isFalse();
            assertThat(lateZones.get(CLUSTER))
                    .as("nothing is served before the first complete list")
                    .isNull();
            try (TcpRelay relay = new TcpRelay(port, new InetSocketAddress(real.getHost(), real.getPort()))) {
                // the stage completes once every informer has listed and the zones were published
                started.toCompletableFuture().get(TIMEOUT.toSeconds() + 60, TimeUnit.SECONDS);
                assertThat(late.synced()).isTrue();
                assertThat(latePublisher.published()).isTrue();
                // the same records as the class's pipeline, which started with the API server up (other tests change
                // the
                // objects, so compare with it rather than with a fixed list)
                await().atMost(TIMEOUT).untilAsserted(() -> {
                    List<org.xbill.DNS.Record> published =
                            lateZones.get(CLUSTER).zone().records();
                    List<org.xbill.DNS.Record> reference =
                            zones.get(CLUSTER).zone().records();
                    for (int type : new int[] {Type.A, Type.SRV, Type.PTR}) {
                        assertThat(lines(published, type)).isEqualTo(lines(reference, type));
                    }
                    assertThat(lines(published, Type.A)).contains("pg.shop.svc.cluster.local. 10.1.0.5");
                });
                assertThat(relay.connections()).isPositive();
            }
        }
    }
}
