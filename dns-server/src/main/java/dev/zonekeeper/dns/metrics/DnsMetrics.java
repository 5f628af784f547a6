package dev.zonekeeper.dns.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * The DNS server's Micrometer meters. Meters that the query path touches are created up front and kept in arrays,
 * so counting a query looks nothing up and allocates nothing.
 */
public final class DnsMetrics {
    /** Query types with a counter of their own; every other type counts as OTHER. */
    private static final int[] KNOWN_TYPES = {Type.A, Type.AAAA, Type.CNAME, Type.MX, Type.TXT, Type.SRV, Type.NS,
        Type.SOA, Type.PTR, Type.CAA, Type.ANY, Type.AXFR, Type.IXFR, Type.DS, Type.DNSKEY, Type.HTTPS, Type.SVCB};
    public static final int UDP = 0;
    public static final int TCP = 1;
    private static final String[] TRANSPORTS = {"udp", "tcp"};

    /** Why a packet was dropped or answered with an error before it reached a zone or the forwarder. */
    public enum BadInput {
        TOO_SHORT("too_short"), RESPONSE("qr_set"), MALFORMED("malformed"), QDCOUNT("bad_qdcount"),
        OPCODE("unknown_opcode"), CLASS("unknown_class"), EDNS_VERSION("bad_edns_version"),
        FORMAT("format_error"), TRANSFER("transfer_refused"), OVERSIZED_TCP("oversized_tcp"), TCP_LIMIT("tcp_connection_limit");

        final String tag;

        BadInput(String tag) {
            this.tag = tag;
        }
    }

    private final PrometheusMeterRegistry registry;
    private final Counter[][] queries = new Counter[2][KNOWN_TYPES.length + 1];
    private final Counter[] responses = new Counter[24];
    private final Counter responsesOther;
    private final Timer latency;
    private final Counter[] badInput = new Counter[BadInput.values().length];
    private final Counter[] dropped = new Counter[BadInput.values().length];
    private final Counter fastPathHits;
    private final Counter fastPathMisses;
    private final Counter truncated;
    private final Map<String, AtomicLong> zoneRecords = new ConcurrentHashMap<>();

    public DnsMetrics() {
        this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    public DnsMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
        for (int t = 0; t < 2; t++) {
            for (int i = 0; i <= KNOWN_TYPES.length; i++) {
                String type = i < KNOWN_TYPES.length ? Type.string(KNOWN_TYPES[i]) : "OTHER";
                queries[t][i] = Counter.builder("zonekeeper.dns.queries")
                        .description("DNS queries received, by query type and transport")
                        .tag("type", type).tag("transport", TRANSPORTS[t]).register(registry);
            }
        }
        for (int r = 0; r < responses.length; r++) {
            responses[r] = responseCounter(Rcode.string(r));
        }
        responsesOther = responseCounter("OTHER");
        latency = Timer.builder("zonekeeper.dns.request.duration")
                .description("Time from a query's arrival to its response being written")
                .serviceLevelObjectives(Duration.ofNanos(25_000), Duration.ofNanos(50_000), Duration.ofNanos(100_000),
                        Duration.ofNanos(250_000), Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25),
                        Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(2))
                .register(registry);
        for (BadInput b : BadInput.values()) {
            badInput[b.ordinal()] = Counter.builder("zonekeeper.dns.malformed")
                    .description("Bad packets answered with an error rcode, by reason")
                    .tag("reason", b.tag).register(registry);
            dropped[b.ordinal()] = Counter.builder("zonekeeper.dns.dropped")
                    .description("Packets dropped without an answer, by reason")
                    .tag("reason", b.tag).register(registry);
        }
        fastPathHits = Counter.builder("zonekeeper.dns.answer.cache").tag("result", "hit")
                .description("Authoritative answers served from pre-encoded bytes (hit) or built (miss)").register(registry);
        fastPathMisses = Counter.builder("zonekeeper.dns.answer.cache").tag("result", "miss")
                .description("Authoritative answers served from pre-encoded bytes (hit) or built (miss)").register(registry);
        truncated = Counter.builder("zonekeeper.dns.truncated")
                .description("UDP responses sent with TC set because the answer did not fit").register(registry);
    }

    private Counter responseCounter(String rcode) {
        return Counter.builder("zonekeeper.dns.responses").description("DNS responses sent, by rcode")
                .tag("rcode", rcode).register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public String scrape() {
        return registry.scrape();
    }

    public void query(int transport, int qtype) {
        queries[transport][typeIndex(qtype)].increment();
    }

    private static int typeIndex(int qtype) {
        for (int i = 0; i < KNOWN_TYPES.length; i++) {
            if (KNOWN_TYPES[i] == qtype) {
                return i;
            }
        }
        return KNOWN_TYPES.length;
    }

    public void response(int rcode, long startNanos) {
        (rcode >= 0 && rcode < responses.length ? responses[rcode] : responsesOther).increment();
        latency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    public void badInput(BadInput reason) {
        badInput[reason.ordinal()].increment();
    }

    public void dropped(BadInput reason) {
        dropped[reason.ordinal()].increment();
    }

    public void fastPath(boolean hit) {
        (hit ? fastPathHits : fastPathMisses).increment();
    }

    public void truncated() {
        truncated.increment();
    }

    /** Sets the record count of a zone (a gauge per zone). */
    public void zoneRecords(String zone, long records) {
        zoneRecords.computeIfAbsent(zone, z -> {
            AtomicLong v = new AtomicLong();
            Gauge.builder("zonekeeper.dns.zone.records", v, AtomicLong::get)
                    .description("Records in each served zone").tag("zone", z).register(registry);
            return v;
        }).set(records);
    }

    /** Counters read back in tests and logs. */
    public double count(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }
}
