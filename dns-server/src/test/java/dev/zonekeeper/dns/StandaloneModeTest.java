package dev.zonekeeper.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.testing.InProcessServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Issue point 5, standalone mode: the server serves DnsRecord manifests from a directory, rejects bad ones with a log
 * line naming the file and the reason, ignores other kinds, and follows edits, additions and deletions.
 */
class StandaloneModeTest {
    @TempDir
    Path dir;

    private PrintStream originalErr;
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private DnsServer server;

    /** slf4j-simple writes to whatever System.err is at the time of each line: tee it. */
    @BeforeEach
    void captureLog() {
        originalErr = System.err;
        OutputStream tee = new OutputStream() {
            @Override
            public void write(int b) {
                synchronized (log) {
                    log.write(b);
                }
                originalErr.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (log) {
                    log.write(b, off, len);
                }
                originalErr.write(b, off, len);
            }
        };
        System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        System.setErr(originalErr);
    }

    private String log() {
        synchronized (log) {
            return log.toString(StandardCharsets.UTF_8);
        }
    }

    private static String record(String metadataName, String name, String type, String... values) {
        StringBuilder sb = new StringBuilder()
                .append("apiVersion: zonekeeper.dev/v1alpha1\nkind: DnsRecord\nmetadata:\n  name: ")
                .append(metadataName)
                .append("\nspec:\n  name: ")
                .append(name)
                .append("\n  type: ")
                .append(type)
                .append("\n  values:\n");
        for (String v : values) {
            sb.append("    - \"").append(v).append("\"\n");
        }
        return sb.toString();
    }

