package dev.zonekeeper.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.testing.ChildProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The ACME DNS-01 cases of {@link AcmeDns01Cases} against Zonekeeper: the DNS server jar in standalone mode, as
 * {@code java -jar} runs it, serving {@code example.test} from a {@code --records} directory that holds one
 * {@code DnsUpdatePolicy} per client (its key in a {@code keyFile}) and the files of {@code examples/certbot}. pebble
 * resolves every challenge through it, and the clients' updates become DnsRecord files in that directory.
 */
class AcmeDns01Test extends AcmeDns01Cases {
    private Path records;

    /** The updates were written as DnsRecord files under --records; the clean-up must have removed them again. */
    @Override
    void assertNoChallengeStored() {
        try (Stream<Path> files = Files.walk(records)) {
            List<Path> left = files.filter(Files::isRegularFile)
                    .filter(f -> f.toString().endsWith(".yaml"))
                    .filter(f -> !f.getFileName().toString().equals(POLICIES))
                    .filter(f -> !f.getParent().getFileName().toString().equals("certbot-example"))
                    .filter(f -> read(f).contains("_acme-challenge"))
                    .toList();
            assertThat(left).as("files under %s naming a challenge", records).isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final String POLICIES = "update-policies.yaml";

    @Override
    DnsUnderTest startDns(Path dir) {
        try {
            records = Files.createDirectories(dir.resolve("records"));
            Path keys = Files.createDirectories(dir.resolve("keys"));
            StringBuilder policies = new StringBuilder();
            for (Client client : Client.values()) {
                Path key = keys.resolve(client.keyName + ".key");
                Files.writeString(key, client.keyName + ":" + client.algorithm + ":" + secrets.get(client) + "\n");
                policies.append("""
                        apiVersion: zonekeeper.dev/v1alpha1
                        kind: DnsUpdatePolicy
                        metadata: {name: %s}
                        spec:
                          zone: example.test
                          keyFile: %s
                          grants:
                        """.formatted(client.keyName, key));
                for (String name : CHALLENGE_NAMES) {
                    policies.append("    - {match: name, name: ").append(name).append(", types: [TXT]}\n");
                }
                policies.append("---\n");
            }
            Files.writeString(records.resolve(POLICIES), policies, StandardCharsets.UTF_8);
            // examples/certbot as it is: the server skips its Secret and reads the key from the policy's keyFile
            Path exampleDir = Files.createDirectories(records.resolve("certbot-example"));
            for (String file : List.of("policy.yaml", "certbot.key")) {
                Files.copy(example.dir().resolve(file), exampleDir.resolve(file));
            }
            // a record from a file, beside what the updates write
            Files.writeString(records.resolve("www.yaml"), """
                    apiVersion: zonekeeper.dev/v1alpha1
                    kind: DnsRecord
                    metadata: {name: www}
                    spec: {name: www.example.test., type: A, values: [127.0.0.1]}
                    """, StandardCharsets.UTF_8);

            InetSocketAddress address = new InetSocketAddress("127.0.0.1", Ports.free());
            ChildProcess server = ChildProcess.start(
                    "dns-server",
                    Artifacts.standaloneServer(records, ZONE, address),
                    Map.of(),
                    dir,
                    ChildProcess.logFile("e2e-logs", "acme-dns-server"));
            try {
                await("the DNS server answering on " + address)
                        .atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(200))
                        .failFast(() -> !server.alive())
                        .ignoreExceptions()
                        .until(() -> "NOERROR"
                                .equals(new Dns(address)
                                        .query(ZONE, org.xbill.DNS.Type.SOA)
                                        .rcode()));
            } catch (RuntimeException | AssertionError e) {
                server.close();
                throw new AssertionError("the DNS server did not start\n" + server.tail(), e);
            }
            return new DnsUnderTest() {
                @Override
                public InetSocketAddress address() {
                    return address;
                }

                @Override
                public String log() {
                    return server.tail();
                }

                @Override
                public void close() {
                    server.close();
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up " + dir, e);
        }
    }
}
