package dev.zonekeeper.operator.discovery;

import static dev.zonekeeper.operator.discovery.ClusterZoneBuilderTest.clusterIp;
import static dev.zonekeeper.operator.discovery.ClusterZoneBuilderTest.headless;
import static dev.zonekeeper.operator.discovery.ClusterZoneBuilderTest.port;
import static dev.zonekeeper.operator.discovery.ClusterZoneBuilderTest.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.operator.discovery.EndpointSliceInfo.AddressType;
import dev.zonekeeper.operator.discovery.EndpointSliceInfo.EndpointInfo;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Record;

class ClusterZoneStateTest {

    final ClusterZoneBuilder builder = ClusterZoneBuilder.defaults();
    final ClusterZoneState state = new ClusterZoneState(builder);

    static final ServiceInfo WEB = headless("web", "nginx", false, port("http", "TCP", 80));
    static final EndpointSliceInfo WEB_SLICE = slice(
            "web",
            "nginx-1",
            "nginx",
            AddressType.IPv4,
            List.of(port("http", "TCP", 8080)),
            EndpointInfo.ready("web-0", "10.2.0.10"),
            EndpointInfo.ready("web-1", "10.2.0.11"));
    static final ServiceInfo API = clusterIp("ns", "api", List.of("10.96.1.1"), port("https", "TCP", 443));
    static final PodInfo POD = new PodInfo("ns", "api-1", List.of("10.1.0.5"), "Running", false);

    void load() {
        state.upsertService(WEB);
        state.upsertEndpointSlice(WEB_SLICE);
        state.upsertService(API);
        state.upsertPod(POD);
    }

    @Test
    void incrementalStateEqualsAFullBuild() {
        load();
        ClusterZoneData full = builder.build(9, List.of(WEB, API), List.of(WEB_SLICE), List.of(POD));
        ClusterZoneData incremental = state.snapshot(9);
        assertThat(ZoneText.lines(incremental.forward())).isEqualTo(ZoneText.lines(full.forward()));
        assertThat(ZoneText.lines(incremental.reverse())).isEqualTo(ZoneText.lines(full.reverse()));
    }

    @Test
    void startsWithTheApexRecords() {
        assertThat(ZoneText.lines(state.records())).isEqualTo(ZoneText.lines(builder.apexRecords()));
    }

    @Test
    void changesThatCarryNoDnsDataGiveAnEmptyDelta() {
        load();
        List<Record> before = state.records();
        // the very same objects again (a resync)
        assertThat(state.upsertService(WEB).isEmpty()).isTrue();
        assertThat(state.upsertEndpointSlice(WEB_SLICE).isEmpty()).isTrue();
        assertThat(state.upsertPod(POD).isEmpty()).isTrue();
        // endpoints listed in another order, one reporting no conditions (read as ready): same records
        EndpointSliceInfo moved = slice(
                "web",
                "nginx-1",
                "nginx",
                AddressType.IPv4,
                List.of(port("http", "TCP", 8080)),
                new EndpointInfo(List.of("10.2.0.11"), true, true, false, "web-1"),
                new EndpointInfo(List.of("10.2.0.10"), null, null, null, "web-0"));
        assertThat(state.upsertEndpointSlice(moved)).isEqualTo(RecordDelta.EMPTY);
        // publishNotReadyAddresses on a ClusterIP service, and endpoints of a ClusterIP service, change nothing
        assertThat(state.upsertService(new ServiceInfo(
                        "ns",
                        "api",
                        ServiceInfo.Type.ClusterIP,
                        List.of("10.96.1.1"),
                        "",
                        List.of(port("https", "TCP", 443)),
                        true)))
                .isEqualTo(RecordDelta.EMPTY);
        assertThat(state.upsertEndpointSlice(slice(
                        "ns",
                        "api-1",
                        "api",
                        AddressType.IPv4,
                        List.of(port("https", "TCP", 8443)),
                        EndpointInfo.ready("", "10.1.0.5"))))
                .isEqualTo(RecordDelta.EMPTY);
        // a pod that becomes Running from Pending with the same IP
        assertThat(state.upsertPod(new PodInfo("ns", "api-1", List.of("10.1.0.5"), "Pending", false)))
                .isEqualTo(RecordDelta.EMPTY);
        assertThat(state.records()).isEqualTo(before);
    }

    @Test
    void portRenameGivesExactlyTheSrvDelta() {
        load();
        RecordDelta d = state.upsertService(clusterIp("ns", "api", List.of("10.96.1.1"), port("tls", "TCP", 443)));
        assertThat(ZoneText.lines(d.removed())).containsExactlyInAnyOrderElementsOf(ZoneText.lines("""
        _https._tcp.api.ns.svc.cluster.local. 5 IN SRV 0 100 443 api.ns.svc.cluster.local.
        """));
        assertThat(ZoneText.lines(d.added())).containsExactlyInAnyOrderElementsOf(ZoneText.lines("""
        _tls._tcp.api.ns.svc.cluster.local. 5 IN SRV 0 100 443 api.ns.svc.cluster.local.
        """));
    }