    private void write(String file, String content) throws IOException {
        Path tmp = dir.resolve("." + file + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(
                tmp,
                dir.resolve(file),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private Message ask(String name, int type) throws IOException {
        SimpleResolver resolver = new SimpleResolver(InProcessServer.dns(server));
        resolver.setTimeout(Duration.ofSeconds(5));
        return resolver.send(
                Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN)));
    }

    private List<String> answers(String name, int type) throws IOException {
        return ask(name, type).getSection(Section.ANSWER).stream()
                .filter(r -> r.getType() == type)
                .map(org.xbill.DNS.Record::rdataToString)
                .sorted()
                .collect(Collectors.toList());
    }

    @Test
    void servesTheGoodRecordsRejectsTheBadOnesIgnoresOtherKindsAndFollowsChanges() throws Exception {
        write("web.yaml", record("www", "www.zone.test.", "A", "192.0.2.1"));
        write("outside.yaml", record("stray", "host.elsewhere.example.", "A", "192.0.2.9"));
        write("invalid.yaml", record("bad", "bad.zone.test.", "A", "300.1.2.3"));
        write(
                "other.yaml",
                String.join(
                        "\n",
                        "apiVersion: v1",
                        "kind: ConfigMap",
                        "metadata:",
                        "  name: cm",
                        "data:",
                        "  name: cm.zone.test.",
                        "---",
                        "apiVersion: zonekeeper.dev/v1beta9",
                        "kind: DnsRecord",
                        "metadata:",
                        "  name: future",
                        "spec:",
                        "  name: future.zone.test.",
                        "  type: A",
                        "  values: [\"192.0.2.7\"]",
                        ""));
        server = InProcessServer.start("--records", dir.toString(), "--zone", "zone.test", "--upstream", "none");

        assertThat(answers("www.zone.test", Type.A)).containsExactly("192.0.2.1");
        assertThat(ask("bad.zone.test", Type.A).getRcode())
                .as("invalid record not served")
                .isEqualTo(Rcode.NXDOMAIN);
        assertThat(ask("future.zone.test", Type.A).getRcode())
                .as("other API version ignored")
                .isEqualTo(Rcode.NXDOMAIN);
        assertThat(ask("host.elsewhere.example", Type.A).getRcode())
                .as("outside every zone")
                .isEqualTo(Rcode.REFUSED);
        String startLog = log();
        assertThat(startLog)
                .contains("rejected " + dir.resolve("outside.yaml") + " (stray): name "
                        + "host.elsewhere.example. is outside every served zone (zone.test.)");
        assertThat(startLog)
                .containsPattern("rejected " + java.util.regex.Pattern.quote(dir.resolve("invalid.yaml") + " (bad): ")
                        + ".*300\\.1\\.2\\.3.* is not a valid A address");
        assertThat(startLog).contains("loaded 1 records from --records (2 rejected, 2 other documents ignored)");
        assertThat(startLog).doesNotContain("other.yaml");

        // edit a file
        write("web.yaml", record("www", "www.zone.test.", "A", "192.0.2.2", "192.0.2.3"));
        await("edited www")
                .atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .until(() -> answers("www.zone.test", Type.A), v -> v.equals(List.of("192.0.2.2", "192.0.2.3")));
        // add a file
        write("api.yaml", record("api", "api.zone.test.", "AAAA", "2001:db8::1"));
        await("added api")
                .atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .until(() -> answers("api.zone.test", Type.AAAA), v -> v.equals(List.of("2001:db8:0:0:0:0:0:1")));
        // fix the invalid one
        write("invalid.yaml", record("bad", "bad.zone.test.", "A", "192.0.2.30"));
        await("fixed bad")
                .atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .until(() -> answers("bad.zone.test", Type.A), v -> v.equals(List.of("192.0.2.30")));
        // delete a file
        Files.delete(dir.resolve("web.yaml"));
        await("deleted www")
                .atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .until(() -> ask("www.zone.test", Type.A).getRcode(), v -> v == Rcode.NXDOMAIN);
        assertThat(answers("api.zone.test", Type.AAAA)).containsExactly("2001:db8:0:0:0:0:0:1");
        // a new bad file is rejected with a log line while the rest keep serving
        write("typo.yaml", record("typo", "typo.zone.test.", "MX", "mail.zone.test."));
        await("typo.yaml rejected")
                .atMost(Duration.ofSeconds(30))
                .until(() -> log().contains("rejected " + dir.resolve("typo.yaml") + " (typo): "));
        assertThat(answers("bad.zone.test", Type.A)).containsExactly("192.0.2.30");
    }

    @Test
    void theExamplesAnswerOneRecordOfEveryType() throws Exception {
        server = InProcessServer.start(
                "--records",
                InProcessServer.exampleRecords().toString(),
                "--zone",
                "example.test",
                "--zone",
                "2.0.192.in-addr.arpa",
                "--upstream",
                "none");
        assertThat(log()).contains("(0 rejected");

        assertThat(answers("www.example.test", Type.A)).containsExactly("192.0.2.10", "192.0.2.11");
        assertThat(answers("www.example.test", Type.AAAA)).containsExactly("2001:db8:0:0:0:0:0:10");
        assertThat(answers("app.example.test", Type.CNAME)).containsExactly("www.example.test.");
        assertThat(answers("example.test", Type.MX)).containsExactly("10 mail.example.test.", "20 mail2.example.test.");
        assertThat(ask("info.example.test", Type.TXT).getSection(Section.ANSWER))
                .extracting(r -> ((org.xbill.DNS.TXTRecord) r)
                        .getStringsAsByteArrays().stream()
                                .map(b -> new String(b, StandardCharsets.UTF_8))
                                .collect(Collectors.toList()))
                .containsExactlyInAnyOrder(
                        List.of("first string", "second string", "a \"quoted\" word"), List.of("owner=platform-team"));
        assertThat(answers("_sip._tcp.example.test", Type.SRV))
                .containsExactly("10 40 5060 sip2.example.test.", "10 60 5060 sip1.example.test.");
        assertThat(answers("example.test", Type.CAA)).hasSize(3).anyMatch(v -> v.contains("letsencrypt.org"));
        assertThat(answers("10.2.0.192.in-addr.arpa", Type.PTR)).containsExactly("www.example.test.");
        assertThat(answers("x.apps.example.test", Type.A)).as("wildcard").containsExactly("192.0.2.20");
        assertThat(answers("example.test", Type.NS)).containsExactly("ns.dns.example.test.");
        Message soa = ask("example.test", Type.SOA);
        assertThat(soa.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(soa.getSection(Section.ANSWER))
                .singleElement()
                .satisfies(r -> assertThat(r.getType()).isEqualTo(Type.SOA));
        assertThat(answers("2.0.192.in-addr.arpa", Type.SOA)).hasSize(1);
        Message referral = ask("host.lab.example.test", Type.A);
        assertThat(referral.getHeader().getFlag(Flags.AA))
                .as("referral is not authoritative")
                .isFalse();
        assertThat(referral.getSection(Section.AUTHORITY))
                .extracting(org.xbill.DNS.Record::rdataToString)
                .containsExactlyInAnyOrder("ns1.lab.example.test.", "ns2.lab.example.test.");
        assertThat(referral.getSection(Section.ADDITIONAL))
                .extracting(org.xbill.DNS.Record::rdataToString)
                .contains("192.0.2.53", "192.0.2.54");
        assertThat(ask("nothing.example.test", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }
}
