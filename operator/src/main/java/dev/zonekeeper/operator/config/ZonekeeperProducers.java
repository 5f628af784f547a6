package dev.zonekeeper.operator.config;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.arc.Unremovable;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.List;

/** Turns {@link ZonekeeperConfig} into checked settings at start-up, and runs leader election. */
@ApplicationScoped
public class ZonekeeperProducers {

    /** Built eagerly so an invalid zone name stops the operator at start-up. */
    @Produces
    @Singleton
    @Startup
    ZoneSettings zoneSettings(ZonekeeperConfig config) {
        return ZoneSettings.parse(config.clusterDomain(), config.zones().orElse(List.of()), config.zoneWriters());
    }

    /**
     * Leader election for status writes (see {@link Leadership}), run by Zonekeeper rather than JOSDK: JOSDK's checks
     * Lease access at start-up (so the operator cannot start while the API server is away) and exits or keeps
     * reconciling once the Lease is lost, since its elector cannot compete again.
     */
    @Produces
    @Singleton
    Leadership leadership(ZonekeeperConfig config, KubernetesClient client) {
        ZonekeeperConfig.LeaderElection election = config.leaderElection();
        if (!election.enabled()) {
            return Leadership.always();
        }
        String namespace = election.leaseNamespace().filter(n -> !n.isBlank()).orElseGet(client::getNamespace);
        if (namespace == null || namespace.isBlank()) {
            throw new IllegalArgumentException(
                    "zonekeeper.leader-election.lease-namespace: not set, and the operator's own "
                            + "namespace is unknown (no service account namespace, no kubeconfig namespace): set it");
        }
        return new Leadership(client, namespace, election.leaseName(), identity());
    }

    /** Competes for the Lease from start-up on, in the background. */
    void startLeaderElection(@Observes StartupEvent event, Leadership leadership) {
        leadership.start();
    }

    /** Gives the Lease up on SIGTERM, so another replica writes status at once. */
    void stopLeaderElection(@Observes ShutdownEvent event, Leadership leadership) {
        leadership.close();
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
        return MicrometerMetrics.newMicrometerMetricsBuilder(meters)
                .notCollectingMetricsPerResource()
                .build();
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
