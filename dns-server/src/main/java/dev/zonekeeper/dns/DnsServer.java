package dev.zonekeeper.dns;

import dev.zonekeeper.dns.config.ServerConfig;
import dev.zonekeeper.dns.forward.Forwarder;
import dev.zonekeeper.dns.forward.ForwarderConfig;
import dev.zonekeeper.dns.metrics.DnsMetrics;
import dev.zonekeeper.dns.metrics.ForwarderMeters;
import dev.zonekeeper.dns.metrics.HttpEndpoint;
import dev.zonekeeper.dns.server.DnsTransport;
import dev.zonekeeper.dns.server.QueryProcessor;
import dev.zonekeeper.dns.server.Warmup;
import dev.zonekeeper.dns.transfer.SecondaryZone;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;

/**
 * A running DNS server, its lifecycle: the zones from a {@link ZoneSource}, the forwarder, the DNS transports and the
 * metrics endpoint start in that order; {@link #lameduck} and {@link #close} stop it. Where it stands is one value,
 * {@link State}, from which {@link #ready()} and {@link #readiness()} ({@code /ready}) are read.
 */
public final class DnsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DnsServer.class);

    /** The lifecycle's stages, in order. */
    enum Stage {
        /** The zones load and the JIT warms up; the DNS port is not open. */
        STARTING,
        /** The DNS port is open. */
        SERVING,
        /** SIGTERM: DNS still answered until {@link State#drainingUntil}, {@code /ready} 503. */
        DRAINING,
        CLOSED
    }

    /**
     * Where the server stands, replaced whole on every change: its stage, the zones still pending their first version
     * (answered SERVFAIL; never ready while there is one), and the end of the lameduck (System.nanoTime()).
     */
    record State(Stage stage, Set<Name> pending, long drainingUntil) {
        State {
            pending = Set.copyOf(pending);
        }

        boolean ready() {
            return stage == Stage.SERVING && pending.isEmpty();
        }
    }

    private final DnsMetrics metrics = new DnsMetrics();
    private volatile State state = new State(Stage.STARTING, Set.of(), 0);
    // Once in the process's life each (guarded by advance's lock): the warm-up ran; the heap was settled after the
    // first complete load; "ready" was logged.
    private boolean warmedUp;
    private boolean settled;
    private boolean announced;
    private ZoneSource source;
    private Forwarder forwarder;
    private DnsTransport transport;
    private HttpEndpoint http;
    private QueryProcessor processor;

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
            s.startAll(
                    config,
                    config.sidecar()
                            ? new SecondaryZoneSource(config, settings, s.metrics)
                            : new DirectoryZoneSource(config, s.metrics));
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

    private void startAll(ServerConfig config, ZoneSource zoneSource) throws IOException, InterruptedException {
        source = zoneSource;
        if (config.metrics() != null) {
            http = new HttpEndpoint(config.metrics(), metrics::scrape, this::ready, this::readiness);
            LOG.info(
                    "metrics and health on http://{}:{}/metrics",
                    http.address().getHostString(),
                    http.address().getPort());
        }
        if (config.forwarding()) {
            forwarder = new Forwarder(
                    ForwarderConfig.builder()
                            .upstreams(config.upstreams())
                            .cacheMaxEntries(config.cacheSize())
                            .cacheMaxBytes(config.cacheBytes())
                            .maxConcurrent(config.maxConcurrent())
                            // upstream records for our own zones are never passed on (except under --fallthrough)
                            .servedZones(config.zones())
                            .fallthrough(config.fallthrough())
                            .build(),
                    new ForwarderMeters(metrics.registry()));
            LOG.info("forwarding other names to {}", config.upstreams());
        }
        processor = new QueryProcessor(ZoneSet.of(List.of()), metrics, forwarder, config.fallthrough());
        processor.answerCacheBudget((long) config.answerCacheMib() << 20);
        ServerConfig.Rrl rrl = config.rrl();
        processor.rateLimit(rrl.rate(), rrl.slip(), rrl.ipv4Prefix(), rrl.ipv6Prefix(), rrl.window());
        if (forwarder != null) {
            processor.forwardShare(config.maxConcurrentPerNetwork(), rrl.ipv4Prefix(), rrl.ipv6Prefix());
        }
        if (rrl.rate() > 0) {
            LOG.info(
                    "UDP response rate limit: {}/s per IPv4 /{} and IPv6 /{}, slip {}, window {} s",
                    rrl.rate(),
                    rrl.ipv4Prefix(),
                    rrl.ipv6Prefix(),
                    rrl.slip(),
                    rrl.window());
        }
        if (!config.fallthrough().isEmpty()) {
            if (forwarder == null) {
                LOG.warn(
                        "--fallthrough {} has no effect without forwarding: NXDOMAIN is answered",
                        config.fallthrough());
            } else {
                LOG.info("NXDOMAIN under {} is forwarded (fallthrough)", config.fallthrough());
            }
        }
        Set<Name> pending = source.pending();
        if (!pending.isEmpty()) {
            processor.pendingZones(pending);
            state = new State(Stage.STARTING, pending, 0);
        }
        source.open(this::zonesChanged);
        processor.updates(source.updates());
        Warmup.run(config.warmupRounds(), source.warmsServedZones() ? processor.zones() : null);
        advance(s -> {
            warmedUp = true; // standalone: the zones are complete now, so the heap settles before the port opens
            return s;
        });
        transport = new DnsTransport(
                config.listen(),
                config.udpSockets(),
                processor,
                metrics,
                new DnsTransport.TcpLimits(
                        config.tcpIdleTimeout(),
                        config.tcpIoTimeout(),
                        config.tcpMaxConnections(),
                        config.tcpMaxPerClient()));
        LOG.info(
                "DNS listening on {} (UDP and TCP, {} UDP socket(s), TCP: {})",
                SecondaryZoneSource.hostPort(transport.address()),
                config.udpSockets(),
                transport.epoll() ? "epoll" : "nio");
        boolean ready = advance(s -> s.stage() == Stage.STARTING ? new State(Stage.SERVING, s.pending(), 0) : s);
        if (!ready) {
            LOG.info("serving; not ready: {}", readiness());
        }
        source.serving();
    }

    /** A new version of the zones from the source (on its thread, one at a time). */
    private void zonesChanged(ZoneSet set, Set<Name> pending) {
        processor.zonesChanged(set);
        // Only after the zones are swapped in: a name leaves "pending" when it can be answered from the zone.
        if (!pending.equals(state.pending())) {
            processor.pendingZones(pending);
        }
        for (Zone z : set.zones()) {
            metrics.zoneRecords(z.origin().toString(), z.recordCount());
        }
        advance(s -> new State(s.stage(), pending, s.drainingUntil()));
    }

    /**
     * Replaces the state; settles the heap once the zones are first complete after the warm-up, and logs the first
     * time the server is ready. Returns whether it is ready. The source's thread and the starting thread both come
     * here: synchronized so that neither change is lost.
     */
    private synchronized boolean advance(UnaryOperator<State> change) {
        State next = change.apply(state);
        state = next;
        if (warmedUp && !settled && next.pending().isEmpty() && next.stage() != Stage.CLOSED) {
            settled = true;
            settleHeap();
        }
        if (next.ready() && !announced) {
            announced = true;
            LOG.info(
                    "ready {} ms after JVM start: {}",
                    ManagementFactory.getRuntimeMXBean().getUptime(),
                    readiness());
        }
        return next.ready();
    }

    /**
     * The one heap step of the lifecycle, once, when every zone first has a version: the initial load (the YAML
     * parse or the first AXFRs, whose wire buffers and parsed records are several times the zones' size) and the
     * warm-up leave garbage that a collection now returns, so the heap, and the resident memory, settle at what the
     * zones need instead of at the peak of the start.
     */
    private static void settleHeap() {
        System.gc();
    }

    /**
     * The lameduck of SIGTERM: {@code /ready} answers 503 from now on while DNS is still answered for
     * {@code seconds}; returns when they have passed (at once for 0).
     */
    public void lameduck(int seconds) {
        if (seconds <= 0) {
            return;
        }
        long until = System.nanoTime() + seconds * 1_000_000_000L;
        advance(s -> new State(Stage.DRAINING, s.pending(), until));
        LOG.info(
                "SIGTERM: /ready answers 503, DNS still answered for {} s (--lameduck), then the server stops",
                seconds);
        try {
            long left;
            while ((left = until - System.nanoTime()) > 0) {
                Thread.sleep(Math.max(1, left / 1_000_000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
        return state.ready();
    }

    /**
     * What {@code /ready} says: the zones served (in sidecar mode with their serial, and whether they come from a
     * snapshot), or the zones still pending, or that the server is shutting down.
     */
    public String readiness() {
        State s = state;
        return switch (s.stage()) {
            case DRAINING ->
                "shutting down (SIGTERM): still answering DNS for "
                        + Math.max(0, (s.drainingUntil() - System.nanoTime()) / 1_000_000_000L)
                        + " s (--lameduck), then stopping";
            case CLOSED -> "stopped";
            case STARTING, SERVING ->
                s.ready() ? source.servingText(processor.zones()) : source.pendingText(s.pending());
        };
    }

    /** Sidecar mode: the zones configured that have not had a complete transfer yet (empty otherwise). */
    public Set<Name> pendingZones() {
        return state.pending();
    }

    /** Sidecar mode: where NOTIFY is received (the real port when started with port 0); null otherwise. */
    public InetSocketAddress notifyAddress() {
        return source == null ? null : source.notifyAddress();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (state.stage() == Stage.CLOSED) {
                return;
            }
            state = new State(Stage.CLOSED, state.pending(), 0);
        }
        if (source != null) {
            source.close();
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
