package dev.zonekeeper.dns.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.zonekeeper.dns.record.RecordSpec;
import dev.zonekeeper.dns.record.RecordSpecs;
import dev.zonekeeper.dns.record.SpecResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;

/**
 * Coverage-guided fuzzing of what a user (or an attacker with write access to the records directory or the API)
 * writes: DnsRecord YAML through {@link ManifestDirectory} and record specs through {@link RecordSpecs#validate}.
 * Invariants: never an exception (a problem is a {@link Rejection} or a {@link SpecResult} error), never more than
 * the limits, and every accepted record lies in a served zone and survives encoding in a DNS message.
 * {@code e2e/fuzz/run.sh manifest|recordspec MINUTES} fuzzes; {@code ./mvnw test} replays the corpus.
 */
class ManifestFuzzTest {
    private static final Set<Name> ZONES =
            Set.of(Name.fromConstantString("example.test."), Name.fromConstantString("2.0.192.in-addr.arpa."));
    private static final ManifestDirectory.Limits LIMITS = new ManifestDirectory.Limits(64 * 1024, 200);
    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("zk-manifest-fuzz");
            DIR.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest
    void manifestFile(byte[] content) throws IOException {
        Path file = DIR.resolve("records.yaml");
        Files.write(file, content);
        LoadResult result = new ManifestDirectory(DIR, ZONES, LIMITS).load();

        assertThat(result.records().size()).isLessThanOrEqualTo(LIMITS.maxRecords());
        if (content.length > LIMITS.maxFileBytes()) {
            assertThat(result.records()).isEmpty();
            assertThat(result.filesTooLarge()).isEqualTo(1);
        }
        for (Rejection r : result.rejections()) {
            assertThat(r.reason()).isNotBlank();
            assertThat(r.toLogLine()).doesNotContain("\n");
        }
        checkServable(result.records(), true);
    }

    @FuzzTest
    void recordSpec(FuzzedDataProvider data) {
        String name = data.consumeBoolean() ? null : data.consumeString(300);
        String type = data.consumeBoolean()
                ? null
                : data.consumeBoolean() ? data.pickValue(RecordSpecs.SUPPORTED_TYPES) : data.consumeString(12);
        Long ttl = data.consumeBoolean() ? null : data.consumeLong();
        List<String> values = null;
        if (!data.consumeBoolean()) {
            values = new ArrayList<>();
            int n = data.consumeInt(0, 8);
            for (int i = 0; i < n; i++) {
                values.add(data.consumeBoolean() && data.consumeBoolean() ? null : data.consumeString(600));
            }
        }
        SpecResult result = RecordSpecs.validate(new RecordSpec(name, type, ttl, values));

        if (result.isValid()) {
            assertThat(result.records()).isNotEmpty();
            assertThat(result.records()).allSatisfy(r -> {
                assertThat(r.getTTL()).isBetween(0L, RecordSpecs.MAX_TTL);
                assertThat(r.getName().isAbsolute()).isTrue();
                assertThat(r.getDClass()).isEqualTo(DClass.IN);
            });
            assertThat(result.records())
                    .extracting(org.xbill.DNS.Record::getName)
                    .containsOnly(result.records().get(0).getName());
            checkServable(result.records(), false);
        } else {
            assertThat(result.errors())
                    .isNotEmpty()
                    .allSatisfy(e -> assertThat(e).isNotBlank());
        }
    }

    /** Every accepted record encodes in a message and reads back as the same record (and lies in a served zone). */
    private static void checkServable(List<org.xbill.DNS.Record> records, boolean inZones) {
        for (org.xbill.DNS.Record r : records) {
            Message m = new Message(0);
            m.addRecord(r, Section.ANSWER);
            byte[] wire = m.toWire();
            Message back;
            try {
                back = new Message(wire);
            } catch (IOException e) {
                throw new AssertionError("accepted record " + r + " does not survive encoding: " + e, e);
            }
            assertThat(back.getSection(Section.ANSWER)).containsExactly(r);
            if (inZones) {
                assertThat(ZONES.stream().anyMatch(z -> r.getName().subdomain(z)))
                        .as("record %s in a served zone", r)
                        .isTrue();
            }
        }
    }
}
