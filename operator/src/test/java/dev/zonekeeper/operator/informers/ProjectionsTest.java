package dev.zonekeeper.operator.informers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zonekeeper.operator.discovery.EndpointSliceInfo;
import dev.zonekeeper.operator.discovery.EndpointSliceInfo.EndpointInfo;
import dev.zonekeeper.operator.discovery.PodInfo;
import dev.zonekeeper.operator.discovery.PortInfo;
import dev.zonekeeper.operator.discovery.ServiceInfo;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** API objects built in code turned into projections, and the informer cache that keeps only those. */
class ProjectionsTest {

    static Service dualStackService() {
        return new ServiceBuilder()
                .withNewMetadata()
                .withNamespace("shop")
                .withName("api")
                .withResourceVersion("17")
                .withUid("u-1")
                .addToLabels("app", "api")
                .addToAnnotations("note", "x")
                .endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withClusterIP("10.96.0.10")
                .withClusterIPs("10.96.0.10", "fd00::a")
                .addNewPort()
                .withName("http")
                .withProtocol("TCP")
                .withPort(80)
                .withNewTargetPort(8080)
                .endPort()
                .addNewPort()
                .withName("dns")
                .withProtocol("UDP")
                .withPort(53)
                .endPort()
                .withSelector(java.util.Map.of("app", "api"))
                .withSessionAffinity("None")
                .endSpec()
                .withNewStatus()
                .withNewLoadBalancer()
                .endLoadBalancer()
                .endStatus()
                .build();
    }

    static EndpointSlice headlessSlice() {
        return new EndpointSliceBuilder()
                .withNewMetadata()
                .withNamespace("db")
                .withName("pg-abc12")
                .withResourceVersion("5")
                .addToLabels(EndpointSliceInfo.SERVICE_NAME_LABEL, "pg")
                .addToLabels("other", "label")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint()
                .withAddresses("10.1.0.5")
                .withHostname("pg-0")
                .withNodeName("node-a")
                .withNewConditions()
                .withReady(true)
                .withServing(true)
                .withTerminating(false)
                .endConditions()
                .withNewTargetRef()
                .withKind("Pod")
                .withNamespace("db")
                .withName("pg-0")
                .withUid("p-0")
                .endTargetRef()
                .endEndpoint()
                .addNewEndpoint()
                .withAddresses("10.1.0.6")
                .withNewConditions()
                .withReady(false)
                .endConditions()
                .endEndpoint()
                .addNewPort()
                .withName("pg")
                .withProtocol("TCP")
                .withPort(5432)
                .endPort()
                .build();
    }

    static Pod pod() {
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace("shop")
                .withName("api-7d9")
                .withResourceVersion("99")
                .addToLabels("app", "api")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("api")
                .withImage("example/api:1")
                .endContainer()
                .withNodeName("node-a")
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP("10.1.0.7")
                .addNewPodIP()
                .withIp("10.1.0.7")
                .endPodIP()
                .addNewPodIP()
                .withIp("fd00::7")
                .endPodIP()
                .withHostIP("192.168.0.1")
                .endStatus()
                .build();
    }

    @Test
    void serviceProjectionUsesClusterIPsPortsAndFlags() {
        ServiceInfo info = Projections.service(dualStackService());
        assertThat(info)
                .isEqualTo(new ServiceInfo(
                        "shop",
                        "api",
                        ServiceInfo.Type.ClusterIP,
                        List.of("10.96.0.10", "fd00::a"),
                        "",
                        List.of(new PortInfo("http", "TCP", 80), new PortInfo("dns", "UDP", 53)),
                        false));
    }

    @Test
    void serviceWithoutClusterIPsFallsBackToClusterIP() {
        Service svc = new ServiceBuilder(dualStackService())
                .editSpec()
                .withClusterIPs()
                .withClusterIP("None")
                .withPublishNotReadyAddresses(true)
                .endSpec()
                .build();
        ServiceInfo info = Projections.service(svc);
        assertThat(info.clusterIPs()).containsExactly("None");
        assertThat(info.headless()).isTrue();
        assertThat(info.publishNotReadyAddresses()).isTrue();
    }

