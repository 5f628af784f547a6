package dev.zonekeeper.dns.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's option table is the one {@link ServerConfig#OPTIONS} generates, as the CRD is the one the API classes
 * generate ({@code CrdUpToDateTest}). {@code -Dzonekeeper.updateReadme=true} rewrites it instead of failing.
 */
class OptionTableTest {
    static final String BEGIN = "<!-- dns-server options: generated from ServerConfig.OPTIONS by OptionTableTest -->";
    static final String END = "<!-- end of dns-server options -->";
    private static final String UPDATE_HINT = "run `./mvnw -B -pl dns-server test -Dtest=OptionTableTest "
            + "-Dzonekeeper.updateReadme=true` to write the table generated from ServerConfig.OPTIONS, then commit it";

    @Test
    void readmeOptionTableIsTheGeneratedOne() throws IOException {
        Path readme = Path.of(System.getProperty("zonekeeper.readme", "../README.md"));
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        if (begin < 0 || end < begin) {
            fail(readme.toAbsolutePath().normalize() + " has no '" + BEGIN + "' ... '" + END + "' section");
        }
        String committed = text.substring(begin + BEGIN.length() + 1, end);
        String generated = ServerConfig.markdownTable();
        if (Boolean.getBoolean("zonekeeper.updateReadme")) {
            Files.writeString(
                    readme,
                    text.substring(0, begin + BEGIN.length() + 1) + generated + text.substring(end),
                    StandardCharsets.UTF_8);
            return;
        }
        if (!committed.equals(generated)) {
            fail(readme.toAbsolutePath().normalize()
                    + ": the dns-server option table differs from ServerConfig.OPTIONS;" + " " + UPDATE_HINT
                    + "\n--- generated:\n" + generated);
        }
    }

    @Test
    void helpAndTableNameEveryOption() {
        for (Option o : ServerConfig.OPTIONS) {
            assertThat(ServerConfig.USAGE).contains("  " + o.name() + " " + o.arg() + " ");
            assertThat(ServerConfig.markdownTable())
                    .contains("| `" + o.name() + " " + o.arg() + "` | `" + o.env() + "` |");
            assertThat(o.usage().lines())
                    .allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(120));
        }
        assertThat(ServerConfig.USAGE)
                .startsWith("Usage: zonekeeper-dns-server [options]\n")
                .endsWith("\n  --help                   print this help");
    }
}
