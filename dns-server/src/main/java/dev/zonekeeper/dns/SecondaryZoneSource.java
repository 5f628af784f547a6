package dev.zonekeeper.dns;

import dev.zonekeeper.dns.config.ServerConfig;
import dev.zonekeeper.dns.config.ServerConfig.ConfigException;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.SnapshotMeters;
import dev.zonekeeper.dns.metrics.TransferMeters;
import dev.zonekeeper.dns.server.UpdateHandler;
import dev.zonekeeper.dns.transfer.NotifyListener;
import dev.zonekeeper.dns.transfer.SecondaryZone;
import dev.zonekeeper.dns.transfer.SecondaryZones;
import dev.zonekeeper.dns.transfer.ZoneSnapshots;
import dev.zonekeeper.dns.updates.PrimaryRelay;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneSet;
import dev.zonekeeper.dns.zone.ZoneStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;

/**
 * Sidecar mode: the {@code --zone} zones are transferred (AXFR, then IXFR) from the {@code --primary}, refreshed on
 * NOTIFY, and with {@code --snapshot-dir} written to disk and served from there at once after a restart.
 */
final class SecondaryZoneSource implements ZoneSource {
    private static final Logger LOG = LoggerFactory.getLogger(SecondaryZoneSource.class);

    private final ServerConfig config;
    private final SecondaryZone.Settings settings;
    private final DnsMetrics metrics;
    private final Set<Name> configured;
    private SecondaryZones secondary;
    private NotifyListener notifyListener;
    private PrimaryRelay relay;

    SecondaryZoneSource(ServerConfig config, SecondaryZone.Settings settings, DnsMetrics metrics) {
        this.config = config;
        this.settings = settings.withMaxBytes(config.zoneMaxBytes());
        this.metrics = metrics;
        this.configured = Set.copyOf(new LinkedHashSet<>(config.zones()));
    }

    @Override
    public Set<Name> pending() {
        return configured;
    }

    @Override
    public void open(Sink sink) throws IOException {
        TSIG key;
        try {
            key = config.tsigKey();
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (key == null) {
            LOG.warn(
                    "no --tsig-key-file: zone transfers from {} and NOTIFYs are not authenticated",
                    hostPort(config.primary()));
        }
        if (config.records() != null) {
            LOG.warn("sidecar mode: --records {} is not read, the zones come from the primary", config.records());
        }
        ZoneStore store = new ZoneStore();
        store.addListener(set -> sink.zones(set, pendingIn(set)));
        ZoneSnapshots snapshots = null;
        SnapshotMeters snapshotMeters = new SnapshotMeters(metrics.registry());
        if (config.snapshotDir() != null) {
            snapshots = new ZoneSnapshots(
                    config.snapshotDir(),
                    hostPort(config.primary()),
                    ZoneSnapshots.keyId(keyLine(config)),
                    Duration.ofSeconds(config.snapshotMaxAge()),
                    config.zoneMaxBytes(),
                    Clock.systemUTC(),
                    snapshotMeters);
        }
        secondary = new SecondaryZones(
                config.primary(),
                key,
                config.zones(),
                store,
                new TransferMeters(metrics.registry(), config.zones()),
                settings,
                snapshots,
                Duration.ofSeconds(config.snapshotMaxAge()));
        if (snapshots != null) {
            secondary.all().forEach(snapshotMeters::register);
        }
        relay = new PrimaryRelay(
                config.primary(),
                new PrimaryRelay.Settings(
                        config.updateMaxInflight(), Duration.ofMillis(config.updateTimeout()), config.zoneMaxBytes()),
                metrics);
        if (config.notifyListen() != null) {
            notifyListener = NotifyListener.start(config.notifyListen(), key, secondary);
        } else {
            LOG.info("--notify-listen none: changes on the primary are seen at the zones' SOA refresh");
        }
        if (snapshots != null) {
            int loaded = secondary.loadSnapshots();
            LOG.info(
                    "{} of {} zones served from snapshots in {} until the primary answers",
                    loaded,
                    configured.size(),
                    config.snapshotDir());
        }
    }

    /** The configured zones {@code set} has no version of yet. */
    private Set<Name> pendingIn(ZoneSet set) {
        Set<Name> pending = new LinkedHashSet<>();
        for (Name z : configured) {
            if (set.get(z) == null) {
                pending.add(z);
            }
        }
        return pending;
    }

    @Override
    public boolean warmsServedZones() {
        return false; // the zones are not all there yet, and the first transfers must not wait for the warm-up
    }

    @Override
    public void serving() {
        LOG.info("sidecar of {} for {}", hostPort(config.primary()), config.zoneList());
        secondary.start();
    }

    /** Every zone served, with its serial and source. */
    @Override
    public String servingText(ZoneSet set) {
        StringBuilder sb = new StringBuilder("serving ")
                .append(set.size())
                .append(" zones from primary ")
                .append(hostPort(config.primary()))
                .append(':');
        boolean snapshot = false;
        for (Zone z : set.zones()) {
            sb.append(' ').append(z.origin()).append(" serial ").append(z.serial());
            SecondaryZone sz = secondary == null ? null : secondary.get(z.origin());
            if (sz != null && sz.fromSnapshot()) {
                snapshot = true;
                sb.append(" (from snapshot, last confirmed ")
                        .append(sz.snapshotAgeSeconds())
                        .append(" s ago)");
            }
        }
        if (snapshot) {
            sb.append("; serving from snapshot until the primary answers");
        }
        return sb.toString();
    }

    @Override
    public String pendingText(Set<Name> pending) {
        if (pending.isEmpty()) {
            return "starting: every zone loaded from its snapshot";
        }
        StringBuilder sb = new StringBuilder("zones pending their first transfer from ")
                .append(hostPort(config.primary()))
                .append(':');
        for (Name z : pending) {
            sb.append(' ').append(z);
        }
        return sb.toString();
    }

    @Override
    public UpdateHandler updates() {
        return relay;
    }

    @Override
    public InetSocketAddress notifyAddress() {
        return notifyListener == null ? null : notifyListener.address();
    }

    /** The key file's line, which identifies the key in snapshot headers (hashed); null without a key. */
    private static String keyLine(ServerConfig config) {
        if (config.tsigKeyFile() == null) {
            return null;
        }
        try {
            return Files.readString(config.tsigKeyFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The primary as written in logs, {@code /ready} and snapshot headers (unchanged: headers must still match). */
    static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    @Override
    public void close() {
        if (notifyListener != null) {
            notifyListener.close();
        }
        if (secondary != null) {
            secondary.close();
        }
        if (relay != null) {
            relay.close();
        }
    }
}
