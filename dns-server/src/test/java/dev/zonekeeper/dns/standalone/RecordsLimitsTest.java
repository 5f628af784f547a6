package dev.zonekeeper.dns.standalone;

import static dev.zonekeeper.dns.standalone.ManifestDirectoryTest.ZONES;
import static dev.zonekeeper.dns.standalone.ManifestDirectoryTest.dnsRecord;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.zonekeeper.dns.testing.TestServer;
import dev.zonekeeper.testing.DnsClients;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limits on what a load of the records directory reads (issue 13, point 2: a 50 MiB records file was accepted
 * whole, a 200 MiB one made the server exit; 20,000 record files went past the chart's memory limit), and YAML built
 * to exhaust the parser.
 */
class RecordsLimitsTest {

    @TempDir
    Path dir;

    @Test
    void aFileOverTheSizeLimitIsRefusedNamingFileAndLimitWhileTheRestLoads() throws IOException {
        write("a-good.yaml", dnsRecord("good", "good.example.test.", "A", null, "192.0.2.1"));
        // A valid manifest followed by 2 MiB of comment: the parser would accept it whole.
        Path big = dir.resolve("b-big.yaml");
        try (OutputStream out = Files.newOutputStream(big)) {
            out.write(dnsRecord("big", "big.example.test.", "A", null, "192.0.2.2")
                    .getBytes(StandardCharsets.UTF_8));
            byte[] comment = ("#" + "x".repeat(1022) + "\n").getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < 2048; i++) {
                out.write(comment);
            }
        }
        write("c-good.yaml", dnsRecord("also-good", "also.example.test.", "A", null, "192.0.2.3"));

        LoadResult result = new ManifestDirectory(dir, ZONES).load();

        assertThat(result.records())
                .extracting(r -> r.getName().toString())
                .containsExactly("good.example.test.", "also.example.test.");
        assertThat(result.rejections())
                .containsExactly(new Rejection(
                        big,
                        "",
                        "refused: " + Files.size(big)
                                + " bytes, over the limit of 1048576 bytes (--records-max-file-bytes)"));
        assertThat(result.filesTooLarge()).isEqualTo(1);
    }

    @Test
    void theSizeLimitIsConfigurable() throws IOException {
        String manifest = dnsRecord("small", "small.example.test.", "A", null, "192.0.2.1");
        write("small.yaml", manifest);
        int size = manifest.getBytes(StandardCharsets.UTF_8).length;

        assertThat(new ManifestDirectory(dir, ZONES, new ManifestDirectory.Limits(size, 100))
                        .load()
                        .records())
                .hasSize(1);
        LoadResult refused = new ManifestDirectory(dir, ZONES, new ManifestDirectory.Limits(size - 1, 100)).load();
        assertThat(refused.records()).isEmpty();
        assertThat(refused.rejections())
                .extracting(Rejection::reason)
                .containsExactly("refused: " + size + " bytes, over the limit of " + (size - 1)
                        + " bytes (--records-max-file-bytes)");
    }

    @Test
    void filesPastTheRecordLimitAreRefusedInPathOrderAndTheFirstOnesServe() throws IOException {
        // 11 files of 1,000 records each against the default limit of 10,000: the 11th goes.
        for (int f = 0; f < 11; f++) {
            StringBuilder file = new StringBuilder();
            for (int r = 0; r < 1000; r++) {
                file.append(dnsRecord("r" + r, "h" + r + ".f" + f + ".example.test.", "A", null, "192.0.2.1"))
                        .append("---\n");
            }
            write(String.format("f%02d.yaml", f), file.toString());
        }

        LoadResult result = new ManifestDirectory(dir, ZONES).load();

        assertThat(result.records()).hasSize(10_000);
        assertThat(result.records()).noneMatch(r -> r.getName().toString().endsWith(".f10.example.test."));
        assertThat(result.rejections())
                .containsExactly(new Rejection(
                        dir.resolve("f10.yaml"),
                        "",
                        "refused: the records directory is over the limit of 10000 records (--records-max-records);"
                                + " files are taken in path order"));
        assertThat(result.filesOverRecordLimit()).isEqualTo(1);
    }

    @Test
    void everyFileAfterTheOneOverTheRecordLimitIsRefusedToo() throws IOException {
        write(
                "a.yaml",
                dnsRecord("a1", "a1.example.test.", "A", null, "192.0.2.1") + "---\n"
                        + dnsRecord("a2", "a2.example.test.", "A", null, "192.0.2.2"));
        write("b.yaml", dnsRecord("b1", "b1.example.test.", "A", null, "192.0.2.3", "192.0.2.4"));
        write("c.yaml", dnsRecord("c1", "c1.example.test.", "A", null, "192.0.2.5"));

        LoadResult result = new ManifestDirectory(dir, ZONES, new ManifestDirectory.Limits(1 << 20, 3)).load();

        assertThat(result.records())
                .extracting(r -> r.getName().toString())
                .containsExactly("a1.example.test.", "a2.example.test.");
        assertThat(result.rejections())
                .extracting(Rejection::file)
                .containsExactly(dir.resolve("b.yaml"), dir.resolve("c.yaml"));
        assertThat(result.filesOverRecordLimit()).isEqualTo(2);
    }

    @Test
    void aYamlAliasBombIsRefusedQuicklyAndTheRestLoads() throws IOException {
        // "Billion laughs": nine levels of nine aliases each, 9^9 strings if they were expanded.
        StringBuilder bomb = new StringBuilder(
                "a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"," + " \"lol\", \"lol\"]\n");
        for (int level = 1; level < 10; level++) {
            String prev = "*a" + (level - 1);
            bomb.append("a")
                    .append(level)
                    .append(": &a")
                    .append(level)
                    .append(" [")
                    .append(String.join(", ", List.of(prev, prev, prev, prev, prev, prev, prev, prev, prev)))
                    .append("]\n");
        }
        write("bomb.yaml", """
                apiVersion: zonekeeper.dev/v1alpha1
                kind: DnsRecord
                metadata: {name: bomb}
                spec:
                  name: bomb.example.test.
                  type: TXT
                  values: *a9
                """ + bomb);
        write("good.yaml", dnsRecord("good", "good.example.test.", "A", null, "192.0.2.1"));

        LoadResult result =
                assertTimeoutPreemptively(Duration.ofSeconds(30), () -> new ManifestDirectory(dir, ZONES).load());

        assertThat(result.records()).extracting(r -> r.getName().toString()).containsExactly("good.example.test.");
        assertThat(result.rejections()).singleElement().satisfies(r -> {
            assertThat(r.file()).isEqualTo(dir.resolve("bomb.yaml"));
            assertThat(r.reason()).startsWith("not valid YAML: YAML aliases are not supported (*a9)");
        });
    }

    @Test
    void anAliasIsRefusedRatherThanReadAsTheAnchorsName() throws IOException {
        write("alias.yaml", """
                apiVersion: zonekeeper.dev/v1alpha1
                kind: DnsRecord
                metadata: {name: alias}
                spec:
                  name: &text alias.example.test.
                  type: TXT
                  values: [*text]
                """);

        LoadResult result = new ManifestDirectory(dir, ZONES).load();

        assertThat(result.records()).isEmpty();
        assertThat(result.rejections())
                .extracting(Rejection::reason)
                .containsExactly(
                        "not valid YAML: YAML aliases are not supported (*text): write the value out (line 7, column 12)");
    }

    @Test
    void deeplyNestedYamlIsRefusedWithAClearError() throws IOException {
        write(
                "deep.yaml",
                "apiVersion: zonekeeper.dev/v1alpha1\nkind: DnsRecord\nmetadata: {name: deep}\n"
                        + "spec: {name: deep.example.test., type: TXT, values: " + "[".repeat(100_000)
                        + "]".repeat(100_000)
                        + "}\n");
        write("good.yaml", dnsRecord("good", "good.example.test.", "A", null, "192.0.2.1"));

        LoadResult result =
                assertTimeoutPreemptively(Duration.ofSeconds(30), () -> new ManifestDirectory(dir, ZONES).load());

        assertThat(result.records()).extracting(r -> r.getName().toString()).containsExactly("good.example.test.");
        assertThat(result.rejections()).singleElement().satisfies(r -> {
            assertThat(r.file()).isEqualTo(dir.resolve("deep.yaml"));
            assertThat(r.reason()).startsWith("not valid YAML: ").containsIgnoringCase("depth");
        });
    }

    @Test
    void theServerRefusesAnOversizedFileAndServesTheRestCountingIt() throws IOException {
        write("good.yaml", dnsRecord("good", "good.example.test.", "A", null, "192.0.2.1"));
        write("big.yaml", dnsRecord("big", "big.example.test.", "A", null, "192.0.2.2") + "#" + "x".repeat(4096));

        try (TestServer server =
                TestServer.withDirectory(dir, "--zone", "example.test", "--records-max-file-bytes", "4096")) {
            assertThat(DnsClients.dnsjava(server.address(), "good.example.test.", "A")
                            .answer())
                    .containsExactly("good.example.test.\t30\tIN\tA\t192.0.2.1");
            DnsClients.Reply big = DnsClients.dnsjava(server.address(), "big.example.test.", "A");
            assertThat(big.rcode()).isEqualTo("NXDOMAIN");
            assertThat(server.server().metrics().scrape())
                    .contains("zonekeeper_dns_records_refused_files{reason=\"file_too_large\"} 1.0")
                    .contains("zonekeeper_dns_records_refused_files{reason=\"over_record_limit\"} 0.0");
        }
    }

    @Test
    void rejectionsAreCappedSoFilesOfInvalidDocumentsCannotGrowThemWithoutBound() throws IOException {
        StringBuilder invalid = new StringBuilder();
        for (int i = 0; i < 1500; i++) {
            invalid.append(dnsRecord("bad" + i, "bad" + i + ".example.test.", "A", null, "not-an-address"))
                    .append("---\n");
        }
        write("a-invalid.yaml", invalid.toString());
        write("b-invalid.yaml", invalid.toString());
        write("c-good.yaml", dnsRecord("good", "good.example.test.", "A", null, "192.0.2.1"));

        LoadResult result = new ManifestDirectory(dir, ZONES).load();

        assertThat(result.records()).extracting(r -> r.getName().toString()).containsExactly("good.example.test.");
        assertThat(result.rejections()).hasSize(1001);
        assertThat(result.rejections().get(999).file()).isEqualTo(dir.resolve("a-invalid.yaml"));
        assertThat(result.rejections().get(1000))
                .isEqualTo(new Rejection(dir, "", "2000 more rejections not listed (at most 1000 are kept per load)"));
    }

    @Test
    void aRejectionIsOneLogLineWhateverTheFileHolds() throws IOException {
        // Found by ManifestFuzzTest: SnakeYAML quotes the character it choked on, here a line break.
        write("a-anchor.yaml", "e: &\nc: ,[*b*b]\n");
        // YAML double quotes decode \n and \u2028: the value holds a line break and a line separator.
        write("b-value.yaml", """
                apiVersion: zonekeeper.dev/v1alpha1
                kind: DnsRecord
                metadata: {name: forged}
                spec: {name: forged.example.test., type: A, values: ["x\\n[main] INFO dev.zonekeeper.dns.Main - loaded\\u2028"]}
                """);

        LoadResult result = new ManifestDirectory(dir, ZONES).load();

        assertThat(result.rejections()).hasSize(2);
        assertThat(result.rejections())
                .extracting(Rejection::toLogLine)
                .allSatisfy(line -> assertThat(line).doesNotContain("\n", "\r", "\u2028"));
        assertThat(result.rejections().get(1).toLogLine())
                .contains("'x\\n[main] INFO dev.zonekeeper.dns.Main - loaded\\u2028'");
    }

    private void write(String relative, String content) throws IOException {
        Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }
}
