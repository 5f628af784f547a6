package dev.zonekeeper.operator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The committed CRD (crds/, and the Helm chart's copy when the chart exists) must be exactly what the API classes
 * generate. {@code -Dzonekeeper.updateCrds=true} rewrites the committed copies instead of failing.
 */
class CrdUpToDateTest {

    private static final String UPDATE_HINT = "run `./mvnw -B -pl operator -am test -Dzonekeeper.updateCrds=true` "
            + "to copy the generated CRD, then commit it";

    @Test
    void committedCrdsAreTheGeneratedOnes() throws IOException {
        java.util.List<Path> all =
                CrdGeneration.generate(Path.of(System.getProperty("crds.generated-dir", "target/crds")));
        Path crds = Path.of(System.getProperty("crds.committed-dir", "../crds"));
        Path chartCrds = Path.of(System.getProperty("crds.chart-dir", "../charts/zonekeeper/crds"));
        boolean update = Boolean.getBoolean("crds.update");
        for (Path generated : all) {
            byte[] expected = Files.readAllBytes(generated);
            String file = generated.getFileName().toString();
            assertThat(new String(expected, java.nio.charset.StandardCharsets.UTF_8))
                    .contains("name: " + file.substring(0, file.indexOf("-v1.yml")));
            check(generated, expected, crds.resolve(file), update);
            if (Files.isDirectory(chartCrds)) {
                check(generated, expected, chartCrds.resolve(file), update);
            }
        }
    }

    private static void check(Path generated, byte[] expected, Path committed, boolean update) throws IOException {
        if (update) {
            Files.createDirectories(committed.getParent());
            Files.copy(generated, committed, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        if (!Files.exists(committed)) {
            fail(committed.toAbsolutePath().normalize() + " is missing; " + UPDATE_HINT);
        }
        if (!Arrays.equals(expected, Files.readAllBytes(committed))) {
            fail(committed.toAbsolutePath().normalize() + " differs from the CRD generated from the API classes ("
                    + generated.toAbsolutePath().normalize() + "); " + UPDATE_HINT);
        }
    }
}
