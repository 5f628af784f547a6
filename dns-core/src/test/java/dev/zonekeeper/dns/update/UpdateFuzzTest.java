package dev.zonekeeper.dns.update;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.zonekeeper.dns.zone.Zone;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.TSIG;

/**
 * Coverage-guided fuzzing of {@link UpdateService#handle} (issue 15): whatever a client sends, the service answers
 * (or, for a response, stays silent) without an exception, hands exactly one outcome to its listener, answers with the
 * request's ID and the outcome's rcode, and never produces a change set the zone cannot take (the in-memory store
 * applies it with {@link Zone#apply}, which refuses a record outside the zone, of another class or an SOA).
 *
 * <p>Input: byte 0 selects the case (bit 0 set: the rest is parsed as a message and signed with the policy's key
 * before it is handled, so that the fuzzer reaches the evaluation behind the TSIG check; clear: the rest is handled as
 * it is). The policy lets the key write every name of the zone, the clock is fixed, and each input gets a fresh
 * service and store, so inputs do not depend on each other.
 */
class UpdateFuzzTest {
    private static final TSIG KEY = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
    private static final UpdatePolicy POLICY = UpdateTesting.policy(
            "all", KEY, "acme.", UpdateTesting.ZONE, UpdateTesting.grant(Grant.Match.SUBDOMAIN, "example.test."));
    private static final Zone ZONE = UpdateTesting.zone();

    @FuzzTest(maxDuration = "10m")
    void update(byte[] data) throws Exception {
        boolean sign = data.length > 0 && (data[0] & 1) != 0;
        byte[] request = data.length > 0 ? Arrays.copyOfRange(data, 1, data.length) : data;
        if (sign) {
            try {
                Message m = new Message(request);
                KEY.apply(m, null);
                request = m.toWire();
            } catch (IOException | RuntimeException e) {
                // not a message dnsjava reads: handled as it is
            }
        }
        UpdateTesting.MemoryStore store = new UpdateTesting.MemoryStore(ZONE);
        List<UpdateOutcome> outcomes = new ArrayList<>();
        UpdateService service =
                new UpdateService(store, UpdateService.Options.DEFAULT, UpdateTesting.CLOCK, outcomes::add);
        service.policies(List.of(POLICY));

        byte[] answer = service.handle(request, InetAddress.getLoopbackAddress(), false);

        assertThat(outcomes).hasSize(1);
        UpdateOutcome outcome = outcomes.get(0);
        assertThat(outcome.result())
                .as("the in-memory store never fails: a change set it cannot apply is a defect")
                .isNotEqualTo(UpdateResult.STORE_FAILED);
        if (answer != null) {
            Message a = new Message(answer);
            assertThat(a.getHeader().getFlag(Flags.QR)).isTrue();
            assertThat(a.getRcode()).isEqualTo(outcome.result().rcode());
            assertThat(a.getHeader().getID()).isEqualTo(new Header(Arrays.copyOf(request, Header.LENGTH)).getID());
        } else {
            assertThat(request.length < Header.LENGTH
                            || new Header(Arrays.copyOf(request, Header.LENGTH)).getFlag(Flags.QR))
                    .as("only bytes without a header and responses go unanswered")
                    .isTrue();
        }
        if (outcome.result() == UpdateResult.APPLIED) {
            assertThat(store.commits).hasSize(outcome.changes() == 0 ? 0 : 1);
            for (ChangeSet changes : store.commits) {
                for (ChangeSet.RRsetChange c : changes.changes()) {
                    if (!c.after().isEmpty()) {
                        assertThat(RecordValues.problem(c.name(), c.type(), c.ttl(), c.after()))
                                .isEmpty();
                    }
                }
            }
        } else {
            assertThat(store.commits).isEmpty();
        }
    }
}