    @Test
    void externalNameAndDefaultsForAMissingTypeAndProtocol() {
        Service ext = new ServiceBuilder()
                .withNewMetadata()
                .withNamespace("a")
                .withName("b")
                .endMetadata()
                .withNewSpec()
                .withType("ExternalName")
                .withExternalName("db.example.com")
                .endSpec()
                .build();
        assertThat(Projections.service(ext).type()).isEqualTo(ServiceInfo.Type.ExternalName);
        assertThat(Projections.service(ext).externalName()).isEqualTo("db.example.com");

        Service bare = new ServiceBuilder()
                .withNewMetadata()
                .withNamespace("a")
                .withName("b")
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withPort(80)
                .endPort()
                .endSpec()
                .build();
        ServiceInfo info = Projections.service(bare);
        assertThat(info.type()).isEqualTo(ServiceInfo.Type.ClusterIP);
        assertThat(info.ports()).containsExactly(new PortInfo("", "TCP", 80));
        assertThat(info.clusterIPs()).isEmpty();
    }

    @Test
    void unknownServiceTypeIsAClearError() {
        Service odd = new ServiceBuilder(dualStackService())
                .editSpec()
                .withType("Weird")
                .endSpec()
                .build();
        assertThatThrownBy(() -> Projections.service(odd)).hasMessageContaining("Weird");
    }

    @Test
    void irrelevantServiceChangesGiveAnEqualProjection() {
        Service changed = new ServiceBuilder(dualStackService())
                .editMetadata()
                .withResourceVersion("18")
                .addToLabels("team", "x")
                .addToAnnotations("more", "y")
                .withManagedFields(
                        new ManagedFieldsEntryBuilder().withManager("kubectl").build())
                .endMetadata()
                .editSpec()
                .withSessionAffinity("ClientIP")
                .editFirstPort()
                .withNewTargetPort(9090)
                .endPort()
                .endSpec()
                .editStatus()
                .editLoadBalancer()
                .addNewIngress()
                .withIp("203.0.113.1")
                .endIngress()
                .endLoadBalancer()
                .endStatus()
                .build();
        assertThat(Projections.service(changed)).isEqualTo(Projections.service(dualStackService()));

        Service newPort = new ServiceBuilder(dualStackService())
                .editSpec()
                .addNewPort()
                .withName("https")
                .withPort(443)
                .endPort()
                .endSpec()
                .build();
        assertThat(Projections.service(newPort)).isNotEqualTo(Projections.service(dualStackService()));
    }

    @Test
    void endpointSliceProjectionReadsLabelConditionsAndTargets() {
        EndpointSliceInfo info = Projections.endpointSlice(headlessSlice());
        assertThat(info.serviceName()).isEqualTo("pg");
        assertThat(info.serviceKey().toString()).isEqualTo("db/pg");
        assertThat(info.addressType()).isEqualTo(EndpointSliceInfo.AddressType.IPv4);
        assertThat(info.ports()).containsExactly(new PortInfo("pg", "TCP", 5432));
        assertThat(info.endpoints())
                .containsExactly(
                        new EndpointInfo(List.of("10.1.0.5"), true, true, false, "pg-0"),
                        new EndpointInfo(List.of("10.1.0.6"), false, null, null, ""));
    }

