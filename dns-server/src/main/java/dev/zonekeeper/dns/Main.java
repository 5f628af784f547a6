package dev.zonekeeper.dns;

import dev.zonekeeper.dns.config.ServerConfig;
import dev.zonekeeper.dns.config.ServerConfig.ConfigException;
import dev.zonekeeper.dns.forward.Forwarder;
import dev.zonekeeper.dns.forward.ForwarderConfig;
import dev.zonekeeper.dns.forward.ResolvConf;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.ForwarderMeters;
import dev.zonekeeper.dns.metrics.HttpEndpoint;
import dev.zonekeeper.dns.server.DnsTransport;
import dev.zonekeeper.dns.server.QueryProcessor;
import dev.zonekeeper.dns.standalone.DirectoryWatcher;
import dev.zonekeeper.dns.standalone.LoadResult;
import dev.zonekeeper.dns.standalone.ManifestDirectory;
import dev.zonekeeper.dns.standalone.Rejection;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashSet;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The DNS server's entry point: {@code zonekeeper-dns-server [options]}, see {@link ServerConfig#USAGE}. */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        ServerConfig config;
        try {
            config = ServerConfig.parse(args, ResolvConf.defaultUpstreams());
            if (!config.sidecar() && !Files.isDirectory(config.records())) {
                throw new ConfigException("option --records: " + config.records().toAbsolutePath()
                        + " is not a directory");
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
        DnsServer server;
        try {
            server = DnsServer.start(config);
        } catch (IOException | RuntimeException e) {
            System.err.println("zonekeeper-dns-server: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "zk-shutdown"));
        new CountDownLatch(1).await();
    }

    /** A running server: transport, zones, forwarder, metrics endpoint. */
    public static final class DnsServer implements AutoCloseable {
        private final DnsMetrics metrics = new DnsMetrics();
        private final long startNanos = System.nanoTime();
        private volatile boolean ready;
        private volatile String readiness = "zones not loaded";
        private Forwarder forwarder;
        private DirectoryWatcher watcher;
        private DnsTransport transport;
        private HttpEndpoint http;
        private QueryProcessor processor;

        public static DnsServer start(ServerConfig config) throws IOException {
            DnsServer s = new DnsServer();
            try {
                s.startAll(config);
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

        private void startAll(ServerConfig config) throws IOException, InterruptedException {
            if (config.metrics() != null) {
                http = new HttpEndpoint(config.metrics(), metrics::scrape, () -> ready, () -> readiness);
                LOG.info("metrics and health on http://{}:{}/metrics", http.address().getHostString(), http.address().getPort());
            }
            if (config.forwarding()) {
                forwarder = new Forwarder(ForwarderConfig.builder().upstreams(config.upstreams())
                        .cacheMaxEntries(config.cacheSize()).build(), new ForwarderMeters(metrics.registry()));
                LOG.info("forwarding other names to {}", config.upstreams());
            }
            processor = new QueryProcessor(ZoneSet.of(java.util.List.of()), metrics,
                    forwarder == null ? null : forwarder::forward);
            StandaloneZones zones = new StandaloneZones(config.zones(), config.listen().getAddress(),
                    config.zoneTtl());
            ManifestDirectory manifests = new ManifestDirectory(config.records(),
                    new LinkedHashSet<>(config.zones()));
            apply(zones, manifests.load());
            watcher = DirectoryWatcher.start(manifests, result -> apply(zones, result));
            transport = new DnsTransport(config.listen(), config.udpSockets(), processor, metrics);
            ready = true;
            readiness = "serving " + processor.zones().zones().size() + " zones";
            LOG.info("ready in {} ms: {}", (System.nanoTime() - startNanos) / 1_000_000, readiness);
        }

        private void apply(StandaloneZones builder, LoadResult result) {
            for (Rejection r : result.rejections()) {
                LOG.warn("rejected {}", r.toLogLine());
            }
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

        public DnsTransport transport() {
            return transport;
        }

        public HttpEndpoint http() {
            return http;
        }

        public boolean ready() {
            return ready;
        }

        @Override
        public void close() {
            ready = false;
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