    @Test
    void headlessPortRenameOnTheSliceGivesExactlyTheSrvDelta() {
        load();
        RecordDelta d = state.upsertEndpointSlice(slice(
                "web",
                "nginx-1",
                "nginx",
                AddressType.IPv4,
                List.of(port("web", "TCP", 8080)),
                EndpointInfo.ready("web-0", "10.2.0.10"),
                EndpointInfo.ready("web-1", "10.2.0.11")));
        assertThat(ZoneText.lines(d.removed())).containsExactlyInAnyOrderElementsOf(ZoneText.lines("""
        _http._tcp.nginx.web.svc.cluster.local. 5 IN SRV 0 50 8080 web-0.nginx.web.svc.cluster.local.
        _http._tcp.nginx.web.svc.cluster.local. 5 IN SRV 0 50 8080 web-1.nginx.web.svc.cluster.local.
        """));
        assertThat(ZoneText.lines(d.added())).containsExactlyInAnyOrderElementsOf(ZoneText.lines("""
        _web._tcp.nginx.web.svc.cluster.local. 5 IN SRV 0 50 8080 web-0.nginx.web.svc.cluster.local.
        _web._tcp.nginx.web.svc.cluster.local. 5 IN SRV 0 50 8080 web-1.nginx.web.svc.cluster.local.
        """));
    }

    @Test
    void deletingAServiceRemovesExactlyItsRecords() {
        load();
        List<Record> webRecords = builder.serviceRecords(WEB, List.of(WEB_SLICE));
        List<Record> before = state.records();

        RecordDelta d = state.deleteService("web", "nginx");

        assertThat(d.added()).isEmpty();
        assertThat(ZoneText.lines(d.removed())).isEqualTo(ZoneText.lines(webRecords));
        List<Record> expected = new ArrayList<>(before);
        expected.removeAll(webRecords);
        assertThat(ZoneText.lines(state.records())).isEqualTo(ZoneText.lines(expected));
        assertThat(state.deleteService("web", "nginx")).isEqualTo(RecordDelta.EMPTY);
    }

    @Test
    void endpointBecomingNotReadyRemovesItsRecordsAndReweightsTheSrvSet() {
        load();
        RecordDelta d = state.upsertEndpointSlice(slice(
                "web",
                "nginx-1",
                "nginx",
                AddressType.IPv4,
                List.of(port("http", "TCP", 8080)),
                EndpointInfo.ready("web-0", "10.2.0.10"),
                EndpointInfo.notReady("web-1", "10.2.0.11")));
        assertThat(ZoneText.lines(d.removed())).containsExactlyInAnyOrderElementsOf(ZoneText.lines("""
        nginx.web.svc.cluster.local. 5 IN A 10.2.0.11
        web-1.nginx.web.svc.cluster.local. 5 IN A 10.2.0.11
        11.0.2.10.in-addr.arpa. 5 IN PTR web-1.nginx.web.svc.cluster.local.
        nginx.web.svc.cluster.local. 5 IN SRV 0 50 8080 web-0.nginx.web.svc.cluster.local.
        nginx.web.svc.cluster.local. 5 IN SRV 0 50 8080 web-1.nginx.web.svc.cluster.local.
        _http._tcp.nginx.web.svc.cluster.local. 5 IN SRV 0 50 8080 web-0.nginx.web.svc.cluster.local.
        _http._tcp.nginx.web.svc.cluster.local. 5 IN SRV 0 50 8080 web-1.nginx.web.svc.cluster.local.
        """));
        assertThat(ZoneText.lines(d.added())).containsExactlyInAnyOrderElementsOf(ZoneText.lines("""
        nginx.web.svc.cluster.local. 5 IN SRV 0 100 8080 web-0.nginx.web.svc.cluster.local.
        _http._tcp.nginx.web.svc.cluster.local. 5 IN SRV 0 100 8080 web-0.nginx.web.svc.cluster.local.
        """));
    }

    @Test
    void sliceBeforeItsServiceGivesRecordsOnlyOnceTheServiceArrives() {
        assertThat(state.upsertEndpointSlice(WEB_SLICE)).isEqualTo(RecordDelta.EMPTY);
        RecordDelta d = state.upsertService(WEB);
        assertThat(ZoneText.lines(d.added()))
                .isEqualTo(ZoneText.lines(builder.serviceRecords(WEB, List.of(WEB_SLICE))));
        assertThat(d.removed()).isEmpty();
        // deleting the slice takes every endpoint record away
        RecordDelta gone = state.deleteEndpointSlice("web", "nginx-1");
        assertThat(ZoneText.lines(gone.removed())).isEqualTo(ZoneText.lines(d.added()));
        assertThat(gone.added()).isEmpty();
    }

