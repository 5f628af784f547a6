package dev.zonekeeper.operator.config;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.arc.Unremovable;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.List;

/** Turns {@link ZonekeeperConfig} into checked settings at start-up, and configures leader election. */
@ApplicationScoped
public class ZonekeeperProducers {

  /** Built eagerly so an invalid zone name stops the operator at start-up. */
  @Produces
  @Singleton
  @Startup
  ZoneSettings zoneSettings(ZonekeeperConfig config) {
    return ZoneSettings.parse(config.clusterDomain(), config.zones().orElse(List.of()), config.zoneWriters());
  }

  /** QOSDK picks this up (in the prod profile): only the holder of the Lease reconciles and writes status. */
  @Produces
  @Singleton
  @Unremovable // looked up programmatically by QOSDK
  LeaderElectionConfiguration leaderElection(ZonekeeperConfig config, LeadershipLoss loss) {
    ZonekeeperConfig.LeaderElection election = config.leaderElection();
    String identity = identity();
    // JOSDK's own exit-on-stop-leading stays off: it calls System.exit inside the shutdown hook on SIGTERM, which
    // blocks forever (see LeadershipLoss, which exits when leadership is lost while running)
    return new LeaderElectionConfiguration(election.leaseName(), election.leaseNamespace().orElse(null),
        LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
        LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
        LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, identity,
        loss.callbacks(identity, election.exitOnStopLeading()), false);
  }

  /**
   * JOSDK's reconciliation metrics per controller, not per resource. QOSDK's default collects them per resource
   * (name and namespace tags): a dozen meters per DnsRecord, among them a timer with percentile histograms, 12 MB of
   * live heap per 1,000 DnsRecords (jcmd GC.class_histogram) and dozens of Prometheus series each. QOSDK uses this
   * bean instead of its default.
   */
  @Produces
  @Singleton
  @Unremovable // looked up programmatically by QOSDK
  Metrics reconciliationMetrics(MeterRegistry meters) {
    return MicrometerMetrics.newMicrometerMetricsBuilder(meters).notCollectingMetricsPerResource().build();
  }

  /**
   * The Lease holder identity: the pod's name ({@code POD_NAME}, set by the chart), else {@code HOSTNAME} (also the pod
   * name in a pod), else a name unique to this process, so two replicas never share one identity.
   */
  static String identity() {
    for (String variable : List.of("POD_NAME", "HOSTNAME")) {
      String value = System.getenv(variable);
      if (value != null && !value.isBlank()) {
        return value.trim();
      }
    }
    return "zonekeeper-operator-" + ProcessHandle.current().pid() + "-" + java.util.UUID.randomUUID();
  }
}
