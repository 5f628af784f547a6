package dev.zonekeeper.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.e2e.cluster.Prerequisites;
import dev.zonekeeper.e2e.cluster.TestCluster;
import dev.zonekeeper.testing.KnotServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.Type;

/**
 * A process with a pod's view of DNS: in its own network namespace, reached over a veth pair (a private /30 made by
 * the test; the traffic never leaves the machine), with the {@code /etc/resolv.conf} the kubelet writes for a pod
 * ({@code search <ns>.svc.cluster.local svc.cluster.local cluster.local}, {@code options ndots:5}) naming a Zonekeeper
 * DNS sidecar on the host side of the veth, port 53. The C library's resolver ({@code getent hosts}) must resolve a
 * short Service name, a Service in another namespace, and an external name the sidecar forwards to an upstream Knot.
 *
 * <p>Needs root and iproute2 ({@code ip netns}); without them the scenario is skipped, except under CI=true.
 */
@ExtendWith(ZonekeeperExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PodResolutionScenario {

    private TestCluster cluster;
    private String podNs;
    private String otherNs;
    private String netns;
    private String hostIf;
    private String hostAddress;
    private String nsAddress;
    private boolean netnsMade;
    private boolean vethMade;
    private Path etcNetns;
    private KnotServer knot;
    private Sidecar sidecar;

    @BeforeAll
    void setUp(TestCluster cluster, OperatorFixture operator) throws IOException {
        this.cluster = cluster;
        requireNetworkNamespaces();
        String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        podNs = "zk-pod-" + suffix;
        otherNs = "zk-other-" + suffix;
        netns = "zk-e2e-" + suffix;
        hostIf = "zkh" + suffix;
        String nsIf = "zkn" + suffix;
        int block = ThreadLocalRandom.current().nextInt(64) * 4;
        int third = ThreadLocalRandom.current().nextInt(256);
        hostAddress = "10.213." + third + "." + (block + 1);
        nsAddress = "10.213." + third + "." + (block + 2);

        ip("netns", "add", netns);
        netnsMade = true;
        ip("link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
        vethMade = true;
        ip("link", "set", nsIf, "netns", netns);
        ip("addr", "add", hostAddress + "/30", "dev", hostIf);
        ip("link", "set", hostIf, "up");
        ip("netns", "exec", netns, "ip", "addr", "add", nsAddress + "/30", "dev", nsIf);
        ip("netns", "exec", netns, "ip", "link", "set", nsIf, "up");
        ip("netns", "exec", netns, "ip", "link", "set", "lo", "up");
        // `ip netns exec` bind-mounts /etc/netns/<name>/resolv.conf over /etc/resolv.conf
        etcNetns = Path.of("/etc/netns", netns);
        Files.createDirectories(etcNetns);
        Files.writeString(
                etcNetns.resolve("resolv.conf"),
                "search " + podNs + ".svc.cluster.local svc.cluster.local" + " cluster.local\nnameserver " + hostAddress
                        + "\noptions ndots:5\n",
                StandardCharsets.UTF_8);

        for (String ns : List.of(podNs, otherNs)) {
            cluster.client()
                    .namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(ns)
                            .endMetadata()
                            .build())
                    .create();
        }
        int knotPort = startKnot();
        sidecar = Sidecar.start(
                "dns-sidecar-netns",
                operator,
                new InetSocketAddress(hostAddress, 53),
                new InetSocketAddress("127.0.0.1", operator.podNotifyPort),
                List.of("127.0.0.1:" + knotPort));
    }

    @AfterAll
    void tearDown() throws IOException {
        if (sidecar != null) {
            sidecar.close();
        }
        if (knot != null) {
            knot.close();
        }
        if (vethMade) {
            Commands.run(List.of("ip", "link", "del", hostIf), Duration.ofSeconds(20));
        }
        if (netnsMade) {
            Commands.run(List.of("ip", "netns", "del", netns), Duration.ofSeconds(20));
        }
        if (etcNetns != null) {
            deleteTree(etcNetns);
        }
        if (cluster != null) {
            for (String ns : new String[] {podNs, otherNs}) {
                if (ns != null) {
                    cluster.client().namespaces().withName(ns).delete();
                }
            }
        }
    }

    @Test
    void aPodResolvesServicesAndExternalNamesThroughTheSidecar() {
        String mine = cluster.client()
                .services()
                .inNamespace(podNs)
                .resource(service())
                .create()
                .getSpec()
                .getClusterIP();
        String theirs = cluster.client()
                .services()
                .inNamespace(otherNs)
                .resource(service())
                .create()
                .getSpec()
                .getClusterIP();
        assertThat(mine).isNotEqualTo(theirs);

        await("getent hosts my-svc in the pod's network namespace")
                .atMost(Duration.ofSeconds(45))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(getent("my-svc")).isEqualTo(mine));
        assertThat(getent("my-svc." + otherNs)).isEqualTo(theirs);
        assertThat(getent("my-svc." + podNs + ".svc.cluster.local")).isEqualTo(mine);
        assertThat(getent("www.external.test")).as("forwarded to the upstream").isEqualTo("192.0.2.80");
        Commands.Result missing = Commands.run(
                List.of("ip", "netns", "exec", netns, "getent", "hosts", "no-such-svc"), Duration.ofSeconds(30));
        assertThat(missing.exitCode())
                .as("an unknown short name does not resolve: %s", missing)
                .isEqualTo(2);
    }

    private io.fabric8.kubernetes.api.model.Service service() {
        return new ServiceBuilder()
                .withNewMetadata()
                .withName("my-svc")
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withName("http")
                .withProtocol("TCP")
                .withPort(80)
                .endPort()
                .endSpec()
                .build();
    }

    /** The first address {@code getent hosts NAME} prints inside the network namespace. */
    private String getent(String name) {
        Commands.Result result =
                Commands.run(List.of("ip", "netns", "exec", netns, "getent", "hosts", name), Duration.ofSeconds(30));
        assertThat(result.exitCode()).as("%s", result).isZero();
        return result.stdout().trim().split("\\s+")[0];
    }

    private void requireNetworkNamespaces() {
        Commands.Result uid = Commands.run(List.of("id", "-u"), Duration.ofSeconds(10));
        if (!uid.stdout().trim().equals("0")) {
            throw Prerequisites.missing("the pod resolution scenario makes a network namespace and a veth pair:"
                    + " run the tests as root");
        }
        boolean hasIp = Files.isExecutable(Path.of("/usr/sbin/ip"))
                || Files.isExecutable(Path.of("/sbin/ip"))
                || Files.isExecutable(Path.of("/usr/bin/ip"));
        if (!hasIp) {
            throw Prerequisites.missing("`ip` not found: install the Debian package iproute2 (network namespaces)");
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/knotd"))) {
            throw Prerequisites.missing("knotd not found: install the Debian package knot (the upstream resolver)");
        }
    }

    private static void ip(String... args) {
        List<String> command = new ArrayList<>();
        command.add("ip");
        command.addAll(List.of(args));
        Commands.run(command, Duration.ofSeconds(20)).assertSuccess();
    }

    /** Knot DNS on 127.0.0.1 serving external.test: the sidecar's upstream (the sidecar runs on the host). */
    private int startKnot() {
        knot = KnotServer.start(
                "external.test.",
                String.join(
                        "\n",
                        "$ORIGIN external.test.",
                        "$TTL 300",
                        "@ SOA ns.external.test. hostmaster.external.test. 1 3600 600 86400 300",
                        "@ NS ns.external.test.",
                        "ns A 192.0.2.1",
                        "www A 192.0.2.80",
                        ""),
                new InetSocketAddress("127.0.0.1", 0));
        int port = knot.address().getPort();
        Dns upstream = new Dns(new InetSocketAddress("127.0.0.1", port));
        await("knotd serving external.test on 127.0.0.1:" + port)
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .failFast("knotd exited: " + knot.log(), () -> !knot.isRunning())
                .until(() -> upstream.query("www.external.test", Type.A).equals(Dns.noerror("192.0.2.80")));
        return port;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
