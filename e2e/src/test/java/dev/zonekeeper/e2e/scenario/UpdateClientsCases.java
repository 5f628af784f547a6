package dev.zonekeeper.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.e2e.scenario.Commands.Result;
import dev.zonekeeper.testing.DnsClients;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.awaitility.core.ThrowingRunnable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The dynamic-update code of two Kubernetes controllers against a DNS server, as small Go programs that import it
 * (e2e/clients, built by {@code e2e/scripts/tools.sh certmanager-rfc2136|externaldns-rfc2136}):
 *
 * <ul>
 *   <li>cert-manager's rfc2136 DNS-01 solver: {@code Present} publishes the challenge TXT, {@code CleanUp} removes it,
 *       with cert-manager's default TSIG algorithm (hmac-md5) and with hmac-sha256, over UDP (its default) and TCP;
 *       two values at one name (a certificate for a name and its wildcard) are kept apart; a wrong secret or a name
 *       outside the key's grant publishes nothing.
 *   <li>ExternalDNS's rfc2136 provider with its TXT registry, one controller round per run: the desired A, CNAME and
 *       TXT records and their ownership TXT records are created; a second round with the same desired set changes
 *       nothing (it reads what it owns back through its signed AXFR); records that leave the desired set are deleted,
 *       and a record ExternalDNS does not own is never touched.
 * </ul>
 *
 * A subclass chooses the server: {@link UpdateClientsBindTest} is BIND 9, the reference for the cases themselves.
 */
