package dev.zonekeeper.dns.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.DnsServer;
import dev.zonekeeper.dns.testing.InProcessServer;
import dev.zonekeeper.dns.testing.Packets;
import dev.zonekeeper.testing.KnotServer;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Issue point 6: {@code GET /metrics} after real traffic shows every family of meters in Prometheus text format, with
 * a real Knot upstream and an upstream that is down; {@code /health} and {@code /ready} answer.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class MetricsEndpointTest {
    private static final String UPSTREAM_ZONE = String.join(
            "\n",
            "$ORIGIN up.test.",
            "@ 300 IN SOA ns.up.test. hostmaster.up.test. 1 7200 1800 86400 300",
            "@ 300 IN NS ns.up.test.",
            "ns 300 IN A 127.0.0.1",
            "short 1 IN A 10.1.1.1",
            "long 300 IN A 10.1.1.2",
            "");

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void metricsShowQueriesResponsesLatencyCacheUpstreamsBadInputAndZones() throws Exception {
        InetSocketAddress down = unusedPort();
        KnotServer knot =
                KnotServer.start("up.test.", UPSTREAM_ZONE, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        DnsServer server = null;
        try {
            server = InProcessServer.start(
                    "--records",
                    InProcessServer.exampleRecords().toString(),
                    "--zone",
                    "example.test",
                    "--zone",
                    "2.0.192.in-addr.arpa",
                    "--upstream",
                    hostPort(down),
                    "--upstream",
                    hostPort(knot.address()));
            InetSocketAddress dns = InProcessServer.dns(server);
            DnsServer running = server;

            assertThat(ask(dns, "www.example.test", Type.A, false).getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(ask(dns, "www.example.test", Type.A, false).getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(ask(dns, "www.example.test", Type.AAAA, true).getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(ask(dns, "example.test", Type.MX, false).getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(ask(dns, "nothing.example.test", Type.TXT, false).getRcode())
                    .isEqualTo(Rcode.NXDOMAIN);
            // forwarded: a miss, then a hit
            assertThat(ask(dns, "long.up.test", Type.A, false).getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(ask(dns, "long.up.test", Type.A, false).getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(ask(dns, "short.up.test", Type.A, false).getRcode()).isEqualTo(Rcode.NOERROR);
            // bad input: one malformed (FORMERR), one response (dropped)
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                s.setSoTimeout(5000);
                byte[] loop = Packets.header(77, 0, 1, 0, 0, 0)
                        .u16(0xC00C)
                        .u16(1)
                        .u16(1)
                        .build();
                s.send(new DatagramPacket(loop, loop.length, dns));
                byte[] response = Packets.header(78, 0x8180, 0, 0, 0, 0).build();
                s.send(new DatagramPacket(response, response.length, dns));
                byte[] buf = new byte[512];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                s.receive(p);
                assertThat(new Message(java.util.Arrays.copyOf(buf, p.getLength())).getRcode())
                        .isEqualTo(Rcode.FORMERR);
            }
            // every upstream down: the expired short.up.test entry is served stale (RFC 8767)
            knot.stop();
            await("stale answer")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .until(() -> ask(dns, "short.up.test", Type.A, false).getRcode() == Rcode.NOERROR
                            && scrape(running).value("zonekeeper_dns_forward_cache_total", "result", "stale") >= 1);

            HttpResponse<String> r = get(server, "/metrics");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain; version=0.0.4"));
            Exposition m = Exposition.parse(r.body());
            assertThat(r.body())
                    .contains("# TYPE zonekeeper_dns_queries_total counter")
                    .contains("# TYPE zonekeeper_dns_request_duration_seconds histogram")
                    .contains("zonekeeper_dns_queries_total{transport=\"udp\",type=\"A\"} ");

            assertThat(m.value("zonekeeper_dns_queries_total", "transport", "tcp", "type", "AAAA"))
                    .isEqualTo(1);
            assertThat(m.value("zonekeeper_dns_queries_total", "transport", "udp", "type", "MX"))
                    .isEqualTo(1);
            assertThat(m.value("zonekeeper_dns_queries_total", "transport", "udp", "type", "TXT"))
                    .isEqualTo(1);
            assertThat(m.value("zonekeeper_dns_queries_total", "transport", "udp", "type", "A"))
                    .isGreaterThanOrEqualTo(5);
            assertThat(m.value("zonekeeper_dns_responses_total", "rcode", "NOERROR"))
                    .isGreaterThanOrEqualTo(7);
            assertThat(m.value("zonekeeper_dns_responses_total", "rcode", "NXDOMAIN"))
                    .isEqualTo(1);
            assertThat(m.value("zonekeeper_dns_responses_total", "rcode", "FORMERR"))
                    .isEqualTo(1);
            // latency histogram: cumulative buckets up to +Inf, which holds every response
            double responses = m.sum("zonekeeper_dns_responses_total");
            assertThat(m.value("zonekeeper_dns_request_duration_seconds_bucket", "le", "+Inf"))
                    .isEqualTo(responses);
            assertThat(m.value("zonekeeper_dns_request_duration_seconds_count")).isEqualTo(responses);
            assertThat(m.samples("zonekeeper_dns_request_duration_seconds_bucket"))
                    .hasSizeGreaterThanOrEqualTo(11);
            assertThat(m.value("zonekeeper_dns_request_duration_seconds_bucket", "le", "2.5E-5"))
                    .isLessThanOrEqualTo(m.value("zonekeeper_dns_request_duration_seconds_bucket", "le", "0.001"));
            // forwarder cache
            assertThat(m.value("zonekeeper_dns_forward_cache_total", "result", "miss"))
                    .isGreaterThanOrEqualTo(2);
            assertThat(m.value("zonekeeper_dns_forward_cache_total", "result", "hit"))
                    .isGreaterThanOrEqualTo(1);
            assertThat(m.value("zonekeeper_dns_forward_cache_total", "result", "stale"))
                    .isGreaterThanOrEqualTo(1);
            // upstreams: latency of the live one, failures of the dead one
            String live = hostPort(knot.address());
            assertThat(m.value("zonekeeper_dns_upstream_duration_seconds_count", "upstream", live))
                    .isGreaterThanOrEqualTo(2);
            assertThat(m.samples("zonekeeper_dns_upstream_duration_seconds_bucket", "upstream", live))
                    .isNotEmpty();
            assertThat(m.samples("zonekeeper_dns_upstream_failures_total", "upstream", hostPort(down)))
                    .as("failures of the upstream that is down")
                    .isNotEmpty()
                    .allSatisfy(s -> assertThat(s.labels()).containsKey("reason"));
            assertThat(m.sum("zonekeeper_dns_upstream_failures_total", "upstream", hostPort(down)))
                    .isGreaterThanOrEqualTo(1);
            // bad input
            assertThat(m.value("zonekeeper_dns_malformed_total", "reason", "malformed"))
                    .isEqualTo(1);
            assertThat(m.value("zonekeeper_dns_dropped_total", "reason", "qr_set"))
                    .isEqualTo(1);
            assertThat(m.value("zonekeeper_dns_dropped_total", "reason", "too_short"))
                    .isZero();
            // zones
            assertThat(m.value("zonekeeper_dns_zone_records", "zone", "example.test."))
                    .isGreaterThan(20);
            // SOA, NS, the NS's address (ns.dns.2.0.192.in-addr.arpa.) and two PTRs
            assertThat(m.value("zonekeeper_dns_zone_records", "zone", "2.0.192.in-addr.arpa."))
                    .isEqualTo(5);

            HttpResponse<String> health = get(server, "/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("ok\n");
            HttpResponse<String> ready = get(server, "/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("ready: serving 2 zones\n");
        } finally {
            if (server != null) {
                server.close();
            }
            knot.stop();
        }
    }

    @Test
    void readyIs503UntilZonesAreLoaded() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean();
        HttpEndpoint endpoint = new HttpEndpoint(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                () -> "",
                ready::get,
                () -> ready.get() ? "serving 1 zones" : "zones not loaded");
        try {
            URI uri = URI.create("http://127.0.0.1:" + endpoint.address().getPort() + "/ready");
            HttpResponse<String> before =
                    http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(before.statusCode()).isEqualTo(503);
            assertThat(before.body()).isEqualTo("not ready: zones not loaded\n");
            ready.set(true);
            HttpResponse<String> after =
                    http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(after.statusCode()).isEqualTo(200);
            assertThat(after.body()).isEqualTo("ready: serving 1 zones\n");
        } finally {
            endpoint.close();
        }
    }

    private HttpResponse<String> get(DnsServer server, String path) throws IOException, InterruptedException {
        InetSocketAddress a = server.http().address();
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private Exposition scrape(DnsServer server) throws IOException, InterruptedException {
        return Exposition.parse(get(server, "/metrics").body());
    }

    private static Message ask(InetSocketAddress dns, String name, int type, boolean tcp) throws IOException {
        SimpleResolver resolver = new SimpleResolver(dns);
        resolver.setTCP(tcp);
        resolver.setTimeout(Duration.ofSeconds(10));
        return resolver.send(
                Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN)));
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** A loopback port with nothing listening on UDP or TCP (bound once by us, then released). */
    private static InetSocketAddress unusedPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
        }
    }

    /** The Prometheus text exposition, parsed into samples. */
    record Sample(String name, Map<String, String> labels, double value) {}

    record Exposition(List<Sample> all) {
        private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
        private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

        static Exposition parse(String text) {
            List<Sample> samples = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                Matcher m = LINE.matcher(line);
                assertThat(m.matches()).as("Prometheus sample line: %s", line).isTrue();
                Map<String, String> labels = new LinkedHashMap<>();
                if (m.group(2) != null) {
                    Matcher l = LABEL.matcher(m.group(2));
                    int end = 0;
                    while (l.find()) {
                        assertThat(l.start()).as("labels of %s", line).isEqualTo(end);
                        labels.put(l.group(1), l.group(2));
                        end = l.end();
                    }
                    assertThat(end)
                            .as("labels of %s", line)
                            .isEqualTo(m.group(2).length());
                }
                samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
            }
            return new Exposition(samples);
        }

        List<Sample> samples(String name, String... labelPairs) {
            List<Sample> out = new ArrayList<>();
            for (Sample s : all) {
                if (s.name().equals(name) && matches(s, labelPairs)) {
                    out.add(s);
                }
            }
            return out;
        }

        private static boolean matches(Sample s, String... pairs) {
            for (int i = 0; i < pairs.length; i += 2) {
                if (!pairs[i + 1].equals(s.labels().get(pairs[i]))) {
                    return false;
                }
            }
            return true;
        }

        /** The one sample with that name and those labels. */
        double value(String name, String... labelPairs) {
            List<Sample> found = samples(name, labelPairs);
            assertThat(found).as("%s%s", name, List.of(labelPairs)).hasSize(1);
            return found.get(0).value();
        }

        double sum(String name, String... labelPairs) {
            return samples(name, labelPairs).stream().mapToDouble(Sample::value).sum();
        }
    }
}
