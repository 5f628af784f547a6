package dev.zonekeeper.dns;

import dev.zonekeeper.dns.config.ServerConfig;
import dev.zonekeeper.dns.config.ServerConfig.ConfigException;
import dev.zonekeeper.dns.forward.Forwarder;
import dev.zonekeeper.dns.forward.ForwarderConfig;
import dev.zonekeeper.dns.forward.ResolvConf;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.ForwarderMeters;
import dev.zonekeeper.dns.metrics.HttpEndpoint;
import dev.zonekeeper.dns.metrics.SnapshotMeters;
import dev.zonekeeper.dns.metrics.TransferMeters;
import dev.zonekeeper.dns.server.DnsTransport;
import dev.zonekeeper.dns.server.QueryProcessor;
import dev.zonekeeper.dns.server.Warmup;
import dev.zonekeeper.dns.standalone.DirectoryWatcher;
import dev.zonekeeper.dns.standalone.LoadResult;
import dev.zonekeeper.dns.standalone.ManifestDirectory;
import dev.zonekeeper.dns.standalone.Rejection;
import dev.zonekeeper.dns.transfer.NotifyListener;
import dev.zonekeeper.dns.transfer.SecondaryZone;
import dev.zonekeeper.dns.transfer.SecondaryZones;
import dev.zonekeeper.dns.transfer.TsigKeyFile;
import dev.zonekeeper.dns.transfer.ZoneSnapshots;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneSet;
import dev.zonekeeper.dns.zone.ZoneStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;

