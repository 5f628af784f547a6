package dev.zonekeeper.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zonekeeper.e2e.cluster.Prerequisites;
import dev.zonekeeper.e2e.cluster.TestCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.Type;

/**
 * Dynamic updates end to end, as a user sets them up and a client uses them: a Secret with a TSIG key and a
 * DnsUpdatePolicy granting it {@code _acme-challenge} TXT records in the namespace's part of the cluster domain;
 * the real {@code nsupdate}, signed with that key, sends its UPDATEs to the DNS sidecar's port, which forwards them
 * to the operator (running as the chart's ServiceAccount, so with the chart's RBAC); the record is a DnsRecord
 * {@code kubectl get dnsrecords} lists with the key's label, and {@code dig} answers it. Updates outside the grant
 * and for a Service's name are REFUSED with a Warning Event on the policy, and the key may not list the cluster
 * domain ({@code dig -y ... AXFR} is refused, through the sidecar too).
 */
@ExtendWith(ZonekeeperExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DynamicUpdateScenario {

    static final ResourceDefinitionContext POLICIES = new ResourceDefinitionContext.Builder()
            .withGroup("zonekeeper.dev")
            .withVersion("v1alpha1")
            .withKind("DnsUpdatePolicy")
            .withPlural("dnsupdatepolicies")
            .withNamespaced(true)
            .build();
    private static final String SECRET = "c2NlbmFyaW8tc2VjcmV0LXNjZW5hcmlvLXNlY3JldC0zMg==";

    private TestCluster cluster;
    private OperatorFixture operator;
    private Sidecar sidecar;
    private Path kubectl;
    private Path work;
    private String ns;
    private String keyName;
    private String domain;
    private String challenge;

    @BeforeAll
    void setUp(TestCluster cluster, OperatorFixture operator, Sidecar sidecar) throws IOException {
        this.cluster = cluster;
        this.operator = operator;
        this.sidecar = sidecar;
        this.kubectl = Prerequisites.kubectl();
        this.work = Files.createTempDirectory("zk-e2e-update");
        String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        this.ns = "zk-update-" + suffix;
        this.keyName = "acme-" + suffix;
        this.domain = ns + ".svc.cluster.local";
        this.challenge = "_acme-challenge." + domain;
        cluster.client()
                .namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(ns)
                        .endMetadata()
                        .build())
                .create();
        // a Service: its name is the cluster's, never an update's
        cluster.client()
                .services()
                .inNamespace(ns)
                .resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withName("web")
                        .endMetadata()
                        .withNewSpec()
                        .addNewPort()
                        .withPort(80)
                        .endPort()
                        .endSpec()
                        .build())
                .create();
        cluster.client()
                .secrets()
                .inNamespace(ns)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("acme-tsig")
                        .endMetadata()
                        .withStringData(Map.of("tsig.key", keyName + ":hmac-sha256:" + SECRET + "\n"))
                        .build())
                .create();
        Files.writeString(
                work.resolve("policy.yaml"),
                String.join(
                        "\n",
                        "apiVersion: zonekeeper.dev/v1alpha1",
                        "kind: DnsUpdatePolicy",
                        "metadata: {name: acme, namespace: " + ns + "}",
                        "spec:",
                        "  zone: cluster.local",
                        "  keySecretRef: {name: acme-tsig}",
                        "  grants:",
                        "    - {match: subdomain, name: " + challenge + ", types: [TXT]}",
                        "    - {match: name, name: web." + domain + ", types: [A]}",
                        ""));
        kubectl("apply", "-f", work.resolve("policy.yaml").toString()).assertSuccess();
    }

    /** The cluster domain's SOA serial as the sidecar serves it. */
    private long serial() {
        List<String> soa = new Dns(sidecar.dns).query("cluster.local", Type.SOA).data();
        assertThat(soa).hasSize(1);
        return Long.parseLong(soa.getFirst().split(" ")[2]);
    }

    @AfterAll
    void tearDown() {
        if (ns != null) {
            cluster.client().namespaces().withName(ns).delete();
        }
    }

    private ConditionFactory eventually(String what) {
        return await(what + " (operator log: " + operator.operator().log() + ")")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .failFast("operator exited", () -> !operator.operator().alive());
    }

    private Commands.Result kubectl(String... args) {
        List<String> command = new ArrayList<>(
                List.of(kubectl.toString(), "--kubeconfig", cluster.kubeconfig().toString(), "--namespace", ns));
        command.addAll(List.of(args));
        return Commands.run(command, Duration.ofMinutes(1));
    }

    /** {@code nsupdate -y} with {@code lines} after the server and zone lines, ended by {@code send}. */
    private Commands.Result nsupdate(boolean tcp, String... lines) {
        return nsupdate(tcp, true, lines);
    }

    /** As above; without the zone line nsupdate first finds the zone by a TSIG-signed SOA query for the name. */
    private Commands.Result nsupdate(boolean tcp, boolean zoneLine, String... lines) {
        List<String> script = new ArrayList<>();
        script.add("server 127.0.0.1 " + sidecar.dns.getPort());
        if (zoneLine) {
            script.add("zone cluster.local.");
        }
        script.addAll(List.of(lines));
        script.add("send");
        script.add("");
        try {
            Path file = Files.createTempFile(work, "nsupdate", ".txt");
            Files.writeString(file, String.join("\n", script), StandardCharsets.UTF_8);
            List<String> command = new ArrayList<>(List.of("nsupdate", "-y", "hmac-sha256:" + keyName + ":" + SECRET));
            if (tcp) {
                command.add("-v");
            }
            command.add(file.toString());
            return Commands.run(command, Duration.ofSeconds(60));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode policy() {
        GenericKubernetesResource p = cluster.client()
                .genericKubernetesResources(POLICIES)
                .inNamespace(ns)
                .withName("acme")
                .get();
        return new ObjectMapper().valueToTree(p);
    }

    private List<String> warningReasons() {
        return cluster.client().v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> "Warning".equals(e.getType())
                        && "acme".equals(e.getInvolvedObject().getName())
                        && "DnsUpdatePolicy".equals(e.getInvolvedObject().getKind()))
                .map(e -> e.getReason() + ": " + e.getMessage())
                .toList();
    }

    @Test
    @Order(1)
    void thePolicyIsReadyWithItsKeyAndGrants() {
        eventually("the DnsUpdatePolicy Ready").untilAsserted(() -> {
            JsonNode status = policy().path("status");
            assertThat(status.path("conditions").get(0).path("status").asText())
                    .as("%s", status)
                    .isEqualTo("True");
            assertThat(status.path("keyName").asText()).isEqualTo(keyName);
            assertThat(status.path("grants").asInt()).isEqualTo(2);
        });
        String table = kubectl("get", "dnsupdatepolicies").assertSuccess().stdout();
        assertThat(table.lines().findFirst().orElseThrow())
                .contains("ZONE")
                .contains("KEY")
                .contains("GRANTS")
                .contains("READY");
        assertThat(table).contains("cluster.local").contains(keyName).contains("True");
    }

    @Test
    @Order(2)
    void nsupdateAddsATxtRecordThatKubectlListsAndDigAnswers() {
        eventually("nsupdate adds the challenge")
                .untilAsserted(() -> nsupdate(false, "update add " + challenge + ". 60 TXT \"token-one\"")
                        .assertSuccess());
        long serialBefore = serial();
        nsupdate(true, "update add " + challenge + ". 60 TXT \"token-two\"").assertSuccess();
        // NOERROR comes once the sidecar that forwarded the update has it too: a CA may ask at once
        assertThat(new Dns(sidecar.dns).query(challenge, Type.TXT)).isEqualTo(Dns.noerror("token-one", "token-two"));
        assertThat(serial()).as("the zone's SOA serial after an update").isGreaterThan(serialBefore);

        String records =
                kubectl("get", "dnsrecords", "-o", "json").assertSuccess().stdout();
        JsonNode items = read(records).path("items");
        assertThat(items).hasSize(1);
        JsonNode record = items.get(0);
        assertThat(record.path("spec").path("name").asText()).startsWith(challenge);
        assertThat(record.path("spec").path("type").asText()).isEqualTo("TXT");
        assertThat(record.path("metadata")
                        .path("labels")
                        .path("zonekeeper.dev/update-key")
                        .asText())
                .contains(keyName);
        assertThat(kubectl("get", "dnsrecords", "-l", "zonekeeper.dev/update-key")
                        .assertSuccess()
                        .stdout())
                .contains("TXT")
                .contains("token-one")
                .contains("token-two");
    }

    @Test
    @Order(3)
    void anUpdateOutsideTheGrantIsRefusedWithAWarningOnThePolicy() {
        Commands.Result refused = nsupdate(false, "update add other." + domain + ". 60 TXT \"nope\"");
        assertThat(refused.exitCode()).as("%s", refused).isNotZero();
        assertThat(refused.stdout() + refused.stderr()).contains("REFUSED");
        assertThat(new Dns(sidecar.dns).query("other." + domain, Type.TXT).data())
                .isEmpty();
        eventually("a Warning Event on the policy")
                .untilAsserted(() -> assertThat(warningReasons()).anyMatch(r -> r.startsWith("UpdateOutsideGrant")));
    }

    @Test
    @Order(4)
    void anUpdateOfAServiceNameIsRefused() {
        Commands.Result refused = nsupdate(false, "update add web." + domain + ". 60 A 192.0.2.66");
        assertThat(refused.exitCode()).as("%s", refused).isNotZero();
        assertThat(refused.stdout() + refused.stderr()).contains("REFUSED");
        assertThat(new Dns(sidecar.dns).query("web." + domain, Type.A).data()).doesNotContain("192.0.2.66");
        eventually("a Warning Event on the policy")
                .untilAsserted(() -> assertThat(warningReasons()).anyMatch(r -> r.startsWith("UpdateGeneratedName")));
    }

    @Test
    @Order(5)
    void theKeyMayNotListTheClusterDomain() {
        // a key that writes one namespace's names must not enumerate every Service and Pod of the cluster; a key on
        // a zone of its own lists it (ExternalDNS does, UpdateClientsScenario)
        for (int port : List.of(sidecar.dns.getPort(), operator.transferPort)) {
            Commands.Result axfr = Commands.run(
                    List.of(
                            "dig",
                            "-y",
                            "hmac-sha256:" + keyName + ":" + SECRET,
                            "-p",
                            Integer.toString(port),
                            "@127.0.0.1",
                            "cluster.local",
                            "AXFR"),
                    Duration.ofSeconds(60));
            assertThat(axfr.stdout())
                    .as("AXFR on port %d", port)
                    .doesNotContain("token-one")
                    .doesNotContain("web." + domain)
                    .contains("failed");
        }
    }

    @Test
    @Order(6)
    void nsupdateWithoutAZoneLineFindsTheZoneBySignedSoaThroughTheSidecar() {
        // the common use: no `zone` line, so nsupdate asks `<name> SOA` signed and accepts only a signed answer
        nsupdate(false, false, "update add " + challenge + ". 60 TXT \"token-three\"")
                .assertSuccess();
        assertThat(new Dns(sidecar.dns).query(challenge, Type.TXT))
                .isEqualTo(Dns.noerror("token-one", "token-three", "token-two"));
        nsupdate(true, false, "update delete " + challenge + ". TXT \"token-three\"")
                .assertSuccess();
        assertThat(new Dns(sidecar.dns).query(challenge, Type.TXT)).isEqualTo(Dns.noerror("token-one", "token-two"));
    }

    @Test
    @Order(7)
    void deletingOneValueLeavesTheOtherAndDeletingTheLastRemovesTheDnsRecord() {
        nsupdate(false, "update delete " + challenge + ". TXT \"token-one\"").assertSuccess();
        assertThat(new Dns(sidecar.dns).query(challenge, Type.TXT)).isEqualTo(Dns.noerror("token-two"));
        nsupdate(true, "update delete " + challenge + ". TXT").assertSuccess();
        assertThat(new Dns(sidecar.dns).query(challenge, Type.TXT).data()).isEmpty();
        assertThat(read(kubectl("get", "dnsrecords", "-o", "json")
                                .assertSuccess()
                                .stdout())
                        .path("items"))
                .isEmpty();
    }

    @Test
    @Order(8)
    void theSchemaRejectsAnUnknownMatchAndType() throws IOException {
        Path bad = work.resolve("bad-policy.yaml");
        Files.writeString(
                bad,
                String.join(
                        "\n",
                        "apiVersion: zonekeeper.dev/v1alpha1",
                        "kind: DnsUpdatePolicy",
                        "metadata: {name: bad, namespace: " + ns + "}",
                        "spec:",
                        "  zone: cluster.local",
                        "  keySecretRef: {name: acme-tsig}",
                        "  grants:",
                        "    - {match: regex, name: " + challenge + ", types: [TXT, SOA]}",
                        ""));
        Commands.Result rejected = kubectl("apply", "-f", bad.toString());
        assertThat(rejected.exitCode()).as("%s", rejected).isNotZero();
        assertThat(rejected.stderr()).contains("spec.grants[0].match").contains("spec.grants[0].types[1]");
    }

    @Test
    @Order(9)
    void withoutItsSecretThePolicyIsNotReadyAndTheKeyIsRefused() {
        cluster.client().secrets().inNamespace(ns).withName("acme-tsig").delete();
        eventually("the DnsUpdatePolicy not Ready").untilAsserted(() -> {
            JsonNode ready = policy().path("status").path("conditions").get(0);
            assertThat(ready.path("status").asText()).as("%s", ready).isEqualTo("False");
            assertThat(ready.path("reason").asText()).isEqualTo("SecretNotFound");
            assertThat(ready.path("message").asText()).contains(ns + "/acme-tsig");
        });
        Commands.Result refused = nsupdate(false, "update add " + challenge + ". 60 TXT \"late\"");
        assertThat(refused.exitCode()).as("%s", refused).isNotZero();
        assertThat(new Dns(sidecar.dns).query(challenge, Type.TXT).data()).isEmpty();
        eventually("a Warning Event saying so")
                .untilAsserted(() -> assertThat(warningReasons()).anyMatch(r -> r.startsWith("SecretNotFound")));
    }

    @Test
    @Order(10)
    void theOperatorCountsUpdatesByResultAndZone() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String metrics = http.send(
                        java.net.http.HttpRequest.newBuilder(
                                        java.net.URI.create("http://127.0.0.1:" + operator.httpPort + "/q/metrics"))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(counter(metrics, "zonekeeper_updates_total", "result=\"applied\"", "zone=\"cluster.local\""))
                .as(metrics)
                .isGreaterThanOrEqualTo(4); // two adds, two deletes
        assertThat(counter(metrics, "zonekeeper_updates_total", "result=\"outside_grant\"", "zone=\"cluster.local\""))
                .isGreaterThanOrEqualTo(1);
        assertThat(counter(metrics, "zonekeeper_updates_total", "result=\"generated_name\""))
                .isGreaterThanOrEqualTo(1);
        assertThat(counter(metrics, "zonekeeper_update_duration_seconds_count", "zone=\"cluster.local\""))
                .isGreaterThanOrEqualTo(4);
    }

    /** The sum of the samples of {@code name} whose labels contain every one of {@code labels}. */
    private static double counter(String metrics, String name, String... labels) {
        return metrics.lines()
                .filter(l -> l.startsWith(name + "{"))
                .filter(l -> java.util.Arrays.stream(labels).allMatch(l::contains))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static JsonNode read(String json) {
        try {
            return new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