    @Test
    void sliceRelabelledToAnotherServiceMovesItsRecords() {
        ServiceInfo other = headless("web", "other", false);
        state.upsertService(WEB);
        state.upsertService(other);
        state.upsertEndpointSlice(WEB_SLICE);
        EndpointSliceInfo relabelled = slice(
                "web",
                "nginx-1",
                "other",
                AddressType.IPv4,
                List.of(port("http", "TCP", 8080)),
                EndpointInfo.ready("web-0", "10.2.0.10"),
                EndpointInfo.ready("web-1", "10.2.0.11"));

        RecordDelta d = state.upsertEndpointSlice(relabelled);

        assertThat(ZoneText.lines(d.removed()))
                .isEqualTo(ZoneText.lines(builder.serviceRecords(WEB, List.of(WEB_SLICE))));
        assertThat(ZoneText.lines(d.added()))
                .isEqualTo(ZoneText.lines(builder.serviceRecords(other, List.of(relabelled))));
        assertThat(builder.serviceRecords(other, List.of(relabelled))).isNotEmpty();
    }

    @Test
    void aRecordSharedByTwoObjectsLeavesOnlyWithTheLast() {
        // two host-network pods on one node share the node's address, hence the same pod record
        PodInfo a = new PodInfo("kube-system", "proxy-a", List.of("192.168.1.10"), "Running", false);
        PodInfo b = new PodInfo("kube-system", "agent-b", List.of("192.168.1.10"), "Running", false);
        assertThat(ZoneText.lines(state.upsertPod(a).added())).isEqualTo(ZoneText.lines("""
        192-168-1-10.kube-system.pod.cluster.local. 5 IN A 192.168.1.10
        """));
        assertThat(state.upsertPod(b)).isEqualTo(RecordDelta.EMPTY);
        assertThat(state.deletePod("kube-system", "proxy-a")).isEqualTo(RecordDelta.EMPTY);
        assertThat(ZoneText.lines(state.records()))
                .containsAll(ZoneText.lines("192-168-1-10.kube-system.pod.cluster.local. 5 IN A 192.168.1.10\n"));
        assertThat(ZoneText.lines(state.deletePod("kube-system", "agent-b").removed()))
                .isEqualTo(ZoneText.lines("""
        192-168-1-10.kube-system.pod.cluster.local. 5 IN A 192.168.1.10
        """));
        assertThat(ZoneText.lines(state.records())).isEqualTo(ZoneText.lines(builder.apexRecords()));
    }

    @Test
    void aRecordRebuiltUnchangedStaysTheInstanceTheZoneHolds() {
        // a slice change rebuilds its Service's records; equal ones must not be kept as a second copy beside the zone's
        Record added = only(state.upsertService(API).added(), "api.ns.svc.cluster.local. 5 IN A 10.96.1.1");
        assertThat(state.upsertEndpointSlice(slice(
                        "ns",
                        "api-1",
                        "api",
                        AddressType.IPv4,
                        List.of(port("https", "TCP", 8443)),
                        EndpointInfo.ready(null, "10.2.0.20"))))
                .isEqualTo(RecordDelta.EMPTY);
        // a port rename changes the SRV records and rebuilds the address record beside them
        RecordDelta renamed =
                state.upsertService(clusterIp("ns", "api", List.of("10.96.1.1"), port("web", "TCP", 443)));
        assertThat(renamed.added()).isNotEmpty().noneMatch(r -> r.getType() == org.xbill.DNS.Type.A);
        Record removed = only(state.deleteService("ns", "api").removed(), "api.ns.svc.cluster.local. 5 IN A 10.96.1.1");
        assertThat(removed).isSameAs(added);
    }

    @Test
    void aRecordTwoObjectsProduceIsHeldOnce() {
        PodInfo a = new PodInfo("kube-system", "proxy-a", List.of("192.168.1.10"), "Running", false);
        PodInfo b = new PodInfo("kube-system", "agent-b", List.of("192.168.1.10"), "Running", false);
        Record first =
                only(state.upsertPod(a).added(), "192-168-1-10.kube-system.pod.cluster.local. 5 IN A 192.168.1.10");
        state.upsertPod(b);
        state.deletePod("kube-system", "proxy-a");
        Record last = only(
                state.deletePod("kube-system", "agent-b").removed(),
                "192-168-1-10.kube-system.pod.cluster.local. 5 IN A 192.168.1.10");
        assertThat(last).isSameAs(first);
    }

    /** The one record of {@code records} equal to the zone-file line {@code line}. */
    static Record only(List<Record> records, String line) {
        Record wanted = ZoneText.parse(line + "\n").get(0);
        List<Record> found = records.stream().filter(wanted::equals).toList();
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    @Test
    void podBeingDeletedLeavesTheZoneBeforeItsObjectIsGone() {
        state.upsertPod(POD);
        RecordDelta d = state.upsertPod(new PodInfo("ns", "api-1", List.of("10.1.0.5"), "Running", true));
        assertThat(ZoneText.lines(d.removed())).isEqualTo(ZoneText.lines("""
        10-1-0-5.ns.pod.cluster.local. 5 IN A 10.1.0.5
        """));
        assertThat(state.deletePod("ns", "api-1")).isEqualTo(RecordDelta.EMPTY);
    }
}
