package dev.zonekeeper.operator.records;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Test;

/** The version a DnsRecord is ordered by among those created in the same second, and the one recorded for it. */
class RecordClaimTest {

    private static DnsRecord record(String resourceVersion, String claimRevision) {
        DnsRecord record = new DnsRecord();
        record.setMetadata(new ObjectMetaBuilder()
                .withNamespace("a")
                .withName("r")
                .withResourceVersion(resourceVersion)
                .build());
        if (claimRevision != null) {
            DnsRecordStatus status = new DnsRecordStatus();
            status.setClaimRevision(claimRevision);
            record.setStatus(status);
        }
        return record;
    }

    @Test
    void untilRecordedTheCurrentVersionOrdersAndIsWhatGetsRecorded() {
        DnsRecord fresh = record("1042", null);

        assertThat(RecordClaim.revisionOf(fresh)).isEqualTo(1042L);
        assertThat(RecordClaim.claimRevisionToRecord(fresh)).isEqualTo("1042");
    }

    @Test
    void onceRecordedTheRecordedVersionOrdersAndIsKeptWhateverTheObjectsVersionIsNow() {
        DnsRecord changedSince = record("2077", "1042");

        assertThat(RecordClaim.revisionOf(changedSince)).isEqualTo(1042L);
        assertThat(RecordClaim.claimRevisionToRecord(changedSince)).isEqualTo("1042");
    }

    @Test
    void aVersionThatIsNotAPlainDecimalIsUnknownForOrdering() {
        assertThat(RecordClaim.revisionOf(record("v7", null))).isNull();
    }
}
