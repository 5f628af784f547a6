package dev.zonekeeper.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.zonekeeper.e2e.cluster.Prerequisites;
import dev.zonekeeper.e2e.scenario.Commands.Result;
import dev.zonekeeper.testing.DnsClients;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A whole ACME DNS-01 issuance on loopback: pebble (Let's Encrypt's test CA) looks every challenge up through the DNS
 * server under test, and two independent clients publish and remove the challenge TXT records with TSIG-signed
 * RFC 2136 updates: certbot with its dns-rfc2136 plugin (Python, dnspython) and lego v5 as a library with its
 * dnsupdate provider (Go, miekg/dns). Each issues a certificate for one name and for a wildcard with its apex
 * ({@code example.test} and {@code *.example.test}: two values at {@code _acme-challenge.example.test}, which certbot
 * publishes side by side). The certificate must name exactly what was asked, be issued by pebble's intermediate, and
 * no challenge TXT may be left in the zone afterwards; a client with a wrong TSIG secret gets no certificate.
 *
 * <p>A subclass chooses the DNS server: {@link AcmeDns01Test} is Zonekeeper (standalone), {@link AcmeDns01BindTest}
 * BIND 9, the reference. The tools are built by
 * {@code e2e/scripts/tools.sh pebble|certbot|lego-dns01} (test-all.sh runs them); a missing tool fails the test with
 * the command that builds it.
 */
