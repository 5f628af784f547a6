package dev.zonekeeper.e2e.chart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zonekeeper.e2e.scenario.Commands;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** helm lint, and values.schema.json rejecting bad values with a message that names them. */
class ChartValidationTest {

    private static Helm helm;

    @BeforeEach
    void locateHelm() {
        helm = Helm.locate();
    }

    @Test
    void lintStrictPasses() {
        Commands.Result lint = helm.lintStrict().assertSuccess();
        assertThat(lint.stdout())
                .contains("1 chart(s) linted, 0 chart(s) failed")
                .doesNotContain("[WARNING]", "[ERROR]");
    }

    @Test
    void chartMetadataFollowsTheContract() {
        Commands.Result show =
                helm.run(List.of("show", "chart", helm.chartDir().toString())).assertSuccess();
        assertThat(show.stdout()).contains("apiVersion: v2", "name: zonekeeper", "version: 0.1.0", "appVersion: 0.1.0");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            replicaCount=two                 | /replicaCount      | want integer
            replicas=3                       | additional properties 'replicas' not allowed | replicas
            upstreams[0]=8.8.8.8             | /upstreams/0       | does not match pattern
            zones[0].name=example.com        | /zones/0           | missing property 'writers'
            service.clusterIP=not-an-ip      | /service/clusterIP | does not match pattern
            logLevel=LOUD                    | /logLevel          | value must be one of 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'
            pods=insecure                    | /pods              | value must be one of 'verified', 'disabled'
            service.type=ExternalName        | /service/type      | value must be one of 'ClusterIP', 'NodePort', 'LoadBalancer'
            image.operator.pullPolicy=Sometimes | /image/operator/pullPolicy | value must be one of 'Always', 'IfNotPresent', 'Never'
            dnsServer.rrl.rate=-1            | /dnsServer/rrl/rate | minimum
            dnsServer.rrl.ipv4Prefix=33      | /dnsServer/rrl/ipv4Prefix | maximum
            """)
    void schemaRejectsInvalidValues(String setting, String expectedLocation, String expectedReason) {
        Commands.Result result = helm.template("zk", "dns", List.of("--set", setting));
        assertThat(result.exitCode())
                .as("exit code of helm template --set %s", setting)
                .isNotZero();
        assertThat(result.stderr())
                .contains("values don't meet the specifications of the schema")
                .contains(expectedLocation)
                .contains(expectedReason);
    }

    @Test
    void gracePeriodMustCoverTheLameduck() {
        Commands.Result result = helm.template("zk", "dns", List.of("--set", "dnsServer.lameduckSeconds=30"));
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.stderr())
                .contains("terminationGracePeriodSeconds must be at least dnsServer.lameduckSeconds + 10");

        Commands.Result longer = helm.template(
                        "zk",
                        "dns",
                        List.of(
                                "--set",
                                "dnsServer.lameduckSeconds=30",
                                "--set",
                                "terminationGracePeriodSeconds=45",
                                "--set",
                                "dnsServer.snapshots.enabled=false"))
                .assertSuccess();
        JsonNode pod = Manifests.parse(longer.stdout())
                .get("Deployment", "zk-zonekeeper")
                .path("spec")
                .path("template")
                .path("spec");
        assertThat(pod.path("terminationGracePeriodSeconds").asInt()).isEqualTo(45);
        List<String> args =
                Manifests.texts(Manifests.container(pod, "dns-server").path("args"));
        assertThat(args).containsSubsequence("--lameduck", "30").doesNotContain("--snapshot-dir");
        assertThat(pod.path("volumes").findValuesAsText("name")).doesNotContain("snapshots");
    }

    @Test
    void serviceAccountNameIsRequiredWhenNotCreated() {
        Commands.Result result = helm.template("zk", "dns", List.of("--set", "serviceAccount.create=false"));
        assertThat(result.exitCode()).isNotZero();
        assertThat(result.stderr()).contains("serviceAccount.name is required when serviceAccount.create is false");

        Commands.Result named = helm.template(
                        "zk",
                        "dns",
                        List.of("--set", "serviceAccount.create=false", "--set", "serviceAccount.name=dns-operator"))
                .assertSuccess();
        Manifests manifests = Manifests.parse(named.stdout());
        assertThat(manifests.ofKind("ServiceAccount")).isEmpty();
        assertThat(manifests
                        .get("Deployment", "zk-zonekeeper")
                        .path("spec")
                        .path("template")
                        .path("spec")
                        .path("serviceAccountName")
                        .asText())
                .isEqualTo("dns-operator");
    }
}
