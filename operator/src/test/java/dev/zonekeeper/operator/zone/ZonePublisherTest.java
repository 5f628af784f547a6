package dev.zonekeeper.operator.zone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.transfer.JournaledZone;
import dev.zonekeeper.dns.transfer.PrimaryZones;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.operator.discovery.ClusterZoneBuilder;
import dev.zonekeeper.operator.discovery.EndpointSliceInfo;
import dev.zonekeeper.operator.discovery.EndpointSliceInfo.EndpointInfo;
import dev.zonekeeper.operator.discovery.PodInfo;
import dev.zonekeeper.operator.discovery.PortInfo;
import dev.zonekeeper.operator.discovery.ServiceInfo;
import dev.zonekeeper.operator.records.PublishedRecordSet;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/** ZonePublisher with an in-process PrimaryZones: contents, serials, first sync, DnsRecords, latency. */
class ZonePublisherTest {

    private static final Name CLUSTER = Name.fromConstantString("cluster.local.");
    private static final Name EXAMPLE = Name.fromConstantString("example.com.");
    private static final Name IN_ADDR = Name.fromConstantString("in-addr.arpa.");

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ProgrammingLatency latency = new ProgrammingLatency(meters, nanos::get);
    private final PrimaryZones zones = new PrimaryZones();
    private final ZonePublisher publisher = new ZonePublisher(
            ZoneSettings.parse("cluster.local", List.of("example.com"), Map.of("example.com", "*")),
            new ClusterZoneBuilder("cluster.local", 5, List.of()),
            zones,
            latency);
    private final Map<String, PublishedRecordSet> accepted = new HashMap<>();

    private static ServiceInfo api(PortInfo... ports) {
        return new ServiceInfo(
                "shop", "api", ServiceInfo.Type.ClusterIP, List.of("10.96.0.10"), "", List.of(ports), false);
    }

