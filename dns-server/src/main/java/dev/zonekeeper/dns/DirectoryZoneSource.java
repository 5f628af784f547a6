package dev.zonekeeper.dns;

import dev.zonekeeper.dns.config.ServerConfig;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.standalone.DirectoryWatcher;
import dev.zonekeeper.dns.standalone.LoadResult;
import dev.zonekeeper.dns.standalone.ManifestDirectory;
import dev.zonekeeper.dns.standalone.Rejection;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.io.IOException;
import java.util.LinkedHashSet;
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
        // The watcher loads the directory once and applies it before returning, then reloads on changes.
        watcher = DirectoryWatcher.start(manifests, result -> apply(zones, result, sink));
    }

    private void apply(StandaloneZones builder, LoadResult result, Sink sink) {
        for (Rejection r : result.rejections()) {
            LOG.warn("rejected {}", r.toLogLine());
        }
        metrics.recordsFilesRefused("file_too_large", result.filesTooLarge());
        metrics.recordsFilesRefused("over_record_limit", result.filesOverRecordLimit());
        ZoneSet set = builder.build(result.records());
        sink.zones(set, Set.of());
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
    }
}
