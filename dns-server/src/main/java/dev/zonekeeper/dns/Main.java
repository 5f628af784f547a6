package dev.zonekeeper.dns;

import dev.zonekeeper.dns.config.ServerConfig;
import dev.zonekeeper.dns.config.ServerConfig.ConfigException;
import dev.zonekeeper.dns.forward.ResolvConf;
import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    /** Exit code of a command line that cannot be served (an unknown option, an invalid value). */
    static final int EXIT_USAGE = 2;
    /** Exit code of a server that could not start (a port taken, an unreadable directory). */
    static final int EXIT_START = 1;

    private Main() {}

    public static void main(String[] args) throws Exception {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // Buffer ownership is covered by the tests (leak detector on PARANOID); in service, sampling costs CPU.
            io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        }
        ServerConfig config;
        try {
            config = ServerConfig.parse(args, ResolvConf.defaultUpstreams());
            if (!config.sidecar() && !Files.isDirectory(config.records())) {
                throw new ConfigException(
                        "option --records: " + config.records().toAbsolutePath() + " is not a directory");
            }
            if (config.sidecar()) {
                config.tsigKey();
            }
        } catch (ConfigException e) {
            if (e instanceof ServerConfig.HelpRequested) {
                System.out.println(e.getMessage()); // --help: asked for, so on stdout
                System.exit(0);
                return;
            }
            System.err.println("zonekeeper-dns-server: " + e.getMessage());
            System.exit(EXIT_USAGE);
            return;
        }
        // Before the start, so that a SIGTERM arriving while the server starts is not the JVM's default (exit 143).
        AtomicReference<DnsServer> running = new AtomicReference<>();
        onSigterm(running, config.lameduck());
        DnsServer server;
        try {
            server = DnsServer.start(config);
        } catch (IOException | RuntimeException e) {
            System.err.println("zonekeeper-dns-server: cannot start: " + e.getMessage());
            System.exit(EXIT_START);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "zk-shutdown"));
        running.set(server);
        new CountDownLatch(1).await();
    }

    /**
     * SIGTERM (Kubernetes stopping the pod) starts the lameduck: {@code /ready} answers 503 at once so the pod leaves
     * the Service's endpoints, while DNS is still answered for {@code lameduck} seconds (the time kube-proxy and the
     * clients' conntrack entries need to move to the other pods); then the server closes and exits 0, a clean stop.
     * Other signals keep the JVM's default (close at once from the shutdown hook).
     */
    private static void onSigterm(AtomicReference<DnsServer> running, int lameduck) {
        AtomicBoolean stopping = new AtomicBoolean();
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> {
                if (!stopping.compareAndSet(false, true)) {
                    return; // a second SIGTERM: the lameduck is already running
                }
                Thread t = new Thread(
                        () -> {
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
                        },
                        "zk-lameduck");
                t.start();
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.warn("cannot handle SIGTERM ({}): the server stops at once, without --lameduck", e.toString());
        }
    }
}