/**
 * The DNS server's entry point: {@code zonekeeper-dns-server [options]}, see {@link ServerConfig#USAGE}.
 *
 * <p>Standalone mode serves the zones built from the {@code --records} manifests. Sidecar mode ({@code --primary})
 * is a secondary of the operator: the {@code --zone} zones are transferred by AXFR/IXFR (TSIG-signed with
 * {@code --tsig-key-file}), refreshed on NOTIFY received on {@code --notify-listen}; until a zone's first complete
 * transfer, names in it get SERVFAIL (never NXDOMAIN, never forwarded) and {@code /ready} answers 503 naming the
 * pending zones. Once loaded, a zone stays served from its last version while the primary is away. With
 * {@code --snapshot-dir} every version is also written to disk, and a restarted sidecar serves those snapshots at once
 * (up to {@code --snapshot-max-age}) while it catches up by IXFR.
 *
 * <p>SIGTERM starts the lameduck ({@code --lameduck}): {@code /ready} answers 503 while DNS is still answered, then
 * the server closes and exits 0.
 */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // Buffer ownership is covered by the tests (leak detector on PARANOID); in service, sampling costs CPU.
            io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        }
        ServerConfig config;
        try {
            config = ServerConfig.parse(args, ResolvConf.defaultUpstreams());
            if (!config.sidecar() && !Files.isDirectory(config.records())) {
                throw new ConfigException("option --records: " + config.records().toAbsolutePath()
                        + " is not a directory");
            }
            if (config.sidecar()) {
                tsigKey(config);
            }
        } catch (ConfigException e) {
            if (e.getMessage().startsWith("Usage:")) {
                System.out.println(e.getMessage()); // --help: asked for, so on stdout
                System.exit(0);
                return;
            }
            System.err.println("zonekeeper-dns-server: " + e.getMessage());
            System.exit(2);
            return;
        }
        // Before the start, so that a SIGTERM arriving while the server starts is not the JVM's default (exit 143).
        java.util.concurrent.atomic.AtomicReference<DnsServer> running = new java.util.concurrent.atomic.AtomicReference<>();
        onSigterm(running, config.lameduck());
        DnsServer server;
        try {
            server = DnsServer.start(config);
        } catch (IOException | RuntimeException e) {
            System.err.println("zonekeeper-dns-server: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "zk-shutdown"));
        running.set(server);
        new CountDownLatch(1).await();
    }

    /** The DNS-over-TCP timeouts and caps of the command line. */
    static DnsTransport.TcpLimits tcpLimits(ServerConfig config) {
        return new DnsTransport.TcpLimits(config.tcpIdleTimeout(), config.tcpIoTimeout(), config.tcpMaxConnections(),
                config.tcpMaxPerClient());
    }

    /**
     * SIGTERM (Kubernetes stopping the pod) starts the lameduck: {@code /ready} answers 503 at once so the pod leaves
     * the Service's endpoints, while DNS is still answered for {@code lameduck} seconds (the time kube-proxy and the
     * clients' conntrack entries need to move to the other pods); then the server closes and exits 0, a clean stop.
     * Other signals keep the JVM's default (close at once from the shutdown hook).
     */
    private static void onSigterm(java.util.concurrent.atomic.AtomicReference<DnsServer> running, int lameduck) {
        java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> {
                if (!stopping.compareAndSet(false, true)) {
                    return; // a second SIGTERM: the lameduck is already running
                }
                Thread t = new Thread(() -> {
                    DnsServer server = running.get();
                    if (server == null) {
                        LOG.info("SIGTERM while starting: stopped");
                        System.exit(0); // not serving yet: nothing to drain; the start is abandoned
                        return;
                    }
                    server.lameduck(lameduck);
                    server.close();
                    LOG.info("stopped");
                    System.exit(0);
                }, "zk-lameduck");
                t.start();
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.warn("cannot handle SIGTERM ({}): the server stops at once, without --lameduck", e.toString());
        }
    }

    /**
     * The TSIG key of sidecar mode from {@code --tsig-key-file}, or null when none is given (transfers unsigned).
     *
     * @throws ConfigException naming {@code --tsig-key-file} when the file is missing, unreadable or not a valid key
     */
    public static TSIG tsigKey(ServerConfig config) throws ConfigException {
        if (config.tsigKeyFile() == null) {
            return null;
        }
        String file = config.tsigKeyFile().toAbsolutePath().toString();
        try {
            return TsigKeyFile.read(config.tsigKeyFile());
        } catch (NoSuchFileException e) {
            throw new ConfigException("option --tsig-key-file: " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("option --tsig-key-file: cannot read " + file + ": " + e);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("option --tsig-key-file: " + e.getMessage());
        }
    }

    /** A running server: transport, zones, forwarder, metrics endpoint. */
    public static final class DnsServer implements AutoCloseable {
        private final DnsMetrics metrics = new DnsMetrics();
        private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile boolean started;
        /** Set by {@link #lameduck}: not ready, still answering, until this System.nanoTime(). */
        private volatile long drainingUntil;
        private volatile boolean draining;
        private InetSocketAddress primary;
        private volatile String readiness = "zones not loaded";
        private Forwarder forwarder;
        private DirectoryWatcher watcher;
        private DnsTransport transport;
        private HttpEndpoint http;
        private QueryProcessor processor;
        private SecondaryZones secondary;
        private NotifyListener notifyListener;
        private Set<Name> configuredZones = Set.of();
        private volatile Set<Name> pendingZones = Set.of();

        public static DnsServer start(ServerConfig config) throws IOException {
            return start(config, SecondaryZone.Settings.DEFAULT);
        }

        /**
         * Starts the server; in sidecar mode with {@code settings} for the transfers (timeouts, retry and refresh).
         *
         * @throws IllegalArgumentException naming {@code --tsig-key-file} when the TSIG key cannot be read
         */
        public static DnsServer start(ServerConfig config, SecondaryZone.Settings settings) throws IOException {
            DnsServer s = new DnsServer();
            try {
                s.startAll(config, settings);
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                s.close();
                throw new IOException("interrupted while starting", e);
            }
            return s;
        }

        private void startAll(ServerConfig config, SecondaryZone.Settings settings)
                throws IOException, InterruptedException {
            if (config.metrics() != null) {
                http = new HttpEndpoint(config.metrics(), metrics::scrape, this::ready, this::readiness);
                LOG.info("metrics and health on http://{}:{}/metrics", http.address().getHostString(), http.address().getPort());
            }
            if (config.forwarding()) {
                forwarder = new Forwarder(ForwarderConfig.builder().upstreams(config.upstreams())
                        .cacheMaxEntries(config.cacheSize()).cacheMaxBytes(config.cacheBytes())
                        .maxConcurrent(config.maxConcurrent())
                        // upstream records for our own zones are never passed on (except under --fallthrough)
                        .servedZones(config.zones()).fallthrough(config.fallthrough())
                        .build(), new ForwarderMeters(metrics.registry()));
                LOG.info("forwarding other names to {}", config.upstreams());
            }
            processor = new QueryProcessor(ZoneSet.of(java.util.List.of()), metrics,
                    forwarder, config.fallthrough());
            processor.answerCacheBudget((long) config.answerCacheMib() << 20);
            ServerConfig.Rrl rrl = config.rrl();
            processor.rateLimit(rrl.rate(), rrl.slip(), rrl.ipv4Prefix(), rrl.ipv6Prefix(), rrl.window());
            if (forwarder != null) {
                processor.forwardShare(config.maxConcurrentPerNetwork(), rrl.ipv4Prefix(), rrl.ipv6Prefix());
            }
            if (rrl.rate() > 0) {
                LOG.info("UDP response rate limit: {}/s per IPv4 /{} and IPv6 /{}, slip {}, window {} s", rrl.rate(),
                        rrl.ipv4Prefix(), rrl.ipv6Prefix(), rrl.slip(), rrl.window());
            }
            if (!config.fallthrough().isEmpty()) {
                if (forwarder == null) {
                    LOG.warn("--fallthrough {} has no effect without forwarding: NXDOMAIN is answered",
                            config.fallthrough());
                } else {
                    LOG.info("NXDOMAIN under {} is forwarded (fallthrough)", config.fallthrough());
                }
            }
            if (config.sidecar()) {
                startSidecar(config, settings);
                return;
            }
            StandaloneZones zones = new StandaloneZones(config.zones(), config.listen().getAddress(),
                    config.zoneTtl());
            ManifestDirectory manifests = new ManifestDirectory(config.records(),
                    new LinkedHashSet<>(config.zones()), new ManifestDirectory.Limits(config.recordsMaxFileBytes(),
                            config.recordsMaxRecords()));
            // The watcher loads the directory once and applies it before returning, then reloads on changes.
            watcher = DirectoryWatcher.start(manifests, result -> apply(zones, result));
            Warmup.run(Warmup.rounds(), processor.zones());
            // The YAML parse and the warm-up leave garbage several times the zone's size: collect it once before
            // serving, so the heap (and the resident memory) settles at what the zones need.
            System.gc();
            transport = new DnsTransport(config.listen(), config.udpSockets(), processor, metrics, tcpLimits(config));
            logListening(config);
            started = true;
            readiness = "serving " + processor.zones().zones().size() + " zones";
            LOG.info("ready {} ms after JVM start: {}",
                    java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime(), readiness);
        }

        /**
         * Sidecar mode: the zones come from the primary through a {@link ZoneStore}; the DNS port opens at once and
         * answers SERVFAIL for the zones still pending their first transfer.
         */
        private void startSidecar(ServerConfig config, SecondaryZone.Settings settings)
                throws IOException, InterruptedException {
            TSIG key;
            try {
                key = tsigKey(config);
            } catch (ConfigException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            if (key == null) {
                LOG.warn("no --tsig-key-file: zone transfers from {} and NOTIFYs are not authenticated",
                        hostPort(config.primary()));
            }
            if (config.records() != null) {
                LOG.warn("sidecar mode: --records {} is not read, the zones come from the primary", config.records());
            }
            configuredZones = Set.copyOf(new LinkedHashSet<>(config.zones()));
            pendingZones = configuredZones;
            primary = config.primary();
            processor.pendingZones(configuredZones);
            readiness = pendingText(config.primary());
            ZoneStore store = new ZoneStore();
            store.addListener(set -> transferred(set, config.primary()));
            ZoneSnapshots snapshots = null;
            SnapshotMeters snapshotMeters = new SnapshotMeters(metrics.registry());
            if (config.snapshotDir() != null) {
                snapshots = new ZoneSnapshots(config.snapshotDir(), hostPort(config.primary()),
                        ZoneSnapshots.keyId(keyLine(config)), java.time.Duration.ofSeconds(config.snapshotMaxAge()),
                        ZoneSnapshots.DEFAULT_MAX_BYTES, java.time.Clock.systemUTC(), snapshotMeters);
            }
            secondary = new SecondaryZones(config.primary(), key, config.zones(), store,
                    new TransferMeters(metrics.registry(), config.zones()), settings, snapshots,
                    java.time.Duration.ofSeconds(config.snapshotMaxAge()));
            if (snapshots != null) {
                secondary.all().forEach(snapshotMeters::register);
            }
            if (config.notifyListen() != null) {
                notifyListener = NotifyListener.start(config.notifyListen(), key, secondary);
            } else {
                LOG.info("--notify-listen none: changes on the primary are seen at the zones' SOA refresh");
            }
            if (snapshots != null) {
                int loaded = secondary.loadSnapshots();
                LOG.info("{} of {} zones served from snapshots in {} until the primary answers", loaded,
                        configuredZones.size(), config.snapshotDir());
            }
            Warmup.run(Warmup.rounds());
            transport = new DnsTransport(config.listen(), config.udpSockets(), processor, metrics, tcpLimits(config));
            logListening(config);
            started = true;
            LOG.info("sidecar of {} for {}: {}", hostPort(config.primary()), config.zoneList(), readiness);
            secondary.start();
        }

        /** A new version of a zone arrived (on the transfer thread, serialized by the store). */
        private void transferred(ZoneSet set, InetSocketAddress primary) {
            processor.zonesChanged(set);
            Set<Name> pending = new LinkedHashSet<>();
            for (Name z : configuredZones) {
                if (set.get(z) == null) {
                    pending.add(z);
                }
            }
            // Only after the zones are swapped in: a name leaves "pending" when it can be answered from the zone.
            processor.pendingZones(pending);
            boolean wasPending = !pendingZones.isEmpty();
            pendingZones = Set.copyOf(pending);
            for (Zone z : set.zones()) {
                metrics.zoneRecords(z.origin().toString(), z.recordCount());
            }
            if (pending.isEmpty()) {
                readiness = servingText();
                if (wasPending) {
                    LOG.info("ready {} ms after JVM start: {}",
                            java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime(), readiness);
                    // The first AXFRs leave garbage several times the zones' size (wire buffers, parsed records):
                    // collect it once, so the heap (and the resident memory) settles at what the zones need.
                    System.gc();
                }
            } else {
                readiness = pendingText(primary);
            }
        }

        /** The key file's line, which identifies the key in snapshot headers (hashed); null without a key. */
        private static String keyLine(ServerConfig config) {
            if (config.tsigKeyFile() == null) {
                return null;
            }
            try {
                return Files.readString(config.tsigKeyFile());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** The service address, logged here: the warm-up's private listener is not one. */
        private void logListening(ServerConfig config) {
            LOG.info("DNS listening on {} (UDP and TCP, {} UDP socket(s), TCP: {})",
                    hostPort(transport.address()), config.udpSockets(), transport.epoll() ? "epoll" : "nio");
        }

        /**
         * The lameduck of SIGTERM: {@code /ready} answers 503 from now on while DNS is still answered for
         * {@code seconds}; returns when they have passed (at once for 0).
         */
        public void lameduck(int seconds) {
            if (seconds <= 0) {
                return;
            }
            drainingUntil = System.nanoTime() + seconds * 1_000_000_000L;
            draining = true;
            LOG.info("SIGTERM: /ready answers 503, DNS still answered for {} s (--lameduck), then the server stops",
                    seconds);
            try {
                long left;
                while ((left = drainingUntil - System.nanoTime()) > 0) {
                    Thread.sleep(Math.max(1, left / 1_000_000));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** The readiness text of sidecar mode once every zone is served, with each zone's serial and source. */
        private String servingText() {
            ZoneSet set = processor.zones();
            StringBuilder sb = new StringBuilder("serving ").append(set.size()).append(" zones from primary ")
                    .append(hostPort(primary)).append(':');
            boolean snapshot = false;
            for (Zone z : set.zones()) {
                sb.append(' ').append(z.origin()).append(" serial ").append(z.serial());
                SecondaryZone sz = secondary == null ? null : secondary.get(z.origin());
                if (sz != null && sz.fromSnapshot()) {
                    snapshot = true;
                    sb.append(" (from snapshot, last confirmed ").append(sz.snapshotAgeSeconds()).append(" s ago)");
                }
            }
            if (snapshot) {
                sb.append("; serving from snapshot until the primary answers");
            }
            return sb.toString();
        }

        private String pendingText(InetSocketAddress primary) {
            StringBuilder sb = new StringBuilder("zones pending their first transfer from ")
                    .append(hostPort(primary)).append(':');
            for (Name z : pendingZones) {
                sb.append(' ').append(z);
            }
            return sb.toString();
        }

        static String hostPort(InetSocketAddress a) {
            return a.getAddress().getHostAddress() + ":" + a.getPort();
        }

        private void apply(StandaloneZones builder, LoadResult result) {
            for (Rejection r : result.rejections()) {
                LOG.warn("rejected {}", r.toLogLine());
            }
            metrics.recordsFilesRefused("file_too_large", result.filesTooLarge());
            metrics.recordsFilesRefused("over_record_limit", result.filesOverRecordLimit());
            ZoneSet set = builder.build(result.records());
            processor.zonesChanged(set);
            for (Zone z : set.zones()) {
                metrics.zoneRecords(z.origin().toString(), z.recordCount());
            }
            LOG.info("loaded {} records from {} ({} rejected, {} other documents ignored), serial {}",
                    result.records().size(), "--records", result.rejections().size(), result.ignoredDocuments(),
                    set.zones().isEmpty() ? 0 : set.zones().iterator().next().serial());
        }

        public DnsMetrics metrics() {
            return metrics;
        }

        /** The zones served now: the snapshot the next query is answered from. */
        public ZoneSet zones() {
            return processor.zones();
        }

        public DnsTransport transport() {
            return transport;
        }

        public HttpEndpoint http() {
            return http;
        }

        /** Serving, and (in sidecar mode) every zone has its first complete version. */
        public boolean ready() {
            return started && pendingZones.isEmpty() && !draining;
        }

        /**
         * What {@code /ready} says: the zones served (in sidecar mode with their serial, and whether they come from
         * a snapshot), or the zones still pending, or that the server is shutting down.
         */
        public String readiness() {
            if (draining) {
                long left = Math.max(0, (drainingUntil - System.nanoTime()) / 1_000_000_000L);
                return "shutting down (SIGTERM): still answering DNS for " + left + " s (--lameduck), then stopping";
            }
            if (secondary != null && started && pendingZones.isEmpty()) {
                return servingText();
            }
            return readiness;
        }

        /** Sidecar mode: the zones configured that have not had a complete transfer yet (empty otherwise). */
        public Set<Name> pendingZones() {
            return pendingZones;
        }

        /** Sidecar mode: where NOTIFY is received (the real port when started with port 0); null otherwise. */
        public InetSocketAddress notifyAddress() {
            return notifyListener == null ? null : notifyListener.address();
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            started = false;
            if (notifyListener != null) {
                notifyListener.close();
            }
            if (secondary != null) {
                secondary.close();
            }
            if (watcher != null) {
                watcher.close();
            }
            if (transport != null) {
                transport.close();
            }
            if (forwarder != null) {
                forwarder.close();
            }
            if (http != null) {
                http.close();
            }
        }
    }
}
