package dev.zonekeeper.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.zonekeeper.e2e.cluster.TestCluster;
import dev.zonekeeper.testing.ChildProcess;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 14 point 1: one table of DnsRecord specs ({@code dnsrecord-values.yaml}) through both entry points gives the
 * same answers ({@code dig +short}) and the same refusals: standalone mode on a records directory, and the operator
 * with DnsRecords in a real API server, answered by its sidecar.
 */
@ExtendWith(ZonekeeperExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DnsRecordValuesTableTest {

    private static final String API_SERVER_REFUSES = "refused by the API server (CRD schema)";

    record Case(
            String id,
            String name,
            String type,
            Long ttl,
            List<String> values,
            List<String> answers,
            String rejected,
            boolean apiServer) {

        /** What a user sees: the sorted dig answers, or the refusal. */
        String expected() {
            return rejected != null
                    ? "rejected: " + rejected
                    : "answers: " + answers.stream().sorted().toList();
        }
    }

    private TestCluster cluster;
    private OperatorFixture operator;
    private Sidecar sidecar;
    private String ns;
    private List<Case> cases;

    @BeforeAll
    void setUp(TestCluster cluster, OperatorFixture operator, Sidecar sidecar) throws IOException {
        this.cluster = cluster;
        this.operator = operator;
        this.sidecar = sidecar;
        this.ns = "zk-values-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        cluster.client()
                .namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(ns)
                        .endMetadata()
                        .build())
                .create();
        this.cases = load(ns + ".svc.cluster.local");
    }

    @AfterAll
    void tearDown() {
        if (ns != null) {
            cluster.client().namespaces().withName(ns).delete();
        }
    }

    @Test
    void standaloneModeAndTheOperatorAnswerAndRefuseAlike() throws Exception {
        Map<String, String> expectedStandalone = new LinkedHashMap<>();
        Map<String, String> expectedCluster = new LinkedHashMap<>();
        for (Case c : cases) {
            expectedStandalone.put(c.id(), c.expected());
            expectedCluster.put(c.id(), c.apiServer() ? API_SERVER_REFUSES : c.expected());
        }

        Map<String, String> standalone = standalone();
        assertThat(standalone).as("standalone mode").containsExactlyEntriesOf(expectedStandalone);

        Map<String, String> refusedAtCreation = createDnsRecords();
        await("the operator's verdicts and its sidecar's answers (operator log: "
                        + operator.operator().log() + ")")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(1))
                .failFast("operator exited", () -> !operator.operator().alive())
                .untilAsserted(() -> assertThat(cluster(refusedAtCreation))
                        .as("the operator")
                        .containsExactlyEntriesOf(expectedCluster));
    }

    /** Each case as a file in a records directory, served by the DNS server jar in standalone mode. */
    private Map<String, String> standalone() throws Exception {
        String zone = ns + ".svc.cluster.local";
        Path dir = Files.createTempDirectory("zk-values");
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        for (Case c : cases) {
            yaml.writeValue(
                    dir.resolve(c.id() + ".yaml").toFile(),
                    Map.of(
                            "apiVersion",
                            "zonekeeper.dev/v1alpha1",
                            "kind",
                            "DnsRecord",
                            "metadata",
                            Map.of("name", c.id()),
                            "spec",
                            spec(c)));
        }
        InetSocketAddress listen = new InetSocketAddress("127.0.0.1", Ports.free());
        try (ChildProcess server = ChildProcess.start(
                "dns-server-values",
                Artifacts.standaloneServer(dir, zone, listen),
                Map.of(),
                dir,
                ChildProcess.logFile("e2e-logs", "dns-server-values"))) {
            await().atMost(Duration.ofSeconds(120))
                    .failFast(() -> !server.alive())
                    .until(() -> log(server).contains("DNS listening on"));
            List<String> lines =
                    log(server).lines().filter(l -> l.contains(" rejected ")).toList();
            Map<String, String> outcome = new LinkedHashMap<>();
            for (Case c : cases) {
                String marker = " (" + c.id() + "): ";
                String rejection = lines.stream()
                        .filter(l -> l.contains(marker))
                        .map(l -> "rejected: " + l.substring(l.indexOf(marker) + marker.length()))
                        .findFirst()
                        .orElse(null);
                outcome.put(c.id(), rejection != null ? rejection : "answers: " + dig(listen, c));
            }
            return outcome;
        }
    }

    /** Creates every case as a DnsRecord; returns the ones the API server refused, with its message. */
    private Map<String, String> createDnsRecords() {
        Map<String, String> refused = new LinkedHashMap<>();
        for (Case c : cases) {
            GenericKubernetesResource resource = DnsRecords.of(ns, c.id(), c.name(), c.type(), c.values());
            resource.setAdditionalProperty("spec", spec(c));
            try {
                DnsRecords.api(cluster.client())
                        .inNamespace(ns)
                        .resource(resource)
                        .create();
            } catch (KubernetesClientException e) {
                assertThat(e.getCode()).as("%s: %s", c.id(), e.getMessage()).isEqualTo(422);
                refused.put(c.id(), e.getMessage());
            }
        }
        return refused;
    }

    private Map<String, String> cluster(Map<String, String> refusedAtCreation) {
        Map<String, String> outcome = new LinkedHashMap<>();
        for (Case c : cases) {
            if (refusedAtCreation.containsKey(c.id())) {
                outcome.put(c.id(), API_SERVER_REFUSES);
                continue;
            }
            DnsRecords.Ready ready = DnsRecords.ready(DnsRecords.api(cluster.client())
                            .inNamespace(ns)
                            .withName(c.id())
                            .get())
                    .orElse(null);
            if (ready == null) {
                outcome.put(c.id(), "no Ready condition yet");
            } else if (!"True".equals(ready.status())) {
                outcome.put(c.id(), "rejected: " + ready.message());
            } else {
                outcome.put(c.id(), "answers: " + dig(sidecar.dns, c));
            }
        }
        return outcome;
    }

    private static Map<String, Object> spec(Case c) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", c.name());
        spec.put("type", c.type());
        if (c.ttl() != null) {
            spec.put("ttl", c.ttl());
        }
        spec.put("values", c.values());
        return spec;
    }

    /** {@code dig +short}, as a user would check a record, lines sorted. */
    private static List<String> dig(InetSocketAddress server, Case c) {
        Commands.Result result = Commands.run(
                        List.of(
                                "dig",
                                "+short",
                                "+norecurse",
                                "+time=2",
                                "+tries=2",
                                "-p",
                                Integer.toString(server.getPort()),
                                "@" + server.getAddress().getHostAddress(),
                                c.name(),
                                c.type()),
                        Duration.ofSeconds(30))
                .assertSuccess();
        return result.stdout().lines().filter(l -> !l.isBlank()).sorted().toList();
    }

    private static String log(ChildProcess p) throws IOException {
        return Files.readString(p.log(), StandardCharsets.UTF_8);
    }

    /** The table, with {@code {zone}} replaced by the zone both modes serve the names in. */
    static List<Case> load(String zone) throws IOException {
        JsonNode root;
        try (InputStream in = DnsRecordValuesTableTest.class.getResourceAsStream("/dnsrecord-values.yaml")) {
            root = new ObjectMapper(new YAMLFactory()).readTree(in);
        }
        List<Case> cases = new ArrayList<>();
        for (JsonNode n : root.get("cases")) {
            cases.add(new Case(
                    n.get("id").asText(),
                    n.get("name").asText().replace("{zone}", zone),
                    n.get("type").asText(),
                    n.has("ttl") ? n.get("ttl").asLong() : null,
                    texts(n.get("values"), zone),
                    n.has("answers") ? texts(n.get("answers"), zone) : null,
                    n.has("rejected") ? n.get("rejected").asText().replace("{zone}", zone) : null,
                    n.path("apiServer").asBoolean(false)));
        }
        assertThat(cases)
                .as("cases in dnsrecord-values.yaml")
                .isNotEmpty()
                .allSatisfy(c -> assertThat(c.answers() == null)
                        .as(c.id() + ": answers or rejected")
                        .isNotEqualTo(c.rejected() == null));
        return cases;
    }

    private static List<String> texts(JsonNode array, String zone) {
        List<String> texts = new ArrayList<>();
        array.forEach(v -> texts.add(v.asText().replace("{zone}", zone)));
        return texts;
    }
}
