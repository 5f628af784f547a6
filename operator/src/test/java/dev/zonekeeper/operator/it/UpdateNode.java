package dev.zonekeeper.operator.it;

import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.transfer.PrimaryZones;
import dev.zonekeeper.dns.update.ChangeSet;
import dev.zonekeeper.dns.update.ChangeSet.RRsetChange;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.operator.discovery.ClusterZoneBuilder;
import dev.zonekeeper.operator.informers.ClusterInformers;
import dev.zonekeeper.operator.records.DnsRecordPolicy;
import dev.zonekeeper.operator.records.DnsRecordServing;
import dev.zonekeeper.operator.records.InMemoryRecordRegistry;
import dev.zonekeeper.operator.updates.KubernetesUpdateStore;
import dev.zonekeeper.operator.zone.ProgrammingLatency;
import dev.zonekeeper.operator.zone.ZonePublisher;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.Name;

/**
 * One operator replica's update path in-process, wired as {@code ZonePipeline} wires it: its own API client and
 * informers (Services, EndpointSlices, DnsRecords), serving decision, record registry, zone publisher and served zones,
 * and a {@link KubernetesUpdateStore} over them. {@code storeConfig} is where the store writes (e.g. through a relay
 * the test cuts); the informers always reach the API server directly.
 */
final class UpdateNode implements AutoCloseable {

    final KubernetesClient informerClient;
    final KubernetesClient storeClient;
    final PrimaryZones zones = new PrimaryZones();
    final InMemoryRecordRegistry registry = new InMemoryRecordRegistry();
    final ZonePublisher publisher;
    final DnsRecordServing dnsRecords;
    final ClusterInformers informers;
    final KubernetesUpdateStore store;

    UpdateNode(Config direct, Config storeConfig, ZoneSettings settings, KubernetesUpdateStore.Options options) {
        informerClient = new KubernetesClientBuilder().withConfig(direct).build();
        storeClient = new KubernetesClientBuilder().withConfig(storeConfig).build();
        publisher = new ZonePublisher(
                settings,
                new ClusterZoneBuilder(settings.clusterDomain().toString(), 5, List.of()),
                zones,
                new ProgrammingLatency(new SimpleMeterRegistry()));
        registry.addListener(changed -> publisher.dnsRecordChanged(
                changed, registry.snapshot().recordSets().get(changed), System.nanoTime()));
        dnsRecords = new DnsRecordServing(new DnsRecordPolicy(settings), registry);
        informers = new ClusterInformers(informerClient, publisher, dnsRecords, false);
        store = new KubernetesUpdateStore(storeClient, settings, zones, publisher, dnsRecords, options);
    }

    UpdateNode start() {
        informers.start();
        await().atMost(Duration.ofSeconds(60)).until(publisher::published);
        return this;
    }

    Zone zone(Name origin) {
        return store.current(origin).orElseThrow();
    }

    @Override
    public void close() {
        store.close();
        informers.close();
        storeClient.close();
        informerClient.close();
    }

    /**
     * What an update of {@code adds} and {@code deletes} (single records; RFC 2136 3.4.2.2 and 3.4.2.4) changes in
     * {@code zone}, as the update service's evaluation computes it: RRsets left as they were are not listed.
     */
    static ChangeSet evaluate(Zone zone, List<org.xbill.DNS.Record> adds, List<org.xbill.DNS.Record> deletes) {
        Map<List<Object>, Set<org.xbill.DNS.Record>> after = new LinkedHashMap<>();
        Map<List<Object>, Long> ttl = new LinkedHashMap<>();
        for (org.xbill.DNS.Record r : adds) {
            List<Object> key = List.of(r.getName(), r.getType());
            after.computeIfAbsent(key, k -> new LinkedHashSet<>(zone.rrset(r.getName(), r.getType())))
                    .add(r);
            ttl.putIfAbsent(key, r.getTTL());
        }
        for (org.xbill.DNS.Record r : deletes) {
            List<Object> key = List.of(r.getName(), r.getType());
            after.computeIfAbsent(key, k -> new LinkedHashSet<>(zone.rrset(r.getName(), r.getType())))
                    .remove(r);
        }
        List<RRsetChange> changes = new ArrayList<>();
        for (Map.Entry<List<Object>, Set<org.xbill.DNS.Record>> e : after.entrySet()) {
            Name name = (Name) e.getKey().get(0);
            int type = (Integer) e.getKey().get(1);
            Set<org.xbill.DNS.Record> before = zone.rrset(name, type);
            long t = ttl.getOrDefault(
                    e.getKey(), before.isEmpty() ? 0 : before.iterator().next().getTTL());
            List<org.xbill.DNS.Record> list = new ArrayList<>();
            for (org.xbill.DNS.Record r : e.getValue()) {
                list.add(r.withName(name)); // TTL of the set: the first added record's
            }
            boolean sameTtl = before.stream().allMatch(r -> r.getTTL() == t);
            if (before.size() == list.size() && before.containsAll(list) && sameTtl) {
                continue;
            }
            changes.add(new RRsetChange(name, type, t, List.copyOf(before), List.copyOf(list)));
        }
        return new ChangeSet(zone.origin(), changes);
    }
}