    private static org.xbill.DNS.Record rr(String owner, int type, long ttl, String rdata) {
        try {
            return org.xbill.DNS.Record.fromString(Name.fromString(owner), type, DClass.IN, ttl, rdata, Name.root);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static PublishedRecordSet dnsRecord(String ns, String name, String owner, int type, String... values) {
        List<org.xbill.DNS.Record> records = new ArrayList<>();
        for (String v : values) {
            records.add(rr(owner, type, 30, v));
        }
        return new PublishedRecordSet(ns, name, Name.fromConstantString(owner), type, records);
    }

    private void accept(PublishedRecordSet set) {
        accepted.put(set.key(), set);
        publisher.dnsRecordChanged(set.key(), set, nanos.get());
    }

    private void withdraw(String key) {
        accepted.remove(key);
        publisher.dnsRecordChanged(key, null, nanos.get());
    }

    private Zone zone(Name origin) {
        JournaledZone jz = zones.get(origin);
        assertThat(jz).as("zone %s served", origin).isNotNull();
        return jz.zone();
    }

    /** The zone's records other than the SOA, in presentation format. */
    private TreeSet<String> content(Name origin) {
        TreeSet<String> out = new TreeSet<>();
        for (org.xbill.DNS.Record r : zone(origin).records()) {
            if (r.getType() != Type.SOA) {
                out.add(r.toString());
            }
        }
        return out;
    }

    private boolean has(Name origin, String owner, int type) {
        return !zone(origin).rrset(Name.fromConstantString(owner), type).isEmpty();
    }

    @Test
    void nothingIsServedBeforeTheFirstSyncThenEverythingAtOnce() {
        publisher.upsertService(api(new PortInfo("http", "TCP", 80)), nanos.get());
        publisher.upsertPod(new PodInfo("shop", "api-1", List.of("10.1.0.7"), "Running", false), nanos.get());
        accept(dnsRecord("team", "www", "www.example.com.", Type.A, "192.0.2.1"));

        assertThat(zones.all()).isEmpty();
        assertThat(publisher.published()).isFalse();
        assertThat(publisher.servedSerial("team", "www")).isEmpty();

        publisher.synced();

        assertThat(publisher.published()).isTrue();
        assertThat(content(CLUSTER))
                .containsExactlyInAnyOrder(
                        "cluster.local.\t\t5\tIN\tNS\tns.dns.cluster.local.",
                        "dns-version.cluster.local.\t5\tIN\tTXT\t1.1.0",
                        "api.shop.svc.cluster.local.\t5\tIN\tA\t10.96.0.10",
                        "_http._tcp.api.shop.svc.cluster.local.\t5\tIN\tSRV\t0 100 80 api.shop.svc.cluster.local.",
                        "api.shop.svc.cluster.local.\t5\tIN\tSRV\t0 100 80 api.shop.svc.cluster.local.",
                        "10-1-0-7.shop.pod.cluster.local.\t5\tIN\tA\t10.1.0.7");
        assertThat(content(IN_ADDR))
                .containsExactlyInAnyOrder(
                        "in-addr.arpa.\t\t5\tIN\tNS\tns.dns.cluster.local.",
                        "10.0.96.10.in-addr.arpa.\t5\tIN\tPTR\tapi.shop.svc.cluster.local.");
        assertThat(content(Name.fromConstantString("ip6.arpa.")))
                .containsExactly("ip6.arpa.\t\t5\tIN\tNS\tns.dns.cluster.local.");
        assertThat(has(EXAMPLE, "www.example.com.", Type.A)).isTrue();
        assertThat(zone(CLUSTER).soa().getHost()).isEqualTo(Name.fromConstantString("ns.dns.cluster.local."));
        assertThat(publisher.servedSerial("team", "www")).hasValue(zone(EXAMPLE).serial());
    }

    @Test
    void eachChangeIsJournaledAsExactlyItsRecordsUnderANewSerial() {
        publisher.upsertService(api(new PortInfo("http", "TCP", 80)), nanos.get());
        publisher.synced();
        long first = zone(CLUSTER).serial();
        long firstReverse = zone(IN_ADDR).serial();

        publisher.upsertService(api(new PortInfo("http", "TCP", 80), new PortInfo("grpc", "TCP", 9090)), nanos.get());

        JournaledZone jz = zones.get(CLUSTER);
        assertThat(jz.serial()).isNotEqualTo(first);
        assertThat(jz.diffsSince(first)).isPresent();
        JournaledZone.Diff diff = jz.diffsSince(first).get().get(0);
        // the SRV at the service name now has two targets, so each weighs 50 (CoreDNS's weighting)
        assertThat(diff.removed())
                .extracting(org.xbill.DNS.Record::toString)
                .containsExactly("api.shop.svc.cluster.local.\t5\tIN\tSRV\t0 100 80 api.shop.svc.cluster.local.");
        assertThat(diff.added())
                .extracting(org.xbill.DNS.Record::toString)
                .containsExactlyInAnyOrder(
                        "_grpc._tcp.api.shop.svc.cluster.local.\t5\tIN\tSRV\t0 100 9090 api.shop.svc.cluster.local.",
                        "api.shop.svc.cluster.local.\t5\tIN\tSRV\t0 50 80 api.shop.svc.cluster.local.",
                        "api.shop.svc.cluster.local.\t5\tIN\tSRV\t0 50 9090 api.shop.svc.cluster.local.");
        assertThat(zone(IN_ADDR).serial()).as("reverse zone untouched").isEqualTo(firstReverse);

        long second = jz.serial();
        publisher.upsertService(api(new PortInfo("http", "TCP", 80), new PortInfo("grpc", "TCP", 9090)), nanos.get());
        assertThat(zone(CLUSTER).serial())
                .as("an equal projection changes nothing")
                .isEqualTo(second);

        publisher.deleteService("shop", "api", nanos.get());
        assertThat(has(CLUSTER, "api.shop.svc.cluster.local.", Type.A)).isFalse();
        assertThat(has(CLUSTER, "_grpc._tcp.api.shop.svc.cluster.local.", Type.SRV))
                .isFalse();
        assertThat(has(IN_ADDR, "10.0.96.10.in-addr.arpa.", Type.PTR)).isFalse();
        assertThat(has(CLUSTER, "dns-version.cluster.local.", Type.TXT)).isTrue();
    }

    @Test
    void aChangeOfAForwardAndAReverseZoneAnnouncesTheForwardZoneFirst() {
        publisher.synced();
        List<Name> announced = new ArrayList<>();
        zones.addListener(jz -> announced.add(jz.zone().origin()));

        // the PTR record sorts before the A record (in-addr.arpa. < cluster.local.), yet the zone a client asks comes
        // first
        publisher.upsertService(api(new PortInfo("http", "TCP", 80)), nanos.get());
        assertThat(announced).containsExactly(CLUSTER, IN_ADDR);

        announced.clear();
        publisher.deleteService("shop", "api", nanos.get());
        assertThat(announced).containsExactly(CLUSTER, IN_ADDR);
    }

    @Test
    void headlessEndpointsFollowTheirSlices() {
        publisher.synced();
        publisher.upsertService(
                new ServiceInfo(
                        "db",
                        "pg",
                        ServiceInfo.Type.ClusterIP,
                        List.of("None"),
                        "",
                        List.of(new PortInfo("pg", "TCP", 5432)),
                        false),
                nanos.get());
        assertThat(zone(CLUSTER).exists(Name.fromConstantString("pg.db.svc.cluster.local.")))
                .isFalse();

        publisher.upsertEndpointSlice(
                new EndpointSliceInfo(
                        "db",
                        "pg-1",
                        "pg",
                        EndpointSliceInfo.AddressType.IPv4,
                        List.of(EndpointInfo.ready("pg-0", "10.1.0.5")),
                        List.of(new PortInfo("pg", "TCP", 5432))),
                nanos.get());
        assertThat(has(CLUSTER, "pg.db.svc.cluster.local.", Type.A)).isTrue();
        assertThat(has(CLUSTER, "pg-0.pg.db.svc.cluster.local.", Type.A)).isTrue();
        assertThat(has(IN_ADDR, "5.0.1.10.in-addr.arpa.", Type.PTR)).isTrue();

        publisher.deleteEndpointSlice("db", "pg-1", nanos.get());
        assertThat(zone(CLUSTER).exists(Name.fromConstantString("pg.db.svc.cluster.local.")))
                .isFalse();
        assertThat(zone(IN_ADDR).exists(Name.fromConstantString("5.0.1.10.in-addr.arpa.")))
                .isFalse();
    }

    @Test
    void aServiceWinsItsNamesOverADnsRecordAndGivesThemBackWhenDeleted() {
        List<String> served = new ArrayList<>();
        publisher.addServedListener((ns, name, serial) -> served.add(ns + "/" + name + "@" + serial));
        publisher.synced();
        accept(dnsRecord("shop", "api-alias", "api.shop.svc.cluster.local.", Type.A, "192.0.2.99"));
        assertThat(zone(CLUSTER).rrset(Name.fromConstantString("api.shop.svc.cluster.local."), Type.A))
                .extracting(org.xbill.DNS.Record::rdataToString)
                .containsExactly("192.0.2.99");
        long servedAt = zone(CLUSTER).serial();
        assertThat(publisher.servedSerial("shop", "api-alias")).hasValue(servedAt);
        assertThat(served).containsExactly("shop/api-alias@" + servedAt);

        publisher.upsertService(api(new PortInfo("http", "TCP", 80)), nanos.get());
        assertThat(zone(CLUSTER).rrset(Name.fromConstantString("api.shop.svc.cluster.local."), Type.A))
                .extracting(org.xbill.DNS.Record::rdataToString)
                .containsExactly("10.96.0.10");
        assertThat(publisher.servedSerial("shop", "api-alias")).isEmpty();
        JournaledZone.Diff diff =
                zones.get(CLUSTER).diffsSince(servedAt).orElseThrow().get(0);
        assertThat(zones.get(CLUSTER).diffsSince(servedAt).orElseThrow())
                .as("one atomic change")
                .hasSize(1);
        assertThat(diff.removed())
                .extracting(org.xbill.DNS.Record::rdataToString)
                .containsExactly("192.0.2.99");

        publisher.deleteService("shop", "api", nanos.get());
        assertThat(zone(CLUSTER).rrset(Name.fromConstantString("api.shop.svc.cluster.local."), Type.A))
                .extracting(org.xbill.DNS.Record::rdataToString)
                .containsExactly("192.0.2.99");
        assertThat(publisher.servedSerial("shop", "api-alias"))
                .hasValue(zone(CLUSTER).serial());
        assertThat(served).hasSize(2);
    }

    /** Issue 13 point 7: the reconciler learns which Service owns a name, and when a Service takes or gives one back. */
    @Test
    void namesTheServiceOwningADnsRecordsNameAndTellsWhenThatChanges() {
        List<String> shadowChanges = new ArrayList<>();
        publisher.addShadowListener((ns, name) -> shadowChanges.add(ns + "/" + name));
        publisher.synced();
        accept(dnsRecord("shop", "srv-alias", "_http._tcp.api.shop.svc.cluster.local.", Type.TXT, "\"x\""));
        assertThat(publisher.serviceOwning(Name.fromConstantString("_http._tcp.api.shop.svc.cluster.local.")))
                .isEmpty();
        assertThat(shadowChanges).isEmpty();

        publisher.upsertService(api(new PortInfo("http", "TCP", 80)), nanos.get());
        assertThat(publisher.serviceOwning(Name.fromConstantString("_http._tcp.api.shop.svc.cluster.local.")))
                .hasValue("shop/api");
        assertThat(publisher.serviceOwning(Name.fromConstantString("api.shop.svc.cluster.local.")))
                .hasValue("shop/api");
        assertThat(publisher.serviceOwning(Name.fromConstantString("web.shop.svc.cluster.local.")))
                .isEmpty();
        assertThat(shadowChanges).containsExactly("shop/srv-alias");

        publisher.deleteService("shop", "api", nanos.get());
        assertThat(publisher.serviceOwning(Name.fromConstantString("api.shop.svc.cluster.local.")))
                .isEmpty();
        assertThat(shadowChanges).containsExactly("shop/srv-alias", "shop/srv-alias");
    }

    @Test
    void dnsRecordsBesideServicesAndSharedRecordsAreCounted() {
        publisher.upsertService(api(new PortInfo("http", "TCP", 80)), nanos.get());
        publisher.synced();
        accept(dnsRecord("shop", "other", "other.shop.svc.cluster.local.", Type.CNAME, "api.shop.svc.cluster.local."));
        accept(dnsRecord("team", "a", "www.example.com.", Type.A, "192.0.2.1"));
        accept(dnsRecord("team", "b", "www.example.com.", Type.A, "192.0.2.1", "192.0.2.2"));
        assertThat(has(CLUSTER, "other.shop.svc.cluster.local.", Type.CNAME)).isTrue();
        assertThat(zone(EXAMPLE).rrset(Name.fromConstantString("www.example.com."), Type.A))
                .hasSize(2);

        withdraw("team/b");
        assertThat(zone(EXAMPLE).rrset(Name.fromConstantString("www.example.com."), Type.A))
                .extracting(org.xbill.DNS.Record::rdataToString)
                .containsExactly("192.0.2.1");
        withdraw("team/a");
        assertThat(zone(EXAMPLE).exists(Name.fromConstantString("www.example.com.")))
                .isFalse();

        accept(dnsRecord("team", "a", "www.example.com.", Type.A, "192.0.2.1"));
        long before = zone(EXAMPLE).serial();
        PublishedRecordSet longer = new PublishedRecordSet(
                "team",
                "a",
                Name.fromConstantString("www.example.com."),
                Type.A,
                List.of(rr("www.example.com.", Type.A, 300, "192.0.2.1")));
        accept(longer);
        assertThat(zone(EXAMPLE).serial()).isNotEqualTo(before);
        assertThat(zone(EXAMPLE).rrset(Name.fromConstantString("www.example.com."), Type.A))
                .extracting(org.xbill.DNS.Record::getTTL)
                .containsExactly(300L);
    }

    @Test
    void aRecordBothAPodAndADnsRecordGiveStaysUntilTheLastOfThemGoes() {
        Name podName = Name.fromConstantString("10-1-0-5.shop.pod.cluster.local.");
        PodInfo pod = new PodInfo("shop", "api-1", List.of("10.1.0.5"), "Running", false);
        PublishedRecordSet pin = dnsRecord("shop", "pin", "10-1-0-5.shop.pod.cluster.local.", Type.A, "10.1.0.5");
        publisher.upsertPod(pod, nanos.get());
        accept(pin);
        publisher.synced();
        assertThat(zone(CLUSTER).rrset(podName, Type.A))
                .extracting(org.xbill.DNS.Record::rdataToString)
                .containsExactly("10.1.0.5");

        publisher.deletePod("shop", "api-1", nanos.get()); // the pod goes first: the DnsRecord still gives it
        assertThat(has(CLUSTER, "10-1-0-5.shop.pod.cluster.local.", Type.A)).isTrue();
        withdraw("shop/pin");
        assertThat(zone(CLUSTER).exists(podName)).isFalse();

        accept(pin); // the DnsRecord goes first: the pod still gives it
        publisher.upsertPod(pod, nanos.get());
        long serial = zone(CLUSTER).serial();
        withdraw("shop/pin");
        assertThat(zone(CLUSTER).serial()).as("nothing served changed").isEqualTo(serial);
        assertThat(has(CLUSTER, "10-1-0-5.shop.pod.cluster.local.", Type.A)).isTrue();
        publisher.deletePod("shop", "api-1", nanos.get());
        assertThat(zone(CLUSTER).exists(podName)).isFalse();
    }

    @Test
    void theWholeRegistryAtOnceGivesTheZonesThatItsChangesOneByOneGave() {
        publisher.synced();
        accept(dnsRecord("team", "a", "www.example.com.", Type.A, "192.0.2.1"));
        accept(dnsRecord("team", "b", "www.example.com.", Type.A, "192.0.2.1", "192.0.2.2"));
        accept(dnsRecord("team", "c", "db.example.com.", Type.A, "192.0.2.3"));
        withdraw("team/a");
        accept(dnsRecord("team", "c", "db.example.com.", Type.A, "192.0.2.4"));

        PrimaryZones bulkZones = new PrimaryZones();
        ZonePublisher bulk = new ZonePublisher(
                ZoneSettings.parse("cluster.local", List.of("example.com"), Map.of("example.com", "*")),
                new ClusterZoneBuilder("cluster.local", 5, List.of()),
                bulkZones,
                latency);
        bulk.synced();
        bulk.dnsRecordsChanged(Map.copyOf(accepted), nanos.get());
        TreeSet<String> bulkContent = new TreeSet<>();
        for (org.xbill.DNS.Record r : bulkZones.get(EXAMPLE).zone().records()) {
            if (r.getType() != Type.SOA) {
                bulkContent.add(r.toString());
            }
        }
        assertThat(bulkContent).isEqualTo(content(EXAMPLE));
        assertThat(content(EXAMPLE))
                .contains("db.example.com.\t\t30\tIN\tA\t192.0.2.4", "www.example.com.\t30\tIN\tA\t192.0.2.2")
                .doesNotContain("db.example.com.\t\t30\tIN\tA\t192.0.2.3");
    }

    @Test
    void programmingDurationRunsFromTheEventToTheTransferOfItsSerial() {
        publisher.synced();
        long eventAt = nanos.get();
        publisher.upsertService(api(new PortInfo("http", "TCP", 80)), eventAt);
        long serial = zone(CLUSTER).serial();
        assertThat(latency.pending()).isEqualTo(2); // cluster zone and reverse zone

        nanos.addAndGet(250_000_000L);
        latency.served(CLUSTER, serial - 1);
        assertThat(latency.timer(ProgrammingLatency.Kind.Service).count()).isZero();
        latency.served(CLUSTER, serial);
        assertThat(latency.timer(ProgrammingLatency.Kind.Service).count()).isEqualTo(1);
        assertThat(latency.timer(ProgrammingLatency.Kind.Service).totalTime(java.util.concurrent.TimeUnit.MILLISECONDS))
                .isEqualTo(250.0);
        latency.served(IN_ADDR, zone(IN_ADDR).serial());
        assertThat(latency.timer(ProgrammingLatency.Kind.Service).count()).isEqualTo(2);
        assertThat(latency.pending()).isZero();

        publisher.upsertPod(new PodInfo("shop", "p", List.of("10.1.0.9"), "Running", false), nanos.get());
        latency.served(CLUSTER, zone(CLUSTER).serial());
        assertThat(latency.timer(ProgrammingLatency.Kind.Pod).count()).isEqualTo(1);
        assertThat(meters.find("zonekeeper.programming.duration")
                        .tag("kind", "Pod")
                        .timer())
                .isNotNull();
    }

    @Test
    void changesBeforeTheFirstSyncAreNotMeasured() {
        publisher.upsertService(api(new PortInfo("http", "TCP", 80)), nanos.get());
        publisher.synced();
        latency.served(CLUSTER, zone(CLUSTER).serial());
        assertThat(latency.pending()).isZero();
        assertThat(latency.timer(ProgrammingLatency.Kind.Service).count()).isZero();
    }
}
