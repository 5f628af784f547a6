package dev.zonekeeper.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zonekeeper.operator.discovery.EndpointSliceInfo.AddressType;
import dev.zonekeeper.operator.discovery.EndpointSliceInfo.EndpointInfo;
import dev.zonekeeper.operator.discovery.ServiceInfo.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.Record;

class ClusterZoneBuilderTest {

    static final String V6_PTR_SVC = "1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa.";
    static final String V6_PTR_1 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.";

    /** One row: inputs, and every record they must produce besides the SOA and the apex records. */
    record Case(
            String name,
            List<ServiceInfo> services,
            List<EndpointSliceInfo> slices,
            List<PodInfo> pods,
            String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static ServiceInfo clusterIp(String ns, String name, List<String> ips, PortInfo... ports) {
        return new ServiceInfo(ns, name, ServiceInfo.Type.ClusterIP, ips, "", List.of(ports), false);
    }

    static ServiceInfo headless(String ns, String name, boolean publishNotReady, PortInfo... ports) {
        return new ServiceInfo(
                ns, name, ServiceInfo.Type.ClusterIP, List.of("None"), "", List.of(ports), publishNotReady);
    }

    static EndpointSliceInfo slice(
            String ns, String name, String svc, AddressType type, List<PortInfo> ports, EndpointInfo... eps) {
        return new EndpointSliceInfo(ns, name, svc, type, List.of(eps), ports);
    }

    static PortInfo port(String name, String proto, int port) {
        return new PortInfo(name, proto, port);
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(
                        "ClusterIP IPv4: A, PTR, SRV at _port._proto for the named port only, SRV at the name for all",
                        List.of(clusterIp(
                                "ns", "my-svc", List.of("10.96.0.10"), port("http", "TCP", 80), port("", "TCP", 8080))),
                        List.of(),
                        List.of(),
                        """
            my-svc.ns.svc.cluster.local. 5 IN A 10.96.0.10
            10.0.96.10.in-addr.arpa. 5 IN PTR my-svc.ns.svc.cluster.local.
            _http._tcp.my-svc.ns.svc.cluster.local. 5 IN SRV 0 100 80 my-svc.ns.svc.cluster.local.
            my-svc.ns.svc.cluster.local. 5 IN SRV 0 50 80 my-svc.ns.svc.cluster.local.
            my-svc.ns.svc.cluster.local. 5 IN SRV 0 50 8080 my-svc.ns.svc.cluster.local.
            """),
                new Case(
                        "ClusterIP dual-stack: A and AAAA, both PTRs; protocol and port name lower-cased",
                        List.of(clusterIp(
                                "kube-system",
                                "kube-dns",
                                List.of("10.96.0.11", "fd00:10:96::11"),
                                port("DNS", "UDP", 53))),
                        List.of(),
                        List.of(),
                        """
            kube-dns.kube-system.svc.cluster.local. 5 IN A 10.96.0.11
            kube-dns.kube-system.svc.cluster.local. 5 IN AAAA fd00:10:96::11
            11.0.96.10.in-addr.arpa. 5 IN PTR kube-dns.kube-system.svc.cluster.local.
            %s 5 IN PTR kube-dns.kube-system.svc.cluster.local.
            _dns._udp.kube-dns.kube-system.svc.cluster.local. 5 IN SRV 0 50 53 kube-dns.kube-system.svc.cluster.local.
            kube-dns.kube-system.svc.cluster.local. 5 IN SRV 0 50 53 kube-dns.kube-system.svc.cluster.local.
            """.formatted(V6_PTR_SVC)),
                new Case(
                        "ClusterIP service ignores its endpoints (no endpoint names, no endpoint PTRs)",
                        List.of(clusterIp("ns", "api", List.of("10.96.1.1"))),
                        List.of(slice(
                                "ns",
                                "api-x",
                                "api",
                                AddressType.IPv4,
                                List.of(port("", "TCP", 8443)),
                                EndpointInfo.ready("", "10.1.9.9"))),
                        List.of(),
                        """
            api.ns.svc.cluster.local. 5 IN A 10.96.1.1
            1.1.96.10.in-addr.arpa. 5 IN PTR api.ns.svc.cluster.local.
            """),
                new Case(
                        "headless: only the ready endpoint; not-ready and terminating left out; dashed-IP endpoint names",
                        List.of(headless("ns", "db", false, port("pg", "TCP", 5432))),
                        List.of(slice(
                                "ns",
                                "db-abc",
                                "db",
                                AddressType.IPv4,
                                List.of(port("pg", "TCP", 5432)),
                                EndpointInfo.ready("", "10.1.0.1"),
                                EndpointInfo.notReady("", "10.1.0.2"),
                                EndpointInfo.terminating("", "10.1.0.3"))),
                        List.of(),
                        """
            db.ns.svc.cluster.local. 5 IN A 10.1.0.1
            10-1-0-1.db.ns.svc.cluster.local. 5 IN A 10.1.0.1
            1.0.1.10.in-addr.arpa. 5 IN PTR 10-1-0-1.db.ns.svc.cluster.local.
            db.ns.svc.cluster.local. 5 IN SRV 0 100 5432 10-1-0-1.db.ns.svc.cluster.local.
            _pg._tcp.db.ns.svc.cluster.local. 5 IN SRV 0 100 5432 10-1-0-1.db.ns.svc.cluster.local.
            """),
                new Case(
                        "headless with publishNotReadyAddresses: every endpoint, weight 100 split over 3 targets",
                        List.of(headless("ns", "db", true, port("pg", "TCP", 5432))),
                        List.of(slice(
                                "ns",
                                "db-abc",
                                "db",
                                AddressType.IPv4,
                                List.of(port("pg", "TCP", 5432)),
                                EndpointInfo.ready("", "10.1.0.1"),
                                EndpointInfo.notReady("", "10.1.0.2"),
                                EndpointInfo.terminating("", "10.1.0.3"))),
                        List.of(),
                        """
            db.ns.svc.cluster.local. 5 IN A 10.1.0.1
            db.ns.svc.cluster.local. 5 IN A 10.1.0.2
            db.ns.svc.cluster.local. 5 IN A 10.1.0.3
            10-1-0-1.db.ns.svc.cluster.local. 5 IN A 10.1.0.1
            10-1-0-2.db.ns.svc.cluster.local. 5 IN A 10.1.0.2
            10-1-0-3.db.ns.svc.cluster.local. 5 IN A 10.1.0.3
            1.0.1.10.in-addr.arpa. 5 IN PTR 10-1-0-1.db.ns.svc.cluster.local.
            2.0.1.10.in-addr.arpa. 5 IN PTR 10-1-0-2.db.ns.svc.cluster.local.
            3.0.1.10.in-addr.arpa. 5 IN PTR 10-1-0-3.db.ns.svc.cluster.local.
            db.ns.svc.cluster.local. 5 IN SRV 0 33 5432 10-1-0-1.db.ns.svc.cluster.local.
            db.ns.svc.cluster.local. 5 IN SRV 0 33 5432 10-1-0-2.db.ns.svc.cluster.local.
            db.ns.svc.cluster.local. 5 IN SRV 0 33 5432 10-1-0-3.db.ns.svc.cluster.local.
            _pg._tcp.db.ns.svc.cluster.local. 5 IN SRV 0 33 5432 10-1-0-1.db.ns.svc.cluster.local.
            _pg._tcp.db.ns.svc.cluster.local. 5 IN SRV 0 33 5432 10-1-0-2.db.ns.svc.cluster.local.
            _pg._tcp.db.ns.svc.cluster.local. 5 IN SRV 0 33 5432 10-1-0-3.db.ns.svc.cluster.local.
            """),
                new Case(
                        "headless StatefulSet: hostname names, SRV to them with the slice's (target) ports",
                        List.of(headless("web", "nginx", false, port("http", "TCP", 80), port("", "TCP", 9090))),
                        List.of(slice(
                                "web",
                                "nginx-1",
                                "nginx",
                                AddressType.IPv4,
                                List.of(port("http", "TCP", 8080), port("", "TCP", 9090)),
                                EndpointInfo.ready("web-0", "10.2.0.10"),
                                EndpointInfo.ready("web-1", "10.2.0.11"))),
                        List.of(),
                        """
            nginx.web.svc.cluster.local. 5 IN A 10.2.0.10
            nginx.web.svc.cluster.local. 5 IN A 10.2.0.11
            web-0.nginx.web.svc.cluster.local. 5 IN A 10.2.0.10
            web-1.nginx.web.svc.cluster.local. 5 IN A 10.2.0.11
            10.0.2.10.in-addr.arpa. 5 IN PTR web-0.nginx.web.svc.cluster.local.
            11.0.2.10.in-addr.arpa. 5 IN PTR web-1.nginx.web.svc.cluster.local.
            _http._tcp.nginx.web.svc.cluster.local. 5 IN SRV 0 50 8080 web-0.nginx.web.svc.cluster.local.
            _http._tcp.nginx.web.svc.cluster.local. 5 IN SRV 0 50 8080 web-1.nginx.web.svc.cluster.local.
            nginx.web.svc.cluster.local. 5 IN SRV 0 25 8080 web-0.nginx.web.svc.cluster.local.
            nginx.web.svc.cluster.local. 5 IN SRV 0 25 8080 web-1.nginx.web.svc.cluster.local.
            nginx.web.svc.cluster.local. 5 IN SRV 0 25 9090 web-0.nginx.web.svc.cluster.local.
            nginx.web.svc.cluster.local. 5 IN SRV 0 25 9090 web-1.nginx.web.svc.cluster.local.
            """),
                new Case(
                        "headless dual-stack over several slices: merged, duplicate records dropped (but counted in the SRV"
                                + " weight, as CoreDNS counts them), other services' slices ignored",
                        List.of(headless("ns", "multi", false, port("grpc", "TCP", 50051))),
                        List.of(
                                slice(
                                        "ns",
                                        "multi-a",
                                        "multi",
                                        AddressType.IPv4,
                                        List.of(port("grpc", "TCP", 50051)),
                                        EndpointInfo.ready("", "10.3.0.1")),
                                slice(
                                        "ns",
                                        "multi-b",
                                        "multi",
                                        AddressType.IPv4,
                                        List.of(port("grpc", "TCP", 50051)),
                                        EndpointInfo.ready("", "10.3.0.2"),
                                        EndpointInfo.ready("", "10.3.0.1")),
                                slice(
                                        "ns",
                                        "multi-v6",
                                        "multi",
                                        AddressType.IPv6,
                                        List.of(port("grpc", "TCP", 50051)),
                                        EndpointInfo.ready("", "fd00::1")),
                                slice(
                                        "ns",
                                        "other-a",
                                        "other",
                                        AddressType.IPv4,
                                        List.of(port("grpc", "TCP", 50051)),
                                        EndpointInfo.ready("", "10.9.9.9")),
                                slice(
                                        "other-ns",
                                        "multi-a",
                                        "multi",
                                        AddressType.IPv4,
                                        List.of(port("grpc", "TCP", 50051)),
                                        EndpointInfo.ready("", "10.9.9.8"))),
                        List.of(),
                        """
            multi.ns.svc.cluster.local. 5 IN A 10.3.0.1
            multi.ns.svc.cluster.local. 5 IN A 10.3.0.2
            multi.ns.svc.cluster.local. 5 IN AAAA fd00::1
            10-3-0-1.multi.ns.svc.cluster.local. 5 IN A 10.3.0.1
            10-3-0-2.multi.ns.svc.cluster.local. 5 IN A 10.3.0.2
            fd00--1.multi.ns.svc.cluster.local. 5 IN AAAA fd00::1
            1.0.3.10.in-addr.arpa. 5 IN PTR 10-3-0-1.multi.ns.svc.cluster.local.
            2.0.3.10.in-addr.arpa. 5 IN PTR 10-3-0-2.multi.ns.svc.cluster.local.
            %s 5 IN PTR fd00--1.multi.ns.svc.cluster.local.
            multi.ns.svc.cluster.local. 5 IN SRV 0 25 50051 10-3-0-1.multi.ns.svc.cluster.local.
            multi.ns.svc.cluster.local. 5 IN SRV 0 25 50051 10-3-0-2.multi.ns.svc.cluster.local.
            multi.ns.svc.cluster.local. 5 IN SRV 0 25 50051 fd00--1.multi.ns.svc.cluster.local.
            _grpc._tcp.multi.ns.svc.cluster.local. 5 IN SRV 0 25 50051 10-3-0-1.multi.ns.svc.cluster.local.
            _grpc._tcp.multi.ns.svc.cluster.local. 5 IN SRV 0 25 50051 10-3-0-2.multi.ns.svc.cluster.local.
            _grpc._tcp.multi.ns.svc.cluster.local. 5 IN SRV 0 25 50051 fd00--1.multi.ns.svc.cluster.local.
            """.formatted(V6_PTR_1)),
                new Case(
                        "headless with no ready endpoint: no record at all (NXDOMAIN, as the spec says)",
                        List.of(headless("ns", "empty", false, port("http", "TCP", 80))),
                        List.of(slice(
                                "ns",
                                "empty-1",
                                "empty",
                                AddressType.IPv4,
                                List.of(port("http", "TCP", 80)),
                                EndpointInfo.notReady("", "10.5.0.1"))),
                        List.of(),
                        ""),
                new Case(
                        "ExternalName: a CNAME and nothing else; an IP as external name gives nothing (as CoreDNS)",
                        List.of(
                                new ServiceInfo(
                                        "ns",
                                        "ext",
                                        Type.ExternalName,
                                        List.of(),
                                        "www.example.com",
                                        List.of(port("https", "TCP", 443)),
                                        false),
                                new ServiceInfo(
                                        "ns", "ext-ip", Type.ExternalName, List.of(), "192.0.2.1", List.of(), false)),
                        List.of(),
                        List.of(),
                        """
            ext.ns.svc.cluster.local. 5 IN CNAME www.example.com.
            """),
                new Case(
                        "pods: dashed A and AAAA per pod IP for live pods only",
                        List.of(),
                        List.of(),
                        List.of(
                                new PodInfo("ns", "running", List.of("10.4.0.5", "fd00::5"), "Running", false),
                                new PodInfo("ns", "pending-no-ip", List.of(), "Pending", false),
                                new PodInfo("ns", "going", List.of("10.4.0.6"), "Running", true),
                                new PodInfo("ns", "done", List.of("10.4.0.7"), "Succeeded", false),
                                new PodInfo("ns", "failed", List.of("10.4.0.8"), "Failed", false)),
                        """
            10-4-0-5.ns.pod.cluster.local. 5 IN A 10.4.0.5
            fd00--5.ns.pod.cluster.local. 5 IN AAAA fd00::5
            """));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void producesExactlyTheExpectedRecords(Case c) {
        ClusterZoneBuilder b = ClusterZoneBuilder.defaults();
        ClusterZoneData data = b.build(1, c.services(), c.slices(), c.pods());
        List<Record> all = new ArrayList<>(data.forward());
        all.addAll(data.reverse());
        all.removeIf(r -> r.getType() == org.xbill.DNS.Type.SOA);
        all.removeAll(b.apexRecords());

        assertThat(ZoneText.lines(all)).containsExactlyInAnyOrderElementsOf(ZoneText.lines(c.expected()));
        assertThat(data.reverse()).allMatch(ClusterZoneBuilder::isReverse);
        assertThat(data.forward()).allMatch(r -> r.getName().subdomain(b.domain()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameInputsGiveSameRecordsInSameOrder(Case c) {
        ClusterZoneBuilder b = ClusterZoneBuilder.defaults();
        List<ServiceInfo> reversedServices = new ArrayList<>(c.services());
        java.util.Collections.reverse(reversedServices);
        List<EndpointSliceInfo> reversedSlices = new ArrayList<>(c.slices());
        java.util.Collections.reverse(reversedSlices);
        ClusterZoneData one = b.build(7, c.services(), c.slices(), c.pods());
        ClusterZoneData two = b.build(7, reversedServices, reversedSlices, c.pods());
        assertThat(two.forward().stream().map(Record::toString).toList())
                .containsExactlyElementsOf(
                        one.forward().stream().map(Record::toString).toList());
        assertThat(two.reverse().stream().map(Record::toString).toList())
                .containsExactlyElementsOf(
                        one.reverse().stream().map(Record::toString).toList());
    }

    @Test
    void apexHasSoaNsGlueAndSchemaVersion() {
        ClusterZoneBuilder b = new ClusterZoneBuilder("cluster.local", 5, List.of("10.96.0.10", "fd00:10:96::a"));
        ClusterZoneData data = b.build(42, List.of(), List.of(), List.of());
        assertThat(ZoneText.lines(data.forward())).containsExactlyInAnyOrderElementsOf(ZoneText.lines("""
        cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 42 7200 1800 86400 5
        cluster.local. 5 IN NS ns.dns.cluster.local.
        ns.dns.cluster.local. 5 IN A 10.96.0.10
        ns.dns.cluster.local. 5 IN AAAA fd00:10:96::a
        dns-version.cluster.local. 5 IN TXT "1.1.0"
        """));
        assertThat(data.reverse()).isEmpty();
    }

    @Test
    void customClusterDomainAndTtl() {
        ClusterZoneBuilder b = new ClusterZoneBuilder("Corp.Internal.", 30, List.of());
        ClusterZoneData data = b.build(
                3,
                List.of(clusterIp("team", "app", List.of("10.100.0.7"), port("metrics", "TCP", 9100))),
                List.of(),
                List.of(new PodInfo("team", "app-1", List.of("10.244.1.2"), "Running", false)));
        List<Record> all = new ArrayList<>(data.forward());
        all.addAll(data.reverse());
        assertThat(ZoneText.lines(all)).containsExactlyInAnyOrderElementsOf(ZoneText.lines("""
        corp.internal. 30 IN SOA ns.dns.corp.internal. hostmaster.corp.internal. 3 7200 1800 86400 30
        corp.internal. 30 IN NS ns.dns.corp.internal.
        dns-version.corp.internal. 30 IN TXT "1.1.0"
        app.team.svc.corp.internal. 30 IN A 10.100.0.7
        7.0.100.10.in-addr.arpa. 30 IN PTR app.team.svc.corp.internal.
        app.team.svc.corp.internal. 30 IN SRV 0 100 9100 app.team.svc.corp.internal.
        _metrics._tcp.app.team.svc.corp.internal. 30 IN SRV 0 100 9100 app.team.svc.corp.internal.
        10-244-1-2.team.pod.corp.internal. 30 IN A 10.244.1.2
        """));
    }

    @Test
    void invalidEndpointHostnameFallsBackToTheDashedAddress() {
        ClusterZoneBuilder b = ClusterZoneBuilder.defaults();
        List<Record> records = b.serviceRecords(
                headless("ns", "h", false),
                List.of(slice(
                        "ns", "h-1", "h", AddressType.IPv4, List.of(), EndpointInfo.ready("Not_A.Label", "10.6.0.1"))));
        assertThat(ZoneText.lines(records)).containsExactlyInAnyOrderElementsOf(ZoneText.lines("""
        h.ns.svc.cluster.local. 5 IN A 10.6.0.1
        10-6-0-1.h.ns.svc.cluster.local. 5 IN A 10.6.0.1
        1.0.6.10.in-addr.arpa. 5 IN PTR 10-6-0-1.h.ns.svc.cluster.local.
        """));
    }

    @Test
    void badConfigurationIsRejectedWithAMessageNamingIt() {
        assertThatThrownBy(() -> new ClusterZoneBuilder("bad_domain.local", 5, List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad_domain.local");
        assertThatThrownBy(() -> new ClusterZoneBuilder("", 5, List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cluster domain");
        assertThatThrownBy(() -> new ClusterZoneBuilder("cluster.local", -1, List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("TTL -1");
        assertThatThrownBy(() -> new ClusterZoneBuilder("cluster.local", 5, List.of("kube-dns")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'kube-dns'");
        assertThatThrownBy(() -> ServiceInfo.Type.parse("Weird"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Weird");
    }
}
