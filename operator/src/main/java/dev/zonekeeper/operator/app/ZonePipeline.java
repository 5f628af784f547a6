package dev.zonekeeper.operator.app;

import dev.zonekeeper.dns.transfer.NotifySender;
import dev.zonekeeper.dns.transfer.PrimaryZones;
import dev.zonekeeper.dns.transfer.TransferServer;
import dev.zonekeeper.dns.transfer.TsigKeyFile;
import dev.zonekeeper.dns.update.UpdateService;
import dev.zonekeeper.dns.wire.HostPort;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.operator.config.ZonekeeperConfig;
import dev.zonekeeper.operator.discovery.ClusterZoneBuilder;
import dev.zonekeeper.operator.informers.ClusterInformers;
import dev.zonekeeper.operator.reconciler.UpdateEvents;
import dev.zonekeeper.operator.records.DnsRecordPolicy;
import dev.zonekeeper.operator.records.DnsRecordServing;
import dev.zonekeeper.operator.records.RecordRegistry;
import dev.zonekeeper.operator.updatepolicy.PolicyUpdateHandler;
import dev.zonekeeper.operator.updatepolicy.UpdateMetrics;
import dev.zonekeeper.operator.updatepolicy.UpdatePolicies;
import dev.zonekeeper.operator.updatepolicy.UpdatePolicyInformers;
import dev.zonekeeper.operator.updates.KubernetesUpdateStore;
import dev.zonekeeper.operator.zone.FirstTransfers;
import dev.zonekeeper.operator.zone.ProgrammingLatency;
import dev.zonekeeper.operator.zone.ZonePublisher;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.xbill.DNS.TSIG;

/**
 * The composition root: the only class that knows every package. It wires the operator's data path, started with
 * Quarkus: informers (Services, EndpointSlices, Pods, DnsRecords) feed the pure {@link ClusterZoneBuilder} through the
 * {@link ZonePublisher}, and the DnsRecords the one serving decision ({@link DnsRecordServing}), whose accepted records
 * reach the publisher through the {@link RecordRegistry}; the reconciler gets the decision and the publisher as beans.
 * The zones are served by a {@link TransferServer} on
 * {@code zonekeeper.transfer.listen}, TSIG-protected with {@code zonekeeper.tsig.key-file}, and every change is
 * announced by NOTIFY to {@code zonekeeper.transfer.notify} (the DNS server sidecar). Every replica runs all of this
 * from its own informers; no leader is needed to serve.
 *
 * <p>Dynamic updates: DnsUpdatePolicies and the Secrets they reference ({@link UpdatePolicyInformers}) make the
 * policies ({@link UpdatePolicies}) an {@link UpdateService} checks UPDATEs against; the TransferServer hands it the
 * UPDATEs the sidecar forwards, and lets a policy's key transfer its zone. Outcomes are counted ({@link UpdateMetrics})
 * and refusals become rate-limited Warning Events on the policy ({@link UpdateEvents}).
 */
@Singleton
public class ZonePipeline {

    private static final Logger LOG = Logger.getLogger(ZonePipeline.class);

    /** How long an accepted update waits for a secondary to transfer it before it is answered anyway. */
    static final java.time.Duration SECONDARY_WAIT = java.time.Duration.ofSeconds(5);

    private final KubernetesClient client;
    private final ZonekeeperConfig config;
    private final RecordRegistry registry;
    private final ZoneSettings settings;
    private final PrimaryZones zones = new PrimaryZones();
    private final ProgrammingLatency latency;
    private final ZonePublisher publisher;
    private final DnsRecordServing dnsRecords;
    private final UpdatePolicies updatePolicies;
    private final UpdateMetrics updateMetrics;
    private volatile UpdateService updateService;
    private final List<AutoCloseable> running = new ArrayList<>();
    private ClusterInformers informers;
    private volatile InetSocketAddress transferAddress;

    @Inject
    public ZonePipeline(
            KubernetesClient client,
            ZonekeeperConfig config,
            ZoneSettings settings,
            RecordRegistry registry,
            MeterRegistry meters) {
        this.client = client;
        this.config = config;
        this.registry = registry;
        this.settings = settings;
        this.latency = new ProgrammingLatency(meters);
        ClusterZoneBuilder builder =
                new ClusterZoneBuilder(settings.clusterDomain().toString(), config.ttl(), List.of());
        this.publisher = new ZonePublisher(settings, builder, zones, latency);
        this.dnsRecords = new DnsRecordServing(new DnsRecordPolicy(settings), registry);
        this.updatePolicies = new UpdatePolicies(settings, inForce -> {
            UpdateService service = updateService;
            if (service != null) {
                service.policies(inForce);
            }
        });
        List<org.xbill.DNS.Name> served = new ArrayList<>(settings.zones());
        served.add(settings.clusterDomain());
        this.updateMetrics = new UpdateMetrics(meters, served);
    }

    /** The verdicts on every DnsUpdatePolicy, which the reconciler writes into status. */
    @Produces
    @Singleton
    UpdatePolicies updatePolicies() {
        return updatePolicies;
    }

    /** The publisher, for the reconciler ({@link ZonePublisher#servedSerial}) and health checks. */
    @Produces
    @Singleton
    ZonePublisher publisher() {
        return publisher;
    }

    /** The serving decision about every DnsRecord, which the reconciler writes into status. */
    @Produces
    @Singleton
    DnsRecordServing dnsRecords() {
        return dnsRecords;
    }