    @Test
    void endpointAddressesAreKeptParsedConditionsAsReportedAndNonLiteralsDropped() {
        EndpointSlice v6 = new EndpointSliceBuilder(headlessSlice())
                .withAddressType("IPv6")
                .editFirstEndpoint()
                .withAddresses("FD00:0:0:0:0:0:0:5", "not-an-ip", "")
                .endEndpoint()
                .build();
        EndpointInfo ep = Projections.endpointSlice(v6).endpoints().get(0);
        // the text a record is built from is the RFC 5952 form, whatever form the API object held
        assertThat(ep.addresses()).containsExactly("fd00::5");
        assertThat(ep.inetAddresses())
                .extracting(java.net.InetAddress::getHostAddress)
                .containsExactly("fd00:0:0:0:0:0:0:5");
        // each condition keeps "not reported" apart from false; unknown readiness reads as ready
        EndpointInfo unknown = new EndpointInfo(List.of("10.0.0.1"), null, null, null, null);
        assertThat(unknown.ready()).isNull();
        assertThat(unknown.serving()).isNull();
        assertThat(unknown.terminating()).isNull();
        assertThat(unknown.isReady()).isTrue();
        assertThat(unknown.hostname()).isEmpty();
        EndpointInfo leaving = new EndpointInfo(List.of("10.0.0.1"), false, true, true, "h");
        assertThat(List.of(leaving.ready(), leaving.serving(), leaving.terminating()))
                .containsExactly(false, true, true);
        assertThat(leaving.isReady()).isFalse();
        assertThat(leaving.isTerminating()).isTrue();
        assertThat(leaving).isNotEqualTo(new EndpointInfo(List.of("10.0.0.1"), false, null, true, "h"));
        assertThat(Projections.pod(new PodBuilder(pod())
                                .editStatus()
                                .withPodIPs()
                                .withPodIP("garbage")
                                .endStatus()
                                .build())
                        .ips())
                .isEmpty();
    }

    @Test
    void sliceWithoutServiceLabelFeedsNoService() {
        EndpointSlice orphan = new EndpointSliceBuilder(headlessSlice())
                .editMetadata()
                .withLabels(null)
                .endMetadata()
                .build();
        assertThat(Projections.endpointSlice(orphan).serviceKey()).isNull();
    }

    @Test
    void irrelevantSliceChangesGiveAnEqualProjection() {
        EndpointSlice changed = new EndpointSliceBuilder(headlessSlice())
                .editMetadata()
                .withResourceVersion("6")
                .addToLabels("endpointslice.kubernetes.io/managed-by", "x")
                .addToAnnotations("endpoints.kubernetes.io/last-change-trigger-time", "2025-01-01T00:00:00Z")
                .endMetadata()
                .editFirstEndpoint()
                .addToDeprecatedTopology("topology.kubernetes.io/zone", "b")
                .withZone("zone-b")
                .editTargetRef()
                .withUid("p-0-new")
                .withResourceVersion("1234")
                .endTargetRef()
                .endEndpoint()
                .build();
        assertThat(Projections.endpointSlice(changed)).isEqualTo(Projections.endpointSlice(headlessSlice()));
    }

    @Test
    void podProjectionUsesPodIPsThenPodIP() {
        assertThat(Projections.pod(pod()))
                .isEqualTo(new PodInfo("shop", "api-7d9", List.of("10.1.0.7", "fd00::7"), "Running", false));
        Pod old = new PodBuilder(pod()).editStatus().withPodIPs().endStatus().build();
        assertThat(Projections.pod(old).ips()).containsExactly("10.1.0.7");
        Pod pending = new PodBuilder(pod())
                .editStatus()
                .withPodIPs()
                .withPodIP(null)
                .withPhase("Pending")
                .endStatus()
                .build();
        assertThat(Projections.pod(pending).ips()).isEmpty();
    }

    @Test
    void deletionTimestampMarksThePodDeleted() {
        Pod leaving = new PodBuilder(pod())
                .editMetadata()
                .withDeletionTimestamp("2025-01-01T00:00:00Z")
                .endMetadata()
                .build();
        assertThat(Projections.pod(leaving).deleted()).isTrue();
        assertThat(Projections.pod(leaving).live()).isFalse();
    }

    @Test
    void irrelevantPodChangesGiveAnEqualProjection() {
        Pod changed = new PodBuilder(pod())
                .editMetadata()
                .withResourceVersion("100")
                .addToLabels("x", "y")
                .endMetadata()
                .editSpec()
                .editFirstContainer()
                .withImage("example/api:2")
                .endContainer()
                .endSpec()
                .editStatus()
                .withHostIP("192.168.0.2")
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .endStatus()
                .build();
        assertThat(Projections.pod(changed)).isEqualTo(Projections.pod(pod()));
    }

