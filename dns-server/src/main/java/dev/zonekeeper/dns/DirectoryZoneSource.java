package dev.zonekeeper.dns;

import dev.zonekeeper.dns.config.ServerConfig;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.server.UpdateHandler;
import dev.zonekeeper.dns.standalone.DirectoryWatcher;
import dev.zonekeeper.dns.standalone.FileUpdateStore;
import dev.zonekeeper.dns.standalone.LoadResult;
import dev.zonekeeper.dns.standalone.ManifestDirectory;
import dev.zonekeeper.dns.standalone.PolicyDocument;
import dev.zonekeeper.dns.standalone.Rejection;
import dev.zonekeeper.dns.update.UpdatePolicy;
import dev.zonekeeper.dns.updates.LocalUpdates;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;

/** Standalone mode: the zones are built from the {@code --records} manifests, rebuilt whenever a file changes. */
final class DirectoryZoneSource implements ZoneSource {
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryZoneSource.class);

    private final ServerConfig config;
    private final DnsMetrics metrics;
    private DirectoryWatcher watcher;
    /** The zones served now, which updates are evaluated on. */
    private volatile ZoneSet served = ZoneSet.empty();

    private FileUpdateStore store;
    private LocalUpdates updates;
    private List<PolicyDocument> lastPolicies = List.of();

    DirectoryZoneSource(ServerConfig config, DnsMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
    }

    @Override
    public Set<Name> pending() {
        return Set.of(); // nothing is answered before the directory is loaded, which open() does before the port opens
    }

    @Override
    public void open(Sink sink) throws IOException, InterruptedException {
        StandaloneZones zones =
                new StandaloneZones(config.zones(), config.listen().getAddress(), config.zoneTtl());
        ManifestDirectory manifests = new ManifestDirectory(
                config.records(),
                new LinkedHashSet<>(config.zones()),
                new ManifestDirectory.Limits(config.recordsMaxFileBytes(), config.recordsMaxRecords()));
        FileUpdateStore.recover(config.records()); // before the first load: a commit a stop cut short
        store = new FileUpdateStore(config.records(), () -> served);
        try {
            updates = new LocalUpdates(
                    store, () -> served, config.zones(), config.updateMaxInflight(), config.updateRate(), metrics);
        } catch (UnsupportedOperationException e) {
            LOG.warn("dynamic updates are not available in this build: UPDATE is answered NOTIMP");
        }
        // The watcher loads the directory once and applies it before returning, then reloads on changes.
        watcher = DirectoryWatcher.start(manifests, result -> apply(zones, result, sink));
        store.watcher(watcher);
    }

    @Override
    public UpdateHandler updates() {
        return updates;
    }

    private void apply(StandaloneZones builder, LoadResult result, Sink sink) {
        for (Rejection r : result.rejections()) {
            LOG.warn("rejected {}", r.toLogLine());
        }
        metrics.recordsFilesRefused("file_too_large", result.filesTooLarge());
        metrics.recordsFilesRefused("over_record_limit", result.filesOverRecordLimit());
        metrics.updatePoliciesRejected(result.policiesRejected());
        store.loaded(result); // who holds which name, before updates see the zones
        ZoneSet set = builder.build(result.records());
        served = set;
        sink.zones(set, Set.of());
        if (updates != null) {
            List<UpdatePolicy> policies = new ArrayList<>();
            for (PolicyDocument p : result.policies()) {
                policies.add(p.policy());
            }
            updates.policies(policies);
            if (!result.policies().equals(lastPolicies)) {
                LOG.info(
                        "{} DnsUpdatePolicy document(s): dynamic updates {}",
                        policies.size(),
                        policies.isEmpty() ? "refused until one exists" : "accepted for " + result.policies());
            }
            lastPolicies = result.policies();
        }
        LOG.info(
                "loaded {} records from {} ({} rejected, {} other documents ignored), serial {}",
                result.records().size(),
                "--records",
                result.rejections().size(),
                result.ignoredDocuments(),
                set.zones().isEmpty() ? 0 : set.zones().iterator().next().serial());
    }

    @Override
    public boolean warmsServedZones() {
        return true;
    }

    @Override
    public void serving() {}

    @Override
    public String servingText(ZoneSet zones) {
        return "serving " + zones.zones().size() + " zones";
    }

    @Override
    public String pendingText(Set<Name> pending) {
        return "zones not loaded";
    }

    @Override
    public void close() {
        if (watcher != null) {
            watcher.close();
        }
        if (updates != null) {
            updates.close();
        }
    }
}