    public PrimaryZones zones() {
        return zones;
    }

    public ProgrammingLatency latency() {
        return latency;
    }

    /** Where the zone-transfer server listens (null before start-up). */
    public InetSocketAddress transferAddress() {
        return transferAddress;
    }

    void start(@Observes StartupEvent event) throws IOException {
        TSIG key = readKey(config.tsig().keyFile());
        InetSocketAddress listen =
                hostPort("zonekeeper.transfer.listen", config.transfer().listen());
        List<InetSocketAddress> secondaries = new ArrayList<>();
        for (String target : config.transfer().notifyTargets()) {
            if (!target.isBlank()) {
                secondaries.add(hostPort("zonekeeper.transfer.notify", target.trim()));
            }
        }
        TransferServer server;
        try {
            server = TransferServer.start(listen, zones, key);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "zonekeeper.transfer.listen: cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        running.add(server);
        transferAddress = server.address();
        server.addServedListener(latency::served);
        // once every zone has gone out whole: collect the transfers' garbage, so the heap settles (see FirstTransfers)
        server.addServedListener(new FirstTransfers(publisher.origins(), () -> {
            Thread t = new Thread(System::gc, "gc-after-first-transfers");
            t.setDaemon(true);
            t.start();
        }));
        startUpdates(server, !secondaries.isEmpty());
        NotifySender notify = new NotifySender(secondaries, key, NotifySender.Options.DEFAULT);
        running.add(notify);
        zones.addListener(notify);

        registry.addListener(changed -> publisher.dnsRecordChanged(
                changed, registry.snapshot().recordSets().get(changed), System.nanoTime()));
        publisher.dnsRecordsChanged(registry.snapshot().recordSets(), System.nanoTime());

        // every replica decides from its own DnsRecord informer what is served; the leader only writes status
        informers = new ClusterInformers(
                client, publisher, dnsRecords, config.pods() == ZonekeeperConfig.PodRecords.VERIFIED);
        running.add(informers);
        informers.start().whenComplete((ok, error) -> {
            if (error != null) {
                LOG.errorf(error, "informers failed to start; zones stay unpublished");
            }
        });
        LOG.infof(
                "zone pipeline started: transfers on %s, NOTIFY to %s, zones %s (published after the first sync), "
                        + "pod records %s",
                server.address(),
                secondaries,
                publisher.origins(),
                config.pods().name().toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * The UpdateService behind the transfer server, over the Kubernetes store (accepted updates become DnsRecords
     * through the API, answered once this replica's zones serve them), and the policy informers that keep its
     * policies current.
     */
    private void startUpdates(TransferServer server, boolean secondaries) {
        if (!config.updates().enabled()) {
            LOG.info("dynamic updates are off (zonekeeper.updates.enabled=false): UPDATE is answered NOTIMP");
            return;
        }
        // NOERROR once the sidecar (the secondary that forwarded the update, and that clients such as an ACME CA
        // query) has the change too, not only this operator's zone; bounded, then answered anyway
        KubernetesUpdateStore.Options options = secondaries
                ? KubernetesUpdateStore.Options.DEFAULT.withTransferWait(SECONDARY_WAIT)
                : KubernetesUpdateStore.Options.DEFAULT;
        KubernetesUpdateStore store =
                new KubernetesUpdateStore(client, settings, zones, publisher, dnsRecords, options);
        running.add(store);
        server.addServedListener(store::transferred);
        UpdateEvents events = new UpdateEvents(client, updatePolicies);
        running.add(events);
        UpdateService service = new UpdateService(store, UpdateService.Options.DEFAULT, Clock.systemUTC(), outcome -> {
            updateMetrics.record(outcome);
            events.outcome(outcome);
        });
        // the field first: a policy change from now on reaches the service, then the policies as they are now
        updateService = service;
        service.policies(updatePolicies.inForce());
        server.updates(new PolicyUpdateHandler(service, settings.clusterDomain()));
        updateMetrics.dropped(server.stats()::updatesDropped);
        UpdatePolicyInformers policyInformers = new UpdatePolicyInformers(client, updatePolicies);
        running.add(policyInformers);
        policyInformers.start();
    }

    void stop(@Observes ShutdownEvent event) {
        for (int i = running.size() - 1; i >= 0; i--) {
            try {
                running.get(i).close();
            } catch (Exception e) {
                LOG.debugf(e, "closing %s", running.get(i));
            }
        }
        running.clear();
    }

    static TSIG readKey(Optional<String> keyFile) throws IOException {
        if (keyFile.isEmpty() || keyFile.get().isBlank()) {
            LOG.warn(
                    "zonekeeper.tsig.key-file is not set: zone transfers are not protected by TSIG (development only)");
            return null;
        }
        try {
            return TsigKeyFile.read(Path.of(keyFile.get()));
        } catch (IOException e) {
            throw new IOException("zonekeeper.tsig.key-file: cannot read " + keyFile.get() + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("zonekeeper.tsig.key-file: " + e.getMessage(), e);
        }
    }

    /** {@code HOST:PORT} or {@code [IPV6]:PORT} ({@link HostPort}); the host must be an IP address, not a name. */
    static InetSocketAddress hostPort(String key, String value) {
        try {
            return HostPort.parse(value).literal();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage() + " (e.g. 127.0.0.1:5300)", e);
        }
    }
}
