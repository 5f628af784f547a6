package dev.zonekeeper.operator.it;

import dev.zonekeeper.dns.transfer.PrimaryZones;
import dev.zonekeeper.dns.transfer.TransferServer;
import dev.zonekeeper.operator.config.Leadership;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.operator.discovery.ClusterZoneBuilder;
import dev.zonekeeper.operator.informers.ClusterInformers;
import dev.zonekeeper.operator.reconciler.DnsRecordReconciler;
import dev.zonekeeper.operator.records.DnsRecordPolicy;
import dev.zonekeeper.operator.records.DnsRecordServing;
import dev.zonekeeper.operator.records.InMemoryRecordRegistry;
import dev.zonekeeper.operator.zone.ProgrammingLatency;
import dev.zonekeeper.operator.zone.ZonePublisher;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.xbill.DNS.TSIG;

/**
 * One operator replica in-process, wired as {@code ZonePipeline} and QOSDK wire the application: its own informers
 * (Services, EndpointSlices, Pods, DnsRecords), {@link DnsRecordServing}, record registry, zone publisher and TSIG
 * transfer server on a free loopback port, a JOSDK operator whose reconciler writes status while the replica holds the
 * Lease, and Zonekeeper's leader election ({@link Leadership}).
 */
final class Replica implements AutoCloseable {

    final String identity;
    final InMemoryRecordRegistry registry = new InMemoryRecordRegistry();
    final PrimaryZones zones = new PrimaryZones();
    final ZonePublisher publisher;
    final ClusterInformers informers;
    final TransferServer transfers;
    final Operator operator;
    final Leadership leadership;
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private boolean closed;

    Replica(KubernetesClient client, ZoneSettings settings, String identity, String leaseName, TSIG key)
            throws IOException {
        this.identity = identity;
        publisher = new ZonePublisher(
                settings,
                new ClusterZoneBuilder(settings.clusterDomain().toString(), 5, List.of()),
                zones,
                new ProgrammingLatency(new SimpleMeterRegistry()));
        registry.addListener(changed -> publisher.dnsRecordChanged(
                changed, registry.snapshot().recordSets().get(changed), System.nanoTime()));
        transfers = TransferServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), zones, key);
        DnsRecordServing dnsRecords = new DnsRecordServing(new DnsRecordPolicy(settings), registry);
        informers = new ClusterInformers(client, publisher, dnsRecords);
        // leader election as the application runs it (ZonekeeperProducers): Zonekeeper's own, not JOSDK's
        leadership = new Leadership(client, "default", leaseName, identity);
        operator = new Operator(o -> o.withKubernetesClient(client).withCloseClientOnStop(false));
        operator.register(new DnsRecordReconciler(dnsRecords, publisher, leadership, meters));
    }

    Replica start() {
        informers.start();
        operator.start();
        leadership.start();
        return this;
    }

    /** Status patches this replica's reconciler wrote. */
    long statusWrites() {
        return (long) meters.get(DnsRecordReconciler.WRITES_METRIC)
                .tag("kind", "status")
                .counter()
                .count();
    }

    InetSocketAddress transferAddress() {
        return transfers.address();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        leadership.close();
        operator.stop();
        informers.close();
        transfers.close();
    }

    @Override
    public String toString() {
        return "replica " + identity;
    }
}
