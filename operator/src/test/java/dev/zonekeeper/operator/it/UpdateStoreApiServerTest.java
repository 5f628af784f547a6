package dev.zonekeeper.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.transfer.TransferServer;
import dev.zonekeeper.dns.transfer.TsigKeyFile;
import dev.zonekeeper.dns.update.ChangeSet;
import dev.zonekeeper.dns.update.Grant;
import dev.zonekeeper.dns.update.UpdateOutcome;
import dev.zonekeeper.dns.update.UpdatePolicy;
import dev.zonekeeper.dns.update.UpdateResult;
import dev.zonekeeper.dns.update.UpdateService;
import dev.zonekeeper.dns.update.UpdateStore;
import dev.zonekeeper.dns.update.UpdateStore.Conflict;
import dev.zonekeeper.dns.update.UpdateStore.UpdateStoreException;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.operator.updates.KubernetesUpdateStore;
import dev.zonekeeper.operator.updates.UpdateObjects;
import dev.zonekeeper.testing.TcpRelay;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;
import org.xbill.DNS.ZoneTransferIn;

/**
 * The operator's update store against a real kube-apiserver: accepted updates become labelled DnsRecords, answered
 * once served; ownership refusals; optimistic concurrency between two replicas with their own informers; all or
 * nothing when a later write of an update fails, when the API server goes away mid-update, and when the operator dies
 * between two writes (the client's retry converges).
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(RequiresControlPlane.class)
class UpdateStoreApiServerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String NS = "certs";
    private static final Name ZONE = Name.fromConstantString("example.test.");
    private static final Name KEY_NAME = Name.fromConstantString("acme-key.");
    private static final String KEY_TEXT = "acme-key:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXM=";
    private static final TSIG KEY = TsigKeyFile.parse(KEY_TEXT);
    private static final UpdatePolicy POLICY = new UpdatePolicy(
            NS, "acme", ZONE, KEY_NAME, KEY, List.of(new Grant(Grant.Match.SUBDOMAIN, ZONE, Set.of())));
    private static final KubernetesUpdateStore.Options OPTIONS = KubernetesUpdateStore.Options.DEFAULT;

    private ControlPlane controlPlane;
    private Config direct;
    private KubernetesClient client;
    private ZoneSettings settings;
    private UpdateNode node;

    @BeforeAll
    void start() throws Exception {
        controlPlane = ControlPlane.start();
        direct = Config.fromKubeconfig(controlPlane.kubeConfigYaml());
        client = new KubernetesClientBuilder().withConfig(direct).build();
        ControlPlane.applyCrd(client);
        controlPlane.kubectl("create", "namespace", NS);
        controlPlane.kubectl("create", "namespace", "other");
        settings = ZoneSettings.parse(
                "cluster.local",
                List.of("example.test", "locked.test"),
                Map.of("example.test", "*", "locked.test", "other"));
        node = new UpdateNode(direct, direct, settings, OPTIONS).start();
    }

    @AfterAll
    void stop() throws Exception {
        // closed in reverse order; a null one (start failed before it) is skipped
        try (ControlPlane c = controlPlane;
                KubernetesClient k = client;
                UpdateNode n = node) {
            // nothing else to do
        }
    }

    @Test
    void anUpdateBecomesOneLabelledDnsRecordPerRRsetServedWhenCommitReturns() throws Exception {
        Name acme = name("_acme-challenge.www.example.test.");
        Name host = name("host.example.test.");
        commit(
                node,
                List.of(txt(acme, 60, "token-one"), txt(acme, 60, "token two"), a(host, 30, "192.0.2.7")),
                List.of());

        // served the moment commit returns: no waiting here
        assertThat(values(node.zone(ZONE).rrset(acme, Type.TXT))).containsExactlyInAnyOrder("token-one", "token two");
        assertThat(values(node.zone(ZONE).rrset(host, Type.A))).containsExactly("192.0.2.7");
        List<DnsRecord> written = writtenByUpdates().stream()
                .filter(r -> Set.of("_acme-challenge.www.example.test", "host.example.test")
                        .contains(r.getSpec().getName()))
                .toList();
        assertThat(written).as("one DnsRecord per RRset, labelled").hasSize(2);
        DnsRecord txt = object(acme, Type.TXT).orElseThrow();
        assertThat(txt.getMetadata().getName()).matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
        assertThat(txt.getMetadata().getName()).startsWith("acme-challenge-www-example-test-txt-");
        assertThat(txt.getMetadata().getLabels())
                .containsEntry(UpdateObjects.WRITTEN_BY_LABEL, "dns-update")
                .containsEntry(UpdateObjects.KEY_LABEL, "acme-key");
        assertThat(txt.getMetadata().getAnnotations()).containsEntry(UpdateObjects.POLICY_ANNOTATION, "acme");
        assertThat(txt.getSpec().getName()).isEqualTo("_acme-challenge.www.example.test");
        assertThat(txt.getSpec().getType()).isEqualTo(DnsRecordType.TXT);
        assertThat(txt.getSpec().getTtl()).isEqualTo(60);
        assertThat(texts(txt)).containsExactlyInAnyOrder("token-one", "token two");
        // as core's RecordValues writes them (standalone mode's files hold the same text)
        assertThat(txt.getSpec().getValues()).containsExactlyInAnyOrder("\"token-one\"", "\"token two\"");
        // kubectl shows what the client wrote
        assertThat(controlPlane.kubectl(
                        "get", "dnsrecords", "-n", NS, "-l", UpdateObjects.WRITTEN_BY_LABEL + "=dns-update"))
                .contains(txt.getMetadata().getName())
                .contains(object(host, Type.A).orElseThrow().getMetadata().getName());

        // cleaning one value up leaves the other
        commit(node, List.of(), List.of(txt(acme, 60, "token-one")));
        assertThat(values(node.zone(ZONE).rrset(acme, Type.TXT))).containsExactly("token two");
        assertThat(texts(object(acme, Type.TXT).orElseThrow())).containsExactly("token two");

        // the last value gone: the DnsRecord is deleted
        commit(node, List.of(), List.of(txt(acme, 60, "token two"), a(host, 30, "192.0.2.7")));
        assertThat(node.zone(ZONE).rrset(acme, Type.TXT)).isEmpty();
        assertThat(node.zone(ZONE).rrset(host, Type.A)).isEmpty();
        assertThat(object(acme, Type.TXT)).isEmpty();
        assertThat(object(host, Type.A)).isEmpty();
    }

    @Test
    void namesTheClusterGeneratesOrOthersHoldAreRefused() throws Exception {
        Name foreign = name("foreign.example.test.");
        Name manual = name("manual.example.test.");
        client.resource(ControlPlane.dnsRecord(
                        "other", "foreign", "foreign.example.test", DnsRecordType.A, "192.0.2.1"))
                .create();
        client.resource(ControlPlane.dnsRecord(NS, "manual", "manual.example.test", DnsRecordType.TXT, "by hand"))
                .create();
        client.resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withNamespace(NS)
                        .withName("web")
                        .endMetadata()
                        .withNewSpec()
                        .withClusterIP("None")
                        .addNewPort()
                        .withPort(80)
                        .endPort()
                        .endSpec()
                        .build())
                .create();
        await().atMost(TIMEOUT)
                .until(() -> !node.zone(ZONE).rrset(manual, Type.TXT).isEmpty()
                        && !node.zone(ZONE).rrset(foreign, Type.A).isEmpty()
                        && node.publisher
                                .serviceOwning(name("web.certs.svc.cluster.local."))
                                .isPresent());

        UpdateStore store = node.store;
        assertThat(reason(store.ownership(POLICY, foreign, Type.TXT)))
                .as("another namespace holds the name, whatever the type")
                .isEqualTo(UpdateResult.OWNED_ELSEWHERE);
        assertThat(reason(store.ownership(POLICY, manual, Type.TXT)))
                .as("a DnsRecord of the same namespace no update wrote")
                .isEqualTo(UpdateResult.OWNED_ELSEWHERE);
        assertThat(store.ownership(POLICY, manual, Type.A))
                .as("another type beside it is fine")
                .isEmpty();
        assertThat(reason(store.ownership(POLICY, name("web.certs.svc.cluster.local."), Type.TXT)))
                .isEqualTo(UpdateResult.GENERATED_NAME);
        assertThat(reason(store.ownership(POLICY, name("_x.web.certs.svc.cluster.local."), Type.TXT)))
                .as("below a Service's name")
                .isEqualTo(UpdateResult.GENERATED_NAME);
        assertThat(reason(store.ownership(POLICY, name("10-1-0-5.default.pod.cluster.local."), Type.A)))
                .isEqualTo(UpdateResult.GENERATED_NAME);
        assertThat(reason(store.ownership(POLICY, name("x.other.svc.cluster.local."), Type.TXT)))
                .as("another namespace's part of the cluster domain")
                .isEqualTo(UpdateResult.GENERATED_NAME);
        assertThat(store.ownership(POLICY, name("mine.certs.svc.cluster.local."), Type.TXT))
                .as("its own namespace's part of the cluster domain")
                .isEmpty();
        assertThat(reason(store.ownership(POLICY, ZONE, Type.NS))).isEqualTo(UpdateResult.GENERATED_NAME);
        assertThat(reason(store.ownership(POLICY, ZONE, Type.SOA))).isEqualTo(UpdateResult.GENERATED_NAME);
        assertThat(store.ownership(POLICY, ZONE, Type.TXT)).isEmpty();
        assertThat(reason(store.ownership(POLICY, name("x.example.test."), Type.HINFO)))
                .isEqualTo(UpdateResult.UNSUPPORTED);
        assertThat(reason(store.ownership(POLICY, name("x.locked.test."), Type.TXT)))
                .as("a zone the namespace may not write")
                .isEqualTo(UpdateResult.ZONE_NOT_ALLOWED);
        assertThat(store.ownership(POLICY, name("_acme-challenge.fresh.example.test."), Type.TXT))
                .isEmpty();
    }

    @Test
    void aChangeEvaluatedOnAStaleRRsetIsAConflictAndWritesNothing() throws Exception {
        Name stale = name("stale.example.test.");
        commit(node, List.of(txt(stale, 30, "first")), List.of());
        ChangeSet old = UpdateNode.evaluate(node.zone(ZONE), List.of(txt(stale, 30, "mine")), List.of());
        commit(node, List.of(txt(stale, 30, "second")), List.of()); // another writer, after the evaluation
        assertThatThrownBy(() -> node.store.commit(POLICY, old)).isInstanceOf(Conflict.class);
        assertThat(texts(object(stale, Type.TXT).orElseThrow())).containsExactlyInAnyOrder("first", "second");
        assertThat(values(node.zone(ZONE).rrset(stale, Type.TXT))).containsExactlyInAnyOrder("first", "second");

        // what the store's deletes and undos rely on: a delete with an old resourceVersion is refused (409)
        DnsRecord current = object(stale, Type.TXT).orElseThrow();
        String older = Long.toString(Long.parseLong(current.getMetadata().getResourceVersion()) - 1);
        assertThatThrownBy(() -> client.resources(DnsRecord.class)
                        .inNamespace(NS)
                        .withName(current.getMetadata().getName())
                        .lockResourceVersion(older)
                        .delete())
                .isInstanceOfSatisfying(
                        io.fabric8.kubernetes.client.KubernetesClientException.class,
                        e -> assertThat(e.getCode()).isEqualTo(409));
        assertThat(object(stale, Type.TXT)).isPresent();
    }

    @Test
    void whenALaterWriteOfAnUpdateConflictsTheEarlierOnesAreUndone() throws Exception {
        Name first = name("first.example.test.");
        Name taken = name("taken.example.test.");
        // both RRsets absent when evaluated; then another writer creates the second before this update writes it
        ChangeSet both = UpdateNode.evaluate(
                node.zone(ZONE), List.of(a(first, 30, "192.0.2.1"), txt(taken, 30, "mine")), List.of());
        commit(node, List.of(txt(taken, 30, "theirs")), List.of());
        assertThatThrownBy(() -> node.store.commit(POLICY, both)).isInstanceOf(Conflict.class);
        assertThat(object(first, Type.A)).as("the first write was undone").isEmpty();
        assertThat(texts(object(taken, Type.TXT).orElseThrow())).containsExactly("theirs");
        await().atMost(TIMEOUT).until(() -> node.zone(ZONE).rrset(first, Type.A).isEmpty());

        // an update that changes one RRset and deletes another before its third write conflicts: both are put back
        Name changed = name("changed.example.test.");
        Name deleted = name("deleted.example.test.");
        Name late = name("late.example.test.");
        commit(node, List.of(txt(changed, 30, "kept"), a(deleted, 30, "192.0.2.4")), List.of());
        ChangeSet evaluated = UpdateNode.evaluate(
                node.zone(ZONE),
                List.of(txt(changed, 30, "added"), txt(late, 30, "mine")),
                List.of(a(deleted, 30, "192.0.2.4")));
        assertThat(evaluated.changes()).hasSize(3);
        List<ChangeSet.RRsetChange> lateLast = new ArrayList<>(evaluated.changes());
        lateLast.sort(java.util.Comparator.comparing(c -> c.name().equals(late)));
        ChangeSet three = new ChangeSet(ZONE, lateLast);
        commit(node, List.of(txt(late, 30, "theirs")), List.of());
        assertThatThrownBy(() -> node.store.commit(POLICY, three)).isInstanceOf(Conflict.class);
        assertThat(texts(object(changed, Type.TXT).orElseThrow())).containsExactly("kept");
        DnsRecord back = object(deleted, Type.A).orElseThrow();
        assertThat(back.getSpec().getValues()).containsExactly("192.0.2.4");
        assertThat(UpdateObjects.writtenByUpdate(back)).isTrue();
        assertThat(texts(object(late, Type.TXT).orElseThrow())).containsExactly("theirs");
        await().atMost(TIMEOUT).untilAsserted(() -> {
            assertThat(values(node.zone(ZONE).rrset(changed, Type.TXT))).containsExactly("kept");
            assertThat(values(node.zone(ZONE).rrset(deleted, Type.A))).containsExactly("192.0.2.4");
        });
    }

    /**
     * With a transfer wait, the answer waits until a secondary (here dnsjava's AXFR client, as the sidecar) has
     * transferred the zone with the change: served by the operator alone is not enough.
     */
    @Test
    void withATransferWaitTheAnswerWaitsUntilASecondaryHasTheChange() throws Exception {
        Name name = name("_acme-challenge.sidecar.example.test.");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (UpdateNode waiting = new UpdateNode(
                                direct, direct, settings, OPTIONS.withTransferWait(Duration.ofSeconds(60)))
                        .start();
                TransferServer transfers = TransferServer.start(
                        new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), waiting.zones, null)) {
            transfers.addServedListener(waiting.store::transferred);
            ChangeSet update = UpdateNode.evaluate(waiting.zone(ZONE), List.of(txt(name, 30, "t")), List.of());
            Future<?> commit = pool.submit(() -> {
                waiting.store.commit(POLICY, update);
                return null;
            });
            await().atMost(TIMEOUT)
                    .until(() -> !waiting.zone(ZONE).rrset(name, Type.TXT).isEmpty());
            assertThatThrownBy(() -> commit.get(1, TimeUnit.SECONDS))
                    .as("served here, but no secondary has it yet: no answer")
                    .isInstanceOf(java.util.concurrent.TimeoutException.class);

            ZoneTransferIn axfr = ZoneTransferIn.newAXFR(ZONE, transfers.address(), null);
            axfr.run();
            assertThat(axfr.getAXFR()).anyMatch(r -> r.getName().equals(name) && r.getType() == Type.TXT);
            commit.get(30, TimeUnit.SECONDS); // answered once the secondary has it
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A write the API accepts but the zone never serves (here a CNAME beside an older DnsRecord's TXT, which the serving
     * decision rejects; the update service itself would have ignored such a CNAME, RFC 2136 3.4.2.2): the commit fails
     * once the served timeout is over, and the DnsRecord it wrote is deleted again.
     */
    @Test
    void aWriteTheZoneDoesNotServeInTimeIsUndoneAndFails() throws Exception {
        Name name = name("unserved.example.test.");
        client.resource(ControlPlane.dnsRecord(NS, "unserved-txt", "unserved.example.test", DnsRecordType.TXT, "first"))
                .create();
        KubernetesUpdateStore.Options quick = new KubernetesUpdateStore.Options(
                Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1), 10);
        try (UpdateNode impatient = new UpdateNode(direct, direct, settings, quick).start()) {
            await().atMost(TIMEOUT)
                    .until(() -> !impatient.zone(ZONE).rrset(name, Type.TXT).isEmpty());
            org.xbill.DNS.Record cname = new org.xbill.DNS.CNAMERecord(name, DClass.IN, 30, name("www.example.test."));
            ChangeSet update = UpdateNode.evaluate(impatient.zone(ZONE), List.of(cname), List.of());
            assertThatThrownBy(() -> impatient.store.commit(POLICY, update))
                    .isInstanceOf(UpdateStoreException.class)
                    .hasMessageContaining("not served");
            assertThat(object(name, Type.CNAME)).as("undone").isEmpty();
            assertThat(impatient.zone(ZONE).rrset(name, Type.CNAME)).isEmpty();
        }
    }

    /**
     * Two replicas, each with its own client, informers, served zone, store and {@link UpdateService}, get signed
     * updates of one name at once, many times: every value is kept (no update lost to the other's), in one DnsRecord.
     * Each update also adds a value at a name of its replica's own, so a conflict on the shared name undoes a write
     * already made. Then rounds of "add only if the RRset does not exist" at both at once: exactly one wins each
     * round, the other's re-evaluation sees the winner's record and answers YXRRSET.
     */
    @Test
    void twoReplicasRacingOnOneNameLoseNoValueAndExactlyOneWinsAPrerequisite() throws Exception {
        Name shared = name("_acme-challenge.race.example.test.");
        int perReplica = 20;
        try (UpdateNode a = new UpdateNode(direct, direct, settings, OPTIONS).start();
                UpdateNode b = new UpdateNode(direct, direct, settings, OPTIONS).start()) {
            Map<UpdateNode, UpdateService> services = Map.of(a, service(a), b, service(b));
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                CyclicBarrier barrier = new CyclicBarrier(2);
                List<Future<?>> done = new ArrayList<>();
                for (UpdateNode replica : List.of(a, b)) {
                    String id = replica == a ? "a" : "b";
                    Name own = name("_acme-challenge.race-" + id + ".example.test.");
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < perReplica; i++) {
                            barrier.await(30, TimeUnit.SECONDS);
                            Update update = new Update(ZONE);
                            update.add(own, Type.TXT, 30, "\"" + id + "-" + i + "\"");
                            update.add(shared, Type.TXT, 30, "\"" + id + "-" + i + "\"");
                            assertThat(send(services.get(replica), update, TsigKeyFile.parse(KEY_TEXT))
                                            .getRcode())
                                    .as("replica " + id + " update " + i)
                                    .isEqualTo(Rcode.NOERROR);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(5, TimeUnit.MINUTES);
                }
                assertThat(a.store.conflicts() + b.store.conflicts())
                        .as("the replicas did race")
                        .isPositive();

                Set<String> expected = new TreeSet<>();
                for (int i = 0; i < perReplica; i++) {
                    expected.add("a-" + i);
                    expected.add("b-" + i);
                }
                List<DnsRecord> atName = client.resources(DnsRecord.class).inNamespace(NS).list().getItems().stream()
                        .filter(r -> r.getSpec().getName().equals("_acme-challenge.race.example.test"))
                        .toList();
                assertThat(atName).as("one DnsRecord for the RRset").hasSize(1);
                assertThat(new TreeSet<>(texts(atName.get(0)))).isEqualTo(expected);
                for (String id : List.of("a", "b")) {
                    Name own = name("_acme-challenge.race-" + id + ".example.test.");
                    assertThat(texts(object(own, Type.TXT).orElseThrow()))
                            .hasSize(perReplica)
                            .allMatch(v -> v.startsWith(id + "-"));
                }
                for (UpdateNode replica : List.of(a, b, node)) {
                    await().atMost(TIMEOUT)
                            .untilAsserted(() -> assertThat(new TreeSet<>(
                                            values(replica.zone(ZONE).rrset(shared, Type.TXT))))
                                    .isEqualTo(expected));
                }

                // prerequisite "RRset does not exist" (RFC 2136 2.4.3) at both replicas at once
                for (int round = 0; round < 8; round++) {
                    Name lock = name("lock-" + round + ".example.test.");
                    List<Future<Integer>> results = new ArrayList<>();
                    for (UpdateNode replica : List.of(a, b)) {
                        String id = replica == a ? "a" : "b";
                        results.add(pool.submit(() -> {
                            barrier.await(30, TimeUnit.SECONDS);
                            Update update = new Update(ZONE);
                            update.absent(lock, Type.TXT);
                            update.add(lock, Type.TXT, 30, "\"" + id + "\"");
                            return send(services.get(replica), update, TsigKeyFile.parse(KEY_TEXT))
                                    .getRcode();
                        }));
                    }
                    List<Integer> rcodes = new ArrayList<>();
                    for (Future<Integer> f : results) {
                        rcodes.add(f.get(2, TimeUnit.MINUTES));
                    }
                    assertThat(rcodes).as("round " + round).containsExactlyInAnyOrder(Rcode.NOERROR, Rcode.YXRRSET);
                    String winner = rcodes.get(0) == Rcode.NOERROR ? "a" : "b";
                    assertThat(texts(object(lock, Type.TXT).orElseThrow())).containsExactly(winner);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static UpdateService service(UpdateNode on) {
        UpdateService service =
                new UpdateService(on.store, UpdateService.Options.DEFAULT, Clock.systemUTC(), outcome -> {});
        service.policies(List.of(POLICY));
        return service;
    }

    /**
     * The API server goes away between the two writes of one update: the client gets SERVFAIL (an
     * UpdateStoreException), the first write cannot be undone yet, further updates fail too rather than build on it,
     * and once the API server is back the first write is undone: nothing is left half-written.
     */
    @Test
    void theApiServerGoneMidUpdateFailsItAndLeavesNothingHalfWrittenOnceBack() throws Exception {
        URI real = URI.create(direct.getMasterUrl());
        InetSocketAddress target = new InetSocketAddress(real.getHost(), real.getPort());
        int port = TcpRelay.freePort();
        Config relayed = Config.fromKubeconfig(controlPlane.kubeConfigYaml());
        relayed.setMasterUrl("https://127.0.0.1:" + port + "/");
        Name one = name("one.outage.example.test.");
        Name two = name("two.outage.example.test.");
        TcpRelay[] relay = {new TcpRelay(port, target)};
        try (UpdateNode cut = new UpdateNode(direct, relayed, settings, OPTIONS).start()) {
            cut.store.writeHook((index, change) -> {
                if (index == 1) {
                    closeQuietly(relay[0]); // the API server is unreachable from here on
                }
            });
            UpdateService service = service(cut);
            Update update = new Update(ZONE);
            update.add(one, Type.A, 30, "192.0.2.1");
            update.add(two, Type.A, 30, "192.0.2.2");
            assertThat(send(service, update, TsigKeyFile.parse(KEY_TEXT)).getRcode())
                    .isEqualTo(Rcode.SERVFAIL);
            cut.store.writeHook((index, change) -> {});
            assertThat(object(one, Type.A))
                    .as("half-written while the API server is away")
                    .isPresent();
            assertThat(object(two, Type.A)).isEmpty();
            assertThat(cut.store.pendingUndos()).isEqualTo(1);
            assertThat(cut.store.ownership(POLICY, name("free.example.test."), Type.TXT))
                    .as("ownership is answered from the informers' caches, without the API server")
                    .isEmpty();
            assertThat(reason(cut.store.ownership(POLICY, name("x.other.svc.cluster.local."), Type.A)))
                    .isEqualTo(UpdateResult.GENERATED_NAME);
            ChangeSet another = UpdateNode.evaluate(
                    cut.zone(ZONE), List.of(a(name("three.example.test."), 30, "192.0.2.3")), List.of());
            assertThatThrownBy(() -> cut.store.commit(POLICY, another))
                    .as("nothing builds on a half-written update")
                    .isInstanceOf(UpdateStoreException.class);
            Update third = new Update(ZONE);
            third.add(name("three.example.test."), Type.A, 30, "192.0.2.3");
            assertThat(send(service, third, TsigKeyFile.parse(KEY_TEXT)).getRcode())
                    .isEqualTo(Rcode.SERVFAIL);

            relay[0] = new TcpRelay(port, target); // the API server is back
            await().atMost(TIMEOUT).until(() -> cut.store.pendingUndos() == 0);
            assertThat(object(one, Type.A))
                    .as("undone once the API server is back")
                    .isEmpty();
            assertThat(object(two, Type.A)).isEmpty();
            await().atMost(TIMEOUT)
                    .until(() -> cut.zone(ZONE).rrset(one, Type.A).isEmpty()
                            && node.zone(ZONE).rrset(one, Type.A).isEmpty());
            // and updates go through again
            commit(cut, List.of(a(one, 30, "192.0.2.9")), List.of());
            assertThat(object(one, Type.A).orElseThrow().getSpec().getValues()).containsExactly("192.0.2.9");
        } finally {
            closeQuietly(relay[0]);
        }
    }

    /**
     * The operator dies between the two writes of one update (nothing undoes the first): the client got no answer and
     * sends the very same request again to the restarted operator, whose evaluation sees the first write and writes
     * only the rest: the update is applied exactly once.
     */
    @Test
    void anOperatorKilledBetweenTwoWritesConvergesOnTheClientsRetry() throws Exception {
        Name one = name("one.restart.example.test.");
        Name two = name("two.restart.example.test.");
        Update update = new Update(ZONE);
        update.add(one, Type.A, 30, "192.0.2.1");
        update.add(two, Type.TXT, 30, "\"v=1\"");
        update.add(two, Type.TXT, 30, "\"v=2\"");
        TsigKeyFile.parse(KEY_TEXT).apply(update, null);
        byte[] request = update.toWire();
        java.net.InetAddress sender = java.net.InetAddress.getLoopbackAddress();

        List<Name> writtenBeforeTheKill = new ArrayList<>();
        try (UpdateNode dying = new UpdateNode(direct, direct, settings, OPTIONS).start()) {
            dying.store.writeHook((index, change) -> {
                if (index == 1) {
                    throw new Killed();
                }
                writtenBeforeTheKill.add(change.name());
            });
            UpdateService service = service(dying);
            assertThatThrownBy(() -> service.handle(request, sender, false)).isInstanceOf(Killed.class);
            assertThat(dying.store.pendingUndos()).isZero();
        }
        assertThat(writtenBeforeTheKill).hasSize(1);
        Name first = writtenBeforeTheKill.get(0);
        Name second = first.equals(one) ? two : one;
        assertThat(object(first, first.equals(one) ? Type.A : Type.TXT))
                .as("the first write survived the kill")
                .isPresent();
        assertThat(object(second, second.equals(one) ? Type.A : Type.TXT)).isEmpty();

        try (UpdateNode restarted = new UpdateNode(direct, direct, settings, OPTIONS).start()) {
            List<Name> writtenOnRetry = new java.util.concurrent.CopyOnWriteArrayList<>();
            restarted.store.writeHook((index, change) -> writtenOnRetry.add(change.name()));
            UpdateService service = service(restarted);
            Message answer = new Message(service.handle(request, sender, false)); // the client's retransmission
            assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(writtenOnRetry)
                    .as("the retry writes only what is missing")
                    .containsExactly(second);
            assertThat(values(restarted.zone(ZONE).rrset(one, Type.A))).containsExactly("192.0.2.1");
            assertThat(values(restarted.zone(ZONE).rrset(two, Type.TXT))).containsExactlyInAnyOrder("v=1", "v=2");

            // the same update once more (a client whose answer got lost again): nothing left to write
            writtenOnRetry.clear();
            Update same = new Update(ZONE);
            same.add(one, Type.A, 30, "192.0.2.1");
            same.add(two, Type.TXT, 30, "\"v=1\"");
            same.add(two, Type.TXT, 30, "\"v=2\"");
            assertThat(send(service, same, TsigKeyFile.parse(KEY_TEXT)).getRcode())
                    .isEqualTo(Rcode.NOERROR);
            assertThat(writtenOnRetry).isEmpty();
        }
        assertThat(object(one, Type.A).orElseThrow().getSpec().getValues()).containsExactly("192.0.2.1");
        assertThat(texts(object(two, Type.TXT).orElseThrow())).containsExactlyInAnyOrder("v=1", "v=2");
        long atNames = client.resources(DnsRecord.class).inNamespace(NS).list().getItems().stream()
                .filter(r -> r.getSpec().getName().endsWith(".restart.example.test"))
                .count();
        assertThat(atNames).as("no duplicate object").isEqualTo(2);
    }

    /**
     * The whole operator side of an UPDATE: a dnsjava update signed with the policy's TSIG key, through the core's
     * {@link UpdateService} to this store: NOERROR, signed, the DnsRecord written and served; a prerequisite the
     * written record makes false gets its rcode; a name another namespace holds is REFUSED, and nothing is written.
     */
    @Test
    void aSignedUpdateThroughTheUpdateServiceBecomesADnsRecord() throws Exception {
        List<UpdateOutcome> outcomes = new java.util.concurrent.CopyOnWriteArrayList<>();
        UpdateService service =
                new UpdateService(node.store, UpdateService.Options.DEFAULT, Clock.systemUTC(), outcomes::add);
        service.policies(List.of(POLICY));
        Name challenge = name("_acme-challenge.service.example.test.");

        Update add = new Update(ZONE);
        add.absent(challenge, Type.TXT);
        add.add(challenge, Type.TXT, 120, "\"token-from-nsupdate\"");
        TSIG signer = TsigKeyFile.parse(KEY_TEXT);
        Message answer = send(service, add, signer);
        assertThat(answer.getRcode()).as(outcomes.toString()).isEqualTo(Rcode.NOERROR);
        assertThat(values(node.zone(ZONE).rrset(challenge, Type.TXT))).containsExactly("token-from-nsupdate");
        DnsRecord written = object(challenge, Type.TXT).orElseThrow();
        assertThat(written.getMetadata().getLabels()).containsEntry(UpdateObjects.KEY_LABEL, "acme-key");
        assertThat(written.getSpec().getTtl()).isEqualTo(120);

        // the same update again: its prerequisite (no TXT there) is now false
        Update again = new Update(ZONE);
        again.absent(challenge, Type.TXT);
        again.add(challenge, Type.TXT, 120, "\"second\"");
        assertThat(send(service, again, signer).getRcode()).isEqualTo(Rcode.YXRRSET);
        assertThat(texts(object(challenge, Type.TXT).orElseThrow())).containsExactly("token-from-nsupdate");

        // a name another namespace's DnsRecord holds
        Name held = name("held.example.test.");
        client.resource(ControlPlane.dnsRecord("other", "held", "held.example.test", DnsRecordType.A, "192.0.2.77"))
                .create();
        await().atMost(TIMEOUT).until(() -> !node.zone(ZONE).rrset(held, Type.A).isEmpty());
        Update takeOver = new Update(ZONE);
        takeOver.add(held, Type.TXT, 60, "\"mine now\"");
        assertThat(send(service, takeOver, signer).getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(object(held, Type.TXT)).isEmpty();
        assertThat(outcomes)
                .extracting(UpdateOutcome::result)
                .containsSubsequence(UpdateResult.APPLIED, UpdateResult.PREREQ_YXRRSET, UpdateResult.OWNED_ELSEWHERE);

        // cleaning up: delete the RRset, the DnsRecord goes
        Update delete = new Update(ZONE);
        delete.delete(challenge, Type.TXT);
        assertThat(send(service, delete, signer).getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(object(challenge, Type.TXT)).isEmpty();
        assertThat(node.zone(ZONE).rrset(challenge, Type.TXT)).isEmpty();
    }

    /** Signs {@code update}, hands it to the service as a client's UDP request, checks the answer's TSIG. */
    private static Message send(UpdateService service, Update update, TSIG key) throws Exception {
        key.apply(update, null);
        byte[] request = update.toWire();
        byte[] wire = service.handle(request, java.net.InetAddress.getLoopbackAddress(), false);
        Message answer = new Message(wire);
        assertThat(key.verify(answer, wire, new Message(request).getTSIG()))
                .as("the answer is signed with the request's key")
                .isEqualTo(Rcode.NOERROR);
        return answer;
    }

    // --- helpers -----------------------------------------------------------------------------------------------------

    /** Simulates the process dying: an Error, which the store does not catch (so nothing is undone). */
    private static final class Killed extends Error {
        Killed() {
            super("killed between two writes");
        }
    }

    private static void commit(UpdateNode on, List<org.xbill.DNS.Record> adds, List<org.xbill.DNS.Record> deletes)
            throws Exception {
        on.store.commit(POLICY, UpdateNode.evaluate(on.zone(ZONE), adds, deletes));
    }

    private List<DnsRecord> writtenByUpdates() {
        return client.resources(DnsRecord.class)
                .inNamespace(NS)
                .withLabel(UpdateObjects.WRITTEN_BY_LABEL, UpdateObjects.WRITTEN_BY_UPDATE)
                .list()
                .getItems();
    }

    private Optional<DnsRecord> object(Name owner, int type) {
        return Optional.ofNullable(client.resources(DnsRecord.class)
                .inNamespace(NS)
                .withName(UpdateObjects.objectName(owner, type))
                .get());
    }

    private static UpdateResult reason(Optional<UpdateStore.Refusal> refusal) {
        return refusal.map(UpdateStore.Refusal::reason).orElse(null);
    }

    /** The records a DnsRecord stands for, as {@link #values}. */
    private static List<String> texts(DnsRecord record) {
        return values(UpdateObjects.recordsOf(record.getSpec()).orElseThrow());
    }

    /** The values as a DnsRecord's spec holds them: a TXT record's text, other types' presentation format. */
    private static List<String> values(Set<org.xbill.DNS.Record> records) {
        return records.stream()
                .map(r -> r instanceof TXTRecord t ? String.join("", t.getStrings()) : r.rdataToString())
                .collect(Collectors.toList());
    }

    private static Name name(String text) {
        return Name.fromConstantString(text);
    }

    private static TXTRecord txt(Name owner, long ttl, String text) {
        return new TXTRecord(owner, DClass.IN, ttl, text);
    }

    private static ARecord a(Name owner, long ttl, String address) throws Exception {
        return new ARecord(owner, DClass.IN, ttl, java.net.InetAddress.getByName(address));
    }

    private static void closeQuietly(TcpRelay relay) {
        try {
            relay.close();
        } catch (Exception e) {
            // closed already
        }
    }
}
