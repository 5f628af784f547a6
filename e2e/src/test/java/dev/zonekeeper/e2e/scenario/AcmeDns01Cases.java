package dev.zonekeeper.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.e2e.cluster.Prerequisites;
import dev.zonekeeper.e2e.scenario.Commands.Result;
import dev.zonekeeper.testing.DnsClients;
import java.io.IOException;
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
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
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
 * <p>A subclass chooses the DNS server: {@link AcmeDns01BindTest} is BIND 9, the reference. The tools are built by
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

    /** Starts the server granting each client's key TXT at {@link #CHALLENGE_NAMES} in {@link #ZONE}. */
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
        Issuance issuance = issue(client, names.names, secrets.get(client), work);

        assertThat(issuance.result().exitCode())
                .as("%s for %s\n%s\n%s\n%s", client, names.names, issuance.result(), dns.log(), pebble.tail())
                .isZero();
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

    private Issuance issue(Client client, List<String> names, String secret, Path work) throws IOException {
        return switch (client) {
            case CERTBOT -> certbot(names, secret, work);
            case LEGO -> lego(names, secret, work);
        };
    }

    /** certbot certonly with the dns-rfc2136 plugin, its credentials in an ini file as its docs show. */
    private Issuance certbot(List<String> names, String secret, Path work) throws IOException {
        Path ini = work.resolve("rfc2136.ini");
        Files.writeString(
                ini,
                """
                dns_rfc2136_server = %s
                dns_rfc2136_port = %d
                dns_rfc2136_name = %s
                dns_rfc2136_secret = %s
                dns_rfc2136_algorithm = %s
                """.formatted(
                                dns.address().getAddress().getHostAddress(),
                                dns.address().getPort(),
                                Client.CERTBOT.keyName,
                                secret,
                                Client.CERTBOT.algorithm.toUpperCase()),
                StandardCharsets.UTF_8);
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

    /** dig (a client other than the two ACME clients) finds no TXT at any challenge name. */
    private void assertNoChallengeLeft() {
        for (String name : CHALLENGE_NAMES) {
            DnsClients.Reply reply = DnsClients.dig(dns.address(), name, "TXT");
            assertThat(reply.rcode()).as("%s TXT", name).isIn("NOERROR", "NXDOMAIN");
            assertThat(reply.answer())
                    .as("%s TXT after the client finished\n%s", name, dns.log())
                    .isEmpty();
        }
    }

    record Issuance(Result result, Path certificate) {}

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
