package dev.zonekeeper.operator.it;

import dev.zonekeeper.dns.transfer.PrimaryZones;
import dev.zonekeeper.dns.transfer.TransferServer;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.operator.discovery.ClusterZoneBuilder;
import dev.zonekeeper.operator.informers.ClusterInformers;
import dev.zonekeeper.operator.reconciler.DnsRecordPolicy;
import dev.zonekeeper.operator.reconciler.DnsRecordReconciler;
import dev.zonekeeper.operator.reconciler.DnsRecordServing;
import dev.zonekeeper.operator.records.InMemoryRecordRegistry;
import dev.zonekeeper.operator.zone.ProgrammingLatency;
import dev.zonekeeper.operator.zone.ZonePublisher;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.TSIG;

/**
 * One operator replica in-process, wired as {@code ZonePipeline} and QOSDK wire the application: its own informers
 * (Services, EndpointSlices, Pods, DnsRecords), {@link DnsRecordServing}, record registry, zone publisher and TSIG
 * transfer server on a free loopback port, and a JOSDK operator with leader election whose reconciler writes status.
 */
final class Replica implements AutoCloseable {

  final String identity;
  final InMemoryRecordRegistry registry = new InMemoryRecordRegistry();
  final PrimaryZones zones = new PrimaryZones();
  final ZonePublisher publisher;
  final ClusterInformers informers;
  final TransferServer transfers;
  final Operator operator;
  /** How often this replica's reconciler ran (only a leader reconciles). */
  final AtomicInteger reconciliations = new AtomicInteger();
  private boolean closed;

  Replica(KubernetesClient client, ZoneSettings settings, String identity, String leaseName, TSIG key)
      throws IOException {
    this.identity = identity;
    publisher = new ZonePublisher(settings, new ClusterZoneBuilder(settings.clusterDomain().toString(), 5, List.of()),
        zones, new ProgrammingLatency(new SimpleMeterRegistry()));
    registry.addListener(changed -> publisher.dnsRecordChanged(changed, registry.snapshot().recordSets().get(changed),
        System.nanoTime()));
    transfers = TransferServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), zones, key);
    informers = new ClusterInformers(client, publisher,
        new DnsRecordServing(new DnsRecordPolicy(settings), registry));
    operator = new Operator(o -> o.withKubernetesClient(client)
        .withCloseClientOnStop(false)
        .withLeaderElectionConfiguration(new LeaderElectionConfiguration(leaseName, "default",
            LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
            LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
            LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, identity, null, false))
        .withMetrics(new Metrics() {
          @Override
          public void reconciliationExecutionStarted(HasMetadata resource, Map<String, Object> metadata) {
            reconciliations.incrementAndGet();
          }
        }));
    // counted through JOSDK's metrics hook: a Reconciler subclass among the test classes would be picked up by QOSDK
    operator.register(new DnsRecordReconciler(settings, publisher));
  }

  Replica start() {
    informers.start();
    operator.start();
    return this;
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
    operator.stop();
    informers.close();
    transfers.close();
  }

  @Override
  public String toString() {
    return "replica " + identity;
  }
}