    @Test
    void theCacheKeepsProjectionsAndHandsTheInformerStubsWithIdentityAndVersion() {
        ProjectionStore<Service, ServiceInfo> services =
                new ProjectionStore<>(Projections::service, Stubs.ServiceStub::new);
        Service svc = dualStackService();
        String key = services.getKey(svc);
        assertThat(key).isEqualTo("shop/api");
        assertThat(services.put(key, svc)).isNull();
        assertThat(services.entry(key).projection()).isEqualTo(Projections.service(svc));

        Service stub = services.get(key);
        assertThat(stub.getMetadata().getNamespace()).isEqualTo("shop");
        assertThat(stub.getMetadata().getName()).isEqualTo("api");
        assertThat(stub.getMetadata().getResourceVersion()).isEqualTo("17");
        assertThat(((ProjectionStore.Stub<?>) stub).projection()).isEqualTo(Projections.service(svc));
        assertThat(stub.getSpec()).isNull();

        // the old object of an update is the stub of the previous version
        Service changed = new ServiceBuilder(svc)
                .editMetadata()
                .withResourceVersion("18")
                .endMetadata()
                .editSpec()
                .withType("NodePort")
                .endSpec()
                .build();
        Service old = services.put(key, changed);
        assertThat(((ProjectionStore.Stub<?>) old).projection()).isEqualTo(Projections.service(svc));
        assertThat(services.get(key).getMetadata().getResourceVersion()).isEqualTo("18");
        assertThat(services.values()).hasSize(1);
        assertThat(services.keySet()).containsExactly(key);

        // an object DNS cannot use is kept with its error, so its deletion is still known
        Service bad = new ServiceBuilder(svc)
                .editMetadata()
                .withResourceVersion("19")
                .endMetadata()
                .editSpec()
                .withType("Teleport")
                .endSpec()
                .build();
        services.put(key, bad);
        assertThat(services.entry(key).projection()).isNull();
        assertThat(services.entry(key).error()).contains("Teleport");
        assertThat(services.remove(key).getMetadata().getName()).isEqualTo("api");
        assertThat(services.size()).isZero();
        assertThat(services.get(key)).isNull();

        ProjectionStore<Pod, PodInfo> pods = new ProjectionStore<>(Projections::pod, Stubs.PodStub::new);
        Pod pod = pod();
        pods.put(pods.getKey(pod), pod);
        assertThat(pods.entry(pods.getKey(pod)).projection()).isEqualTo(Projections.pod(pod));
        // namespaces are shared, not one copy per object
        assertThat(pods.entry(pods.getKey(pod)).projection().namespace())
                .isSameAs(pod.getMetadata().getNamespace().intern());
    }

    @Test
    void resourceVersionsComeBackAsTheyWereGivenWhetherDecimalOrNot() {
        ProjectionStore<Service, ServiceInfo> services =
                new ProjectionStore<>(Projections::service, Stubs.ServiceStub::new);
        // the API server's versions are decimal (kept as numbers), but they are opaque: any text must come back as it
        // was
        for (String version :
                new String[] {"0", "17", "922337203685477580", "9223372036854775807", "007", "-3", "12a", "abc", ""}) {
            Service svc = new ServiceBuilder(dualStackService())
                    .editMetadata()
                    .withResourceVersion(version)
                    .endMetadata()
                    .build();
            services.put("shop/api", svc);
            assertThat(services.get("shop/api").getMetadata().getResourceVersion())
                    .as(version)
                    .isEqualTo(version);
        }
        services.put(
                "shop/api",
                new ServiceBuilder(dualStackService())
                        .editMetadata()
                        .withResourceVersion(null)
                        .endMetadata()
                        .build());
        assertThat(services.get("shop/api").getMetadata().getResourceVersion()).isNull();
    }

    @Test
    void dnsRecordStubsCanBeMade() {
        var claim = new Stubs.DnsRecordStub(null);
        assertThat(claim.projection()).isNull();
        assertThat(claim.getKind()).isEqualTo("DnsRecord");
        assertThat(claim.getApiVersion()).isEqualTo("zonekeeper.dev/v1alpha1");
    }
}