@Tag("real")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AcmeDns01Cases {

    static final String ZONE = "example.test";
    /** The challenge names of every case: {@code www} for the single name, the apex for the wildcard and apex. */
    static final List<String> CHALLENGE_NAMES =
            List.of("_acme-challenge.example.test", "_acme-challenge.www.example.test");

    enum Names {
        SINGLE_NAME(List.of("www.example.test")),
        WILDCARD_AND_APEX(List.of("example.test", "*.example.test"));

        final List<String> names;

        Names(List<String> names) {
            this.names = names;
        }
    }

    /** One TSIG key per client, each with another algorithm; the DNS server grants each the challenge names. */
    enum Client {
        CERTBOT("certbot-acme", "hmac-sha512"),
        LEGO("lego-acme", "hmac-sha256");

        final String keyName;
        final String algorithm;

        Client(String keyName, String algorithm) {
            this.keyName = keyName;
            this.algorithm = algorithm;
        }
    }

    /** The DNS server pebble resolves through and the clients update. */
    interface DnsUnderTest extends AutoCloseable {
        InetSocketAddress address();

        String log();

        @Override
        void close();
    }

    final Map<Client, String> secrets = Map.of(Client.CERTBOT, secret(), Client.LEGO, secret());
    Tools tools;
    Path dir;
    DnsUnderTest dns;
    Pebble pebble;

    final CertbotExample example = CertbotExample.read();

    /**
     * Starts the server granting each client's key TXT at {@link #CHALLENGE_NAMES} in {@link #ZONE}, and the key of
     * {@code examples/certbot} what its policy grants.
     */
    abstract DnsUnderTest startDns(Path dir);

    @BeforeAll
    void start() throws IOException {
        tools = Tools.locate();
        dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "acme-");
        dns = startDns(dir);
        pebble = Pebble.start(tools.pebble(), tools.pebbleCerts(), dns.address(), dir.resolve("pebble"));
    }

    @AfterAll
    void stop() {
        if (pebble != null) {
            pebble.close();
        }
        if (dns != null) {
            dns.close();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"CERTBOT, SINGLE_NAME", "CERTBOT, WILDCARD_AND_APEX", "LEGO, SINGLE_NAME", "LEGO, WILDCARD_AND_APEX"})
    void issuesACertificateAndLeavesNoChallengeBehind(Client client, Names names) throws Exception {
        Path work = Files.createTempDirectory(dir, client.name().toLowerCase() + "-");
        String challenge = "_acme-challenge." + names.names.getFirst();
        Issuance issuance;
        int mostValuesSeen;
        try (ChallengeWatch watch = new ChallengeWatch(dns.address(), challenge)) {
            issuance = issue(client, names.names, secrets.get(client), work);
            mostValuesSeen = watch.mostValuesSeen();
        }

        assertThat(issuance.result().exitCode())
                .as("%s for %s\n%s\n%s\n%s", client, names.names, issuance.result(), dns.log(), pebble.tail())
                .isZero();
        // certbot publishes every challenge, then has them checked: the apex's and the wildcard's value stand side by
        // side at one name for at least its propagation wait (1 s). lego's dnsupdate provider solves one after the
        // other, replacing the RRset each time.
        int expected = client == Client.CERTBOT ? names.names.size() : 1;
        assertThat(mostValuesSeen)
                .as("most TXT values seen at once at %s while %s ran", challenge, client)
                .isEqualTo(expected);
        assertThat(issuance.certificate()).as("the certificate file").isRegularFile();
        X509Certificate leaf = Pebble.certificates(Files.readString(issuance.certificate(), StandardCharsets.US_ASCII))
                .getFirst();
        assertThat(dnsNames(leaf)).as("its names").isEqualTo(new TreeSet<>(names.names));
        X509Certificate intermediate = pebble.intermediate();
        assertThat(leaf.getIssuerX500Principal()).isEqualTo(intermediate.getSubjectX500Principal());
        leaf.verify(intermediate.getPublicKey()); // signed by pebble's intermediate, not merely named after it
        leaf.checkValidity();
        assertNoChallengeLeft();
    }

    @ParameterizedTest
    @EnumSource(Client.class)
    void aClientWithAWrongSecretGetsNoCertificate(Client client) throws Exception {
        Path work = Files.createTempDirectory(dir, client.name().toLowerCase() + "-badkey-");
        Issuance issuance = issue(client, Names.SINGLE_NAME.names, secret(), work);

        assertThat(issuance.result().exitCode()).as("%s", issuance.result()).isNotZero();
        assertThat(issuance.certificate()).doesNotExist();
        assertNoChallengeLeft();
    }

    /**
     * examples/certbot as its README says: its policy and Secret on the server (converted to keyFile for Zonekeeper
     * standalone), its rfc2136.ini with only server and port changed, its certbot names.
     */
    @Test
    void theCertbotExampleIssuesItsCertificate() throws Exception {
        Path work = Files.createTempDirectory(dir, "certbot-example-");
        String ini = example.ini()
                .replaceAll("(?m)^dns_rfc2136_server = .*$", "dns_rfc2136_server = " + host())
                .replaceAll(
                        "(?m)^dns_rfc2136_port = .*$",
                        "dns_rfc2136_port = " + dns.address().getPort());
        Issuance issuance = certbot(CertbotExample.NAMES, ini, work);

        assertThat(issuance.result().exitCode())
                .as("%s\n%s\n%s", issuance.result(), dns.log(), pebble.tail())
                .isZero();
        X509Certificate leaf = Pebble.certificates(Files.readString(issuance.certificate(), StandardCharsets.US_ASCII))
                .getFirst();
        assertThat(dnsNames(leaf)).isEqualTo(new TreeSet<>(CertbotExample.NAMES));
        leaf.verify(pebble.intermediate().getPublicKey());
        assertNoChallengeLeft();
    }

    private Issuance issue(Client client, List<String> names, String secret, Path work) throws IOException {
        return switch (client) {
            case CERTBOT ->
                certbot(
                        names,
                        """
                        dns_rfc2136_server = %s
                        dns_rfc2136_port = %d
                        dns_rfc2136_name = %s
                        dns_rfc2136_secret = %s
                        dns_rfc2136_algorithm = %s
                        """.formatted(
                                        host(),
                                        dns.address().getPort(),
                                        Client.CERTBOT.keyName,
                                        secret,
                                        Client.CERTBOT.algorithm.toUpperCase()),
                        work);
            case LEGO -> lego(names, secret, work);
        };
    }

    private String host() {
        return dns.address().getAddress().getHostAddress();
    }

    /** certbot certonly with the dns-rfc2136 plugin, its credentials in an ini file as its docs show. */
    private Issuance certbot(List<String> names, String credentials, Path work) throws IOException {
        Path ini = work.resolve("rfc2136.ini");
        Files.writeString(ini, credentials, StandardCharsets.UTF_8);
        // certbot warns about a credentials file others can read
        Files.setPosixFilePermissions(ini, PosixFilePermissions.fromString("rw-------"));
        List<String> command = new ArrayList<>(List.of(
                tools.certbot().toString(),
                "certonly",
                "--server",
                pebble.directoryUrl(),
                "--non-interactive",
                "--agree-tos",
                "-m",
                "acme@example.test",
                "--config-dir",
                work.resolve("config").toString(),
                "--work-dir",
                work.resolve("work").toString(),
                "--logs-dir",
                work.resolve("logs").toString(),
                "--authenticator",
                "dns-rfc2136",
                "--dns-rfc2136-credentials",
                ini.toString(),
                "--dns-rfc2136-propagation-seconds",
                "1"));
        names.forEach(n -> command.addAll(List.of("-d", n)));
        Result result = Commands.run(
                command, Map.of("REQUESTS_CA_BUNDLE", pebble.caBundle().toString()), Duration.ofMinutes(3), work);
        // certbot names the lineage after the first name
        return new Issuance(
                result, work.resolve("config/live").resolve(names.getFirst()).resolve("cert.pem"));
    }

    /** lego v5 as a library (e2e/clients/lego-dns01), its dnsupdate provider configured in code. */
    private Issuance lego(List<String> names, String secret, Path work) {
        Result result = Commands.run(
                List.of(
                        tools.lego().toString(),
                        "-server",
                        pebble.directoryUrl(),
                        "-nameserver",
                        dns.address().getAddress().getHostAddress() + ":"
                                + dns.address().getPort(),
                        "-tsig-key",
                        Client.LEGO.keyName,
                        "-tsig-secret",
                        secret,
                        "-tsig-algorithm",
                        Client.LEGO.algorithm + ".",
                        "-domains",
                        String.join(",", names),
                        "-out",
                        work.resolve("out").toString()),
                Map.of("LEGO_CA_CERTIFICATES", pebble.caBundle().toString()),
                Duration.ofMinutes(3),
                work);
        return new Issuance(result, work.resolve("out/cert.pem"));
    }

    /** Where the server keeps records, checked after each case: nothing of a challenge may stay there either. */
    void assertNoChallengeStored() {}

    /** dig (a client other than the two ACME clients) finds no TXT at any challenge name, nor does the server keep one. */
    private void assertNoChallengeLeft() {
        assertNoChallengeStored();
        for (String name : Stream.concat(CHALLENGE_NAMES.stream(), Stream.of(CertbotExample.CHALLENGE_NAME))
                .toList()) {
            DnsClients.Reply reply = DnsClients.dig(dns.address(), name, "TXT");
            assertThat(reply.rcode()).as("%s TXT", name).isIn("NOERROR", "NXDOMAIN");
            assertThat(reply.answer())
                    .as("%s TXT after the client finished\n%s", name, dns.log())
                    .isEmpty();
        }
    }

    record Issuance(Result result, Path certificate) {}

    /**
     * Asks the server for the TXT at one challenge name every 50 ms while a client runs, from another thread, and
     * keeps the most values one answer held: what a resolver saw of the challenge.
     */
    static final class ChallengeWatch implements AutoCloseable {
        private final AtomicInteger most = new AtomicInteger();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        ChallengeWatch(InetSocketAddress server, String name) {
            thread = Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    try {
                        int values =
                                DnsClients.dnsjava(server, name, "TXT").answer().size();
                        most.accumulateAndGet(values, Math::max);
                        Thread.sleep(50);
                    } catch (IOException e) {
                        // a lost answer: ask again
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        int mostValuesSeen() {
            close();
            return most.get();
        }

        @Override
        public void close() {
            stop.set(true);
            try {
                thread.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@code examples/certbot}: the key of its Secret, its DnsUpdatePolicy, its rfc2136.ini, its directory. */
    record CertbotExample(String keyName, String algorithm, String secret, ObjectNode policy, String ini, Path dir) {
        /** The names its README's certbot command asks for, and where both put their challenge. */
        static final List<String> NAMES = List.of("internal.example.test", "*.internal.example.test");

        static final String CHALLENGE_NAME = "_acme-challenge.internal.example.test";

        static CertbotExample read() {
            Path dir = Prerequisites.repoRoot().resolve("examples/certbot");
            try {
                String key = null;
                ObjectNode policy = null;
                try (MappingIterator<ObjectNode> docs = new YAMLMapper()
                        .readerFor(ObjectNode.class)
                        .readValues(dir.resolve("policy.yaml").toFile())) {
                    for (ObjectNode doc : docs.readAll()) {
                        switch (doc.path("kind").asText()) {
                            case "Secret" ->
                                key = doc.path("stringData").path("tsig.key").asText();
                            case "DnsUpdatePolicy" -> policy = doc;
                            default -> throw new AssertionError("unexpected " + doc.path("kind"));
                        }
                    }
                }
                assertThat(key).as("the Secret's tsig.key").isNotNull();
                assertThat(policy).as("the DnsUpdatePolicy").isNotNull();
                Path keyFile = dir.resolve(policy.path("spec").path("keyFile").asText());
                assertThat(Files.readString(keyFile, StandardCharsets.UTF_8).strip())
                        .as("standalone mode's %s holds the Secret's key", keyFile)
                        .isEqualTo(key);
                String[] parts = key.split(":", 3);
                return new CertbotExample(
                        parts[0],
                        parts[1],
                        parts[2],
                        policy,
                        Files.readString(dir.resolve("rfc2136.ini"), StandardCharsets.UTF_8),
                        dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + dir, e);
            }
        }

        /** The policy's grants as BIND {@code update-policy} rules. */
        String bindGrants() {
            StringBuilder rules = new StringBuilder();
            for (JsonNode grant : policy.path("spec").path("grants")) {
                rules.append("grant ")
                        .append(keyName)
                        .append(' ')
                        .append(grant.path("match").asText())
                        .append(' ')
                        .append(grant.path("name").asText())
                        .append(". ");
                grant.path("types").forEach(t -> rules.append(t.asText()).append(' '));
                rules.append("; ");
            }
            return rules.toString();
        }
    }

    /** Where tools.sh put pebble, its test certificates, certbot and lego-dns01 (built by test-all.sh). */
    record Tools(Path pebble, Path pebbleCerts, Path certbot, Path lego) {
        static Tools locate() {
            return new Tools(path("pebble"), path("pebble-certs"), path("certbot"), path("lego-dns01"));
        }

        /** {@code tools.sh path NAME}; a tool not built yet fails the test with the command that builds it. */
        static Path path(String name) {
            Path script = Prerequisites.repoRoot().resolve("e2e/scripts/tools.sh");
            Result result = Commands.run(List.of("bash", script.toString(), "path", name), Duration.ofSeconds(60));
            String build = name.equals("pebble-certs") ? "pebble" : name;
            if (result.exitCode() != 0) {
                throw new AssertionError(name + " is not built: run `e2e/scripts/tools.sh " + build + "` (e2e/scripts/"
                        + "test-all.sh does, unless ZK_SKIP_TOOLS=1)\n"
                        + result.stderr().strip());
            }
            return Path.of(result.stdout().strip());
        }
    }

    private static String secret() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    private static Set<String> dnsNames(X509Certificate certificate) throws GeneralSecurityException {
        return Stream.ofNullable(certificate.getSubjectAlternativeNames())
                .flatMap(c -> c.stream())
                .filter(san -> (Integer) san.get(0) == 2) // dNSName
                .map(san -> (String) san.get(1))
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
