package dev.zonekeeper.dns.update;

import static dev.zonekeeper.dns.update.UpdateTesting.CLOCK;
import static dev.zonekeeper.dns.update.UpdateTesting.parse;
import static dev.zonekeeper.dns.update.UpdateTesting.signed;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Update;

/** The replay memory: per key, bounded, oldest forgotten first. */
class UpdateAuthenticatorTest {
    final TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
    final List<UpdatePolicy> policies = List.of(UpdateTesting.policy("p", key, "acme.", UpdateTesting.ZONE));

    byte[] request(int id) {
        Update u = new Update(UpdateTesting.ZONE);
        u.getHeader().setID(id & 0xFFFF);
        u.absent(UpdateTesting.name("n" + id + ".example.test."));
        return signed(u, key);
    }

    UpdateResult verify(UpdateAuthenticator auth, byte[] wire) {
        UpdateAuthenticator.Verdict v = auth.verify(parse(wire), wire, policies, true);
        if (v.mac() != null) {
            auth.done(v.keyName(), v.mac());
        }
        return v.ok() ? UpdateResult.APPLIED : v.result();
    }

    @Test
    void eachKeyRemembersAtMostItsBoundOfMacsAndForgetsTheOldestFirst() {
        UpdateAuthenticator auth = new UpdateAuthenticator(CLOCK);
        List<byte[]> requests = new ArrayList<>();
        for (int i = 0; i <= UpdateAuthenticator.MAX_MACS_PER_KEY; i++) {
            requests.add(request(i));
        }
        for (byte[] r : requests) {
            assertThat(verify(auth, r)).isEqualTo(UpdateResult.APPLIED);
        }
        // the newest are remembered...
        assertThat(verify(auth, requests.get(requests.size() - 1))).isEqualTo(UpdateResult.REPLAYED);
        assertThat(verify(auth, requests.get(1))).isEqualTo(UpdateResult.REPLAYED);
        // ...the oldest was dropped for the bound (and is remembered again from now on)
        assertThat(verify(auth, requests.get(0))).isEqualTo(UpdateResult.APPLIED);
        assertThat(verify(auth, requests.get(0))).isEqualTo(UpdateResult.REPLAYED);
    }

    @Test
    void aKeyNoPolicyNamesAnyMoreIsForgotten() {
        UpdateAuthenticator auth = new UpdateAuthenticator(CLOCK);
        byte[] r = request(1);
        assertThat(verify(auth, r)).isEqualTo(UpdateResult.APPLIED);
        auth.retain(java.util.Set.of());
        assertThat(verify(auth, r)).isEqualTo(UpdateResult.APPLIED);
    }
}