@Tag("real")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class UpdateClientsCases {

    static final String ZONE = "example.test";
    /** The zone as the server starts with it; {@code static.apps} belongs to nobody's updates. */
    static final String ZONE_TEXT = """
            $TTL 60
            @          IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60
            @          IN NS  ns1.example.test.
            ns1        IN A   127.0.0.1
            static.apps IN A  192.0.2.99
            """;

    /** A TSIG key and what it may change; BIND's algorithm names. */
    record Key(String name, String algorithm, String secret, List<Grant> grants) {}

    /** One grant: {@code match} is name, subdomain or wildcard (BIND's update-policy rule types of the same name). */
    record Grant(String match, String name, List<String> types) {}

    /** cert-manager's keys: its default algorithm and a SHA-2 one, each granted the challenge names only. */
    enum CertManagerKey {
        MD5("cm-md5", "hmac-md5", ""),
        SHA256("cm-sha256", "hmac-sha256", "HMACSHA256");

        final String keyName;
        final String algorithm;
        /** The Issuer's tsigAlgorithm; empty leaves cert-manager's default. */
        final String issuerAlgorithm;

        CertManagerKey(String keyName, String algorithm, String issuerAlgorithm) {
            this.keyName = keyName;
            this.algorithm = algorithm;
            this.issuerAlgorithm = issuerAlgorithm;
        }
    }

    static final List<Grant> CHALLENGE_GRANTS = List.of(
            new Grant("subdomain", "_acme-challenge.example.test", List.of("TXT")),
            new Grant("name", "_acme-challenge.www.example.test", List.of("TXT")));
    static final String EXTERNAL_DNS_KEY = "external-dns";
    static final String OWNER_ID = "zk-e2e";
    static final String APPS = "apps.example.test";

    /** The DNS server the clients update and dig ask: where it listens, its logs for failure messages, its stop. */
    record Served(InetSocketAddress address, Supplier<String> logs, Runnable stop)
            implements AcmeDns01Cases.DnsUnderTest {
        @Override
        public String log() {
            return logs.get();
        }

        @Override
        public void close() {
            stop.run();
        }
    }

    final Map<CertManagerKey, String> certManagerSecrets =
            Map.of(CertManagerKey.MD5, secret(16), CertManagerKey.SHA256, secret(32));
    final String externalDnsSecret = secret(32);
    Path certManager;
    Path externalDns;
    Path dir;
    Served dns;

    /** Starts the server with {@link #ZONE_TEXT} as zone {@link #ZONE} and these keys with their grants. */
    abstract Served startDns(Path dir, List<Key> keys);

    /**
     * How cert-manager's solver gets {@code key}'s secret: here given in memory; a subclass with a cluster points it at
     * the Secret there, which the solver then reads through the API as cert-manager does.
     */
    List<String> certManagerSecretArgs(CertManagerKey key) {
        return List.of("-tsig-secret", certManagerSecrets.get(key));
    }

    /** More evidence after a challenge TXT was published by {@code key} (e.g. the DnsRecord it became). */
    void assertChallengePublished(String fqdn, CertManagerKey key) {}

    /** More evidence that the challenge name holds nothing any more. */
    void assertChallengeRemoved(String fqdn) {}

    /** More evidence that exactly these names hold what ExternalDNS's key wrote (records and ownership TXT). */
    void assertExternalDnsNames(Set<String> names) {}

    @BeforeAll
    void start() throws IOException {
        certManager = AcmeDns01Cases.Tools.path("certmanager-rfc2136");
        externalDns = AcmeDns01Cases.Tools.path("externaldns-rfc2136");
        dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "update-clients-");
        List<Key> keys = new ArrayList<>();
        for (CertManagerKey key : CertManagerKey.values()) {
            keys.add(new Key(key.keyName, key.algorithm, certManagerSecrets.get(key), CHALLENGE_GRANTS));
        }
        keys.add(new Key(
                EXTERNAL_DNS_KEY,
                "hmac-sha256",
                externalDnsSecret,
                List.of(new Grant("subdomain", APPS, List.of("A", "AAAA", "CNAME", "TXT")))));
        dns = startDns(dir, keys);
    }

    @AfterAll
    void stop() {
        if (dns != null) {
            dns.close();
        }
    }

    // ---- cert-manager

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"MD5, ''", "MD5, TCP", "SHA256, ''", "SHA256, TCP"})
    void certManagerPresentsAndCleansUp(CertManagerKey key, String protocol) {
        String fqdn = "_acme-challenge.www.example.test";
        String value = "token-" + key.name().toLowerCase() + "-" + token();

        Result present = certManager("present", "www.example.test", value, key, certManagerSecrets.get(key), protocol);
        assertThat(present.exitCode()).as("%s\n%s", present, dns.log()).isZero();
        assertThat(present.stdout()).contains("zone=example.test."); // found by its own SOA walk
        served(() -> assertThat(txt(fqdn)).as("TXT at %s after Present", fqdn).containsExactly(value));
        assertChallengePublished(fqdn, key);

        Result cleanUp = certManager("cleanup", "www.example.test", value, key, certManagerSecrets.get(key), protocol);
        assertThat(cleanUp.exitCode()).as("%s\n%s", cleanUp, dns.log()).isZero();
        served(() -> assertThat(txt(fqdn)).as("TXT at %s after CleanUp", fqdn).isEmpty());
        assertChallengeRemoved(fqdn);
    }

    /** A certificate for example.test and *.example.test: two values at one name, cleaned up one at a time. */
    @Test
    void certManagerKeepsTwoValuesAtOneNameApart() {
        String fqdn = "_acme-challenge.example.test";
        String apex = "apex-" + token();
        String wildcard = "wildcard-" + token();
        CertManagerKey key = CertManagerKey.MD5;
        String secret = certManagerSecrets.get(key);

        certManager("present", "example.test", apex, key, secret, "").assertSuccess();
        certManager("present", "example.test", wildcard, key, secret, "").assertSuccess();
        served(() -> assertThat(txt(fqdn)).containsExactlyInAnyOrder(apex, wildcard));

        certManager("cleanup", "example.test", apex, key, secret, "").assertSuccess();
        served(() -> assertThat(txt(fqdn)).as("the other value stays").containsExactly(wildcard));
        assertChallengePublished(fqdn, key);

        certManager("cleanup", "example.test", wildcard, key, secret, "").assertSuccess();
        served(() -> assertThat(txt(fqdn)).isEmpty());
        assertChallengeRemoved(fqdn);
    }

    @Test
    void certManagerWithAWrongSecretPublishesNothing() {
        Result present = certManager("present", "www.example.test", "nope", CertManagerKey.SHA256, secret(32), "");
        assertThat(present.exitCode()).as("%s", present).isEqualTo(1);
        assertThat(present.stderr()).contains("DNS update failed");
        assertThat(txt("_acme-challenge.www.example.test")).isEmpty();
    }

    @Test
    void certManagerOutsideItsGrantIsRefused() {
        CertManagerKey key = CertManagerKey.SHA256;
        Result present = certManager("present", "apps.example.test", "nope", key, certManagerSecrets.get(key), "");
        assertThat(present.exitCode()).as("%s", present).isEqualTo(1);
        assertThat(present.stderr()).contains("REFUSED");
        assertThat(txt("_acme-challenge.apps.example.test")).isEmpty();
    }

    private Result certManager(
            String action, String domain, String value, CertManagerKey key, String secret, String protocol) {
        List<String> command = new ArrayList<>(List.of(
                certManager.toString(),
                "-action",
                action,
                "-domain",
                domain,
                "-value",
                value,
                "-nameserver",
                hostPort(),
                "-tsig-key-name",
                key.keyName));
        command.addAll(
                secret.equals(certManagerSecrets.get(key))
                        ? certManagerSecretArgs(key)
                        : List.of("-tsig-secret", secret));
        if (!key.issuerAlgorithm.isEmpty()) {
            command.addAll(List.of("-tsig-algorithm", key.issuerAlgorithm));
        }
        if (!protocol.isEmpty()) {
            command.addAll(List.of("-protocol", protocol));
        }
        return Commands.run(command, Map.of(), Duration.ofMinutes(2), dir);
    }

    // ---- ExternalDNS

    @Test
    void externalDnsCreatesWhatIsDesiredAndDeletesWhatLeftIt() throws IOException {
        List<String> all = List.of(
                "www.apps.example.test A 300 192.0.2.10 192.0.2.11",
                "alias.apps.example.test CNAME 300 www.apps.example.test",
                "note.apps.example.test TXT 300 hello-from-external-dns");

        Round first = externalDns(all);
        assertThat(first.changes())
                .as("%s\n%s", first.result(), dns.log())
                .containsExactlyInAnyOrder(
                        "create www.apps.example.test A 192.0.2.10,192.0.2.11",
                        "create alias.apps.example.test CNAME www.apps.example.test",
                        "create note.apps.example.test TXT hello-from-external-dns");
        String owner = "heritage=external-dns,external-dns/owner=" + OWNER_ID;
        served(() -> {
            assertThat(answers("www.apps.example.test", "A")).containsExactlyInAnyOrder("192.0.2.10", "192.0.2.11");
            assertThat(answers("alias.apps.example.test", "CNAME")).containsExactly("www.apps.example.test.");
            assertThat(txt("note.apps.example.test")).containsExactly("hello-from-external-dns");
            for (String registry :
                    List.of("a-www.apps.example.test", "cname-alias.apps.example.test", "txt-note.apps.example.test")) {
                assertThat(txt(registry)).as("TXT registry record %s", registry).contains(owner);
            }
        });
        assertThat(first.owned())
                .as("what the registry lists back through AXFR")
                .containsExactlyInAnyOrder(
                        "www.apps.example.test A 192.0.2.10,192.0.2.11 owner=" + OWNER_ID,
                        "alias.apps.example.test CNAME www.apps.example.test owner=" + OWNER_ID,
                        "note.apps.example.test TXT hello-from-external-dns owner=" + OWNER_ID);
        assertExternalDnsNames(Set.of(
                "www.apps.example.test",
                "alias.apps.example.test",
                "note.apps.example.test",
                "a-www.apps.example.test",
                "cname-alias.apps.example.test",
                "txt-note.apps.example.test"));

        Round again = externalDns(all);
        assertThat(again.changes())
                .as("a second round with the same desired set\n%s", again.result())
                .isEmpty();

        Round oneLess = externalDns(List.of(all.get(0), all.get(2)));
        assertThat(oneLess.changes())
                .as("%s", oneLess.result())
                .containsExactly("delete alias.apps.example.test CNAME www.apps.example.test");
        served(() -> {
            assertThat(answers("alias.apps.example.test", "CNAME")).isEmpty();
            assertThat(txt("cname-alias.apps.example.test"))
                    .as("its ownership record")
                    .isEmpty();
            assertThat(answers("www.apps.example.test", "A")).containsExactlyInAnyOrder("192.0.2.10", "192.0.2.11");
        });
        assertExternalDnsNames(Set.of(
                "www.apps.example.test",
                "note.apps.example.test",
                "a-www.apps.example.test",
                "txt-note.apps.example.test"));

        Round none = externalDns(List.of());
        assertThat(none.changes())
                .as("%s", none.result())
                .containsExactlyInAnyOrder(
                        "delete www.apps.example.test A 192.0.2.10,192.0.2.11",
                        "delete note.apps.example.test TXT hello-from-external-dns");
        assertThat(none.owned()).isEmpty();
        served(() -> {
            assertThat(answers("www.apps.example.test", "A")).isEmpty();
            assertThat(txt("note.apps.example.test")).isEmpty();
            assertThat(txt("a-www.apps.example.test")).isEmpty();
            assertThat(txt("txt-note.apps.example.test")).isEmpty();
        });
        assertExternalDnsNames(Set.of());
        assertThat(answers("static.apps.example.test", "A"))
                .as("a record ExternalDNS does not own")
                .containsExactly("192.0.2.99");
    }

    @Test
    void externalDnsWithAWrongSecretChangesNothing() throws IOException {
        Round round = externalDns(List.of("denied.apps.example.test A 300 192.0.2.20"), secret(32));
        assertThat(round.result().exitCode()).as("%s", round.result()).isEqualTo(1);
        assertThat(answers("denied.apps.example.test", "A")).isEmpty();
    }

    /** One run: the change lines (create/update/delete) and the owned records the registry lists afterwards. */
    record Round(Result result, List<String> changes, List<String> owned) {}

    /** A round that must succeed. */
    private Round externalDns(List<String> desired) throws IOException {
        Round round = externalDns(desired, externalDnsSecret);
        assertThat(round.result().exitCode())
                .as("%s\n%s", round.result(), dns.log())
                .isZero();
        return round;
    }

    private Round externalDns(List<String> desired, String secret) throws IOException {
        Path file = Files.createTempFile(dir, "desired-", ".txt");
        Files.writeString(file, String.join("\n", desired) + "\n", StandardCharsets.UTF_8);
        Result result = Commands.run(
                List.of(
                        externalDns.toString(),
                        "-desired",
                        file.toString(),
                        "--",
                        // the flags of the external-dns command, as examples/external-dns passes them
                        "--provider=rfc2136",
                        "--source=service",
                        "--registry=txt",
                        "--txt-owner-id=" + OWNER_ID,
                        "--policy=sync",
                        "--domain-filter=" + APPS,
                        "--managed-record-types=A",
                        "--managed-record-types=CNAME",
                        "--managed-record-types=TXT",
                        "--rfc2136-host=" + dns.address().getAddress().getHostAddress(),
                        "--rfc2136-port=" + dns.address().getPort(),
                        "--rfc2136-zone=" + ZONE,
                        "--rfc2136-tsig-keyname=" + EXTERNAL_DNS_KEY,
                        "--rfc2136-tsig-secret=" + secret,
                        "--rfc2136-tsig-secret-alg=hmac-sha256",
                        "--rfc2136-axfr"),
                Map.of(),
                Duration.ofMinutes(2),
                dir);
        List<String> changes = new ArrayList<>();
        List<String> owned = new ArrayList<>();
        for (String line : result.stdout().split("\n")) {
            if (line.startsWith("record ")) {
                if (!line.endsWith(" owner=")) {
                    owned.add(line.substring("record ".length()));
                }
            } else if (!line.isBlank()) {
                changes.add(line);
            }
        }
        return new Round(result, changes, owned);
    }

    // ---- helpers

    /**
     * What a successful update changed, as dig sees it: at once from a primary (BIND), within moments from a
     * secondary that gets the change by NOTIFY and transfer (Zonekeeper's sidecar, unless its operator waits for it).
     */
    static void served(ThrowingRunnable assertions) {
        await().atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(assertions);
    }

    private String hostPort() {
        return dns.address().getAddress().getHostAddress() + ":" + dns.address().getPort();
    }

    private static final Pattern RDATA = Pattern.compile("^\\S+\\s+\\d+\\s+IN\\s+\\S+\\s+(.*)$");
    private static final Pattern QUOTED = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** The RDATA dig answers for {@code name}/{@code type} (only records of that type; an alias chain is left out). */
    Set<String> answers(String name, String type) {
        DnsClients.Reply reply = DnsClients.dig(dns.address(), name, type);
        assertThat(reply.rcode()).as("%s %s", name, type).isIn("NOERROR", "NXDOMAIN");
        Set<String> out = new TreeSet<>();
        for (String rr : reply.answer()) {
            String[] f = rr.split("\\s+", 5);
            if (f.length == 5 && f[3].equals(type) && f[0].equalsIgnoreCase(name + ".")) {
                Matcher m = RDATA.matcher(rr);
                out.add(m.matches() ? m.group(1) : rr);
            }
        }
        return out;
    }

    /** The TXT values dig answers at {@code name}, each with its strings joined (values here hold no blanks). */
    Set<String> txt(String name) {
        return answers(name, "TXT").stream()
                .map(rdata -> {
                    // dnsjava quotes a string only when it needs quotes
                    StringBuilder value = new StringBuilder();
                    Matcher m = QUOTED.matcher(rdata);
                    while (m.find()) {
                        value.append(m.group(1));
                    }
                    return rdata.startsWith("\"") ? value.toString() : rdata;
                })
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** A challenge value like an ACME key authorization digest (base64url). */
    static String token() {
        byte[] digest = new byte[32];
        new SecureRandom().nextBytes(digest);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    }

    static String secret(int bytes) {
        byte[] key = new byte[bytes];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }
}
