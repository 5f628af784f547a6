package dev.zonekeeper.dns.update;

import static dev.zonekeeper.dns.update.UpdateTesting.CLOCK;
import static dev.zonekeeper.dns.update.UpdateTesting.NOW;
import static dev.zonekeeper.dns.update.UpdateTesting.SECRET;
import static dev.zonekeeper.dns.update.UpdateTesting.ZONE;
import static dev.zonekeeper.dns.update.UpdateTesting.name;
import static dev.zonekeeper.dns.update.UpdateTesting.parse;
import static dev.zonekeeper.dns.update.UpdateTesting.signed;
import static dev.zonekeeper.dns.update.UpdateTesting.zone;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zonekeeper.dns.transfer.TsigKeyFile;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

/** {@link UpdateService#handle} end to end on wire bytes: keys, answers, rate, store faults, outcomes. */
class UpdateServiceTest {
    static final InetAddress CLIENT = InetAddress.getLoopbackAddress();
    static final Name CHALLENGE = name("_acme-challenge.example.test.");

    final UpdateTesting.MemoryStore store = new UpdateTesting.MemoryStore(zone());
    final List<UpdateOutcome> outcomes = new CopyOnWriteArrayList<>();

    UpdateService service(Clock clock, UpdateService.Options options, UpdatePolicy... policies) {
        UpdateService s = new UpdateService(store, options, clock, outcomes::add);
        s.policies(List.of(policies));
        return s;
    }

    UpdateService service(UpdatePolicy... policies) {
        return service(CLOCK, UpdateService.Options.DEFAULT, policies);
    }

    static UpdatePolicy acmePolicy(TSIG key, String keyName) {
        return UpdateTesting.policy(
                "acme", key, keyName, ZONE, UpdateTesting.grant(Grant.Match.SUBDOMAIN, CHALLENGE.toString(), Type.TXT));
    }

    static Update addChallenge(String value) throws Exception {
        Update u = new Update(ZONE);
        u.add(CHALLENGE, Type.TXT, 60, "\"" + value + "\"");
        return u;
    }

    /** The answer, checked to be a well-formed answer to {@code request}: ID, QR, opcode, zone section echoed. */
    static Message answerTo(byte[] request, byte[] answer) {
        Message q = parse(request);
        Message a = parse(answer);
        assertThat(a.getHeader().getID()).isEqualTo(q.getHeader().getID());
        assertThat(a.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(a.getHeader().getOpcode()).isEqualTo(Opcode.UPDATE);
        assertThat(a.getSection(Section.ZONE)).isEqualTo(q.getSection(Section.ZONE));
        return a;
    }

    /** Asserts the answer carries a TSIG of {@code key} over the request's MAC that verifies. */
    static void assertSignedBy(TSIG key, byte[] request, byte[] answer) throws Exception {
        Message a = new Message(answer);
        assertThat(a.getTSIG()).as("the answer is signed").isNotNull();
        assertThat(key.verify(a, answer, parse(request).getTSIG())).isEqualTo(Rcode.NOERROR);
    }

    UpdateOutcome onlyOutcome() {
        assertThat(outcomes).hasSize(1);
        return outcomes.get(0);
    }

    static Stream<String> algorithms() {
        return Stream.of("hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("algorithms")
    void everyAlgorithmVerifiesAndSignsTheAnswer(String algorithm) throws Exception {
        // the server's key as a Secret or key file gives it; the client's as nsupdate builds it, both on real time
        String keyText = "acme-key:" + algorithm + ":" + Base64.getEncoder().encodeToString(SECRET);
        TsigKeyFile.Key serverKey = TsigKeyFile.parseUpdateKey(keyText);
        TSIG client = new TSIG(TSIG.algorithmToName(algorithm), name("acme-key."), SECRET);
        UpdateService service =
                service(Clock.systemUTC(), UpdateService.Options.DEFAULT, acmePolicy(serverKey.tsig(), "acme-key."));

        byte[] request = signed(addChallenge("token"), client);
        byte[] answer = service.handle(request, CLIENT, false);

        assertThat(answerTo(request, answer).getRcode()).isEqualTo(Rcode.NOERROR);
        assertSignedBy(client, request, answer);
        assertThat(store.zone.rrset(CHALLENGE, Type.TXT)).hasSize(1);
        assertThat(onlyOutcome().result()).isEqualTo(UpdateResult.APPLIED);
        assertThat(onlyOutcome().changes()).isEqualTo(1);
        assertThat(onlyOutcome().policy().name()).isEqualTo("acme");
        assertThat(onlyOutcome().zone()).isEqualTo(ZONE);
    }

    @Test
    void refusalsAndPrerequisiteFailuresAreSignedToo() throws Exception {
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdateService service = service(acmePolicy(key, "acme."));

        Update outside = new Update(ZONE);
        outside.add(name("www.example.test."), Type.TXT, 60, "\"x\"");
        byte[] request = signed(outside, key);
        byte[] answer = service.handle(request, CLIENT, true);
        assertThat(answerTo(request, answer).getRcode()).isEqualTo(Rcode.REFUSED);
        assertSignedBy(key, request, answer);

        Update prereq = addChallenge("t");
        prereq.present(CHALLENGE, Type.TXT);
        request = signed(prereq, key);
        answer = service.handle(request, CLIENT, true);
        assertThat(answerTo(request, answer).getRcode()).isEqualTo(Rcode.NXRRSET);
        assertSignedBy(key, request, answer);

        assertThat(outcomes)
                .extracting(UpdateOutcome::result)
                .containsExactly(UpdateResult.OUTSIDE_GRANT, UpdateResult.PREREQ_NXRRSET);
        assertThat(store.commits).isEmpty();
    }

    @Test
    void unsignedRequestsAreRefusedWithoutTsig() throws Exception {
        UpdateService service = service(acmePolicy(UpdateTesting.key(TSIG.HMAC_SHA256, "acme."), "acme."));
        byte[] request = addChallenge("t").toWire();
        Message a = answerTo(request, service.handle(request, CLIENT, false));
        assertThat(a.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(a.getTSIG()).isNull();
        assertThat(onlyOutcome().result()).isEqualTo(UpdateResult.UNSIGNED);
        assertThat(store.commits).isEmpty();
    }

    record TsigCase(String description, TSIG client, UpdateResult result, int tsigError) {}

    static Stream<TsigCase> tsigFailures() {
        Clock hourAgo = Clock.fixed(NOW.minus(Duration.ofHours(1)), ZoneOffset.UTC);
        return Stream.of(
                new TsigCase(
                        "a key no policy names",
                        UpdateTesting.key(TSIG.HMAC_SHA256, "stranger."),
                        UpdateResult.BAD_KEY,
                        Rcode.BADKEY),
                new TsigCase(
                        "the key's name with another algorithm",
                        UpdateTesting.key(TSIG.HMAC_SHA512, "acme."),
                        UpdateResult.BAD_KEY,
                        Rcode.BADKEY),
                new TsigCase(
                        "the key's name and algorithm with another secret",
                        UpdateTesting.key(
                                TSIG.HMAC_SHA256, "acme.", "another-secret-of-32-bytes-ok!!!".getBytes(), CLOCK),
                        UpdateResult.BAD_SIGNATURE,
                        Rcode.BADSIG),
                new TsigCase(
                        "signed an hour ago",
                        UpdateTesting.key(TSIG.HMAC_SHA256, "acme.", SECRET, hourAgo),
                        UpdateResult.BAD_TIME,
                        Rcode.BADTIME));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void tsigFailures(TsigCase c) throws Exception {
        UpdateService service = service(acmePolicy(UpdateTesting.key(TSIG.HMAC_SHA256, "acme."), "acme."));
        byte[] request = signed(addChallenge("t"), c.client());
        byte[] answer = service.handle(request, CLIENT, false);
        Message a = answerTo(request, answer);
        assertThat(a.getRcode()).isEqualTo(Rcode.NOTAUTH);
        TSIGRecord tsig = a.getTSIG();
        assertThat(tsig).isNotNull();
        assertThat(tsig.getError()).isEqualTo(c.tsigError());
        assertThat(tsig.getName()).isEqualTo(parse(request).getTSIG().getName());
        if (c.tsigError() == Rcode.BADTIME) {
            // RFC 8945 5.2.3: signed, and the server's time in Other Data
            assertSignedBy(c.client(), request, answer);
            byte[] other = tsig.getOther();
            long serverTime = 0;
            for (byte b : other) {
                serverTime = (serverTime << 8) | (b & 0xFF);
            }
            assertThat(serverTime).isEqualTo(NOW.getEpochSecond());
        } else {
            assertThat(tsig.getSignature()).isEmpty(); // RFC 8945 5.3.2: the key cannot sign
        }
        assertThat(onlyOutcome().result()).isEqualTo(c.result());
        // only a key whose signature verified gets its policy told (a clock to fix); forgers do not reach a policy
        assertThat(onlyOutcome().policy() != null).isEqualTo(c.result() == UpdateResult.BAD_TIME);
        assertThat(store.commits).isEmpty();
    }

    @Test
    void aReplayedRequestIsRefusedAndAppliedOnlyOnce() throws Exception {
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdateService service = service(acmePolicy(key, "acme."));
        Update u = addChallenge("t");
        u.delete(CHALLENGE, Type.TXT, "\"old\"");
        byte[] request = signed(u, key);
        assertThat(parse(service.handle(request, CLIENT, false)).getRcode()).isEqualTo(Rcode.NOERROR);
        // the same bytes again, e.g. captured on the way: the MAC is known
        byte[] answer = service.handle(request, CLIENT, false);
        Message a = answerTo(request, answer);
        assertThat(a.getRcode()).isEqualTo(Rcode.NOTAUTH);
        assertThat(a.getTSIG().getError()).isEqualTo(Rcode.BADTIME);
        assertSignedBy(key, request, answer);
        assertThat(outcomes)
                .extracting(UpdateOutcome::result)
                .containsExactly(UpdateResult.APPLIED, UpdateResult.REPLAYED);
        assertThat(store.commits).hasSize(1);
        // a new request of the same content has a new MAC (another ID and time) and is accepted
        byte[] again = signed(addChallenge("t2"), key);
        assertThat(parse(service.handle(again, CLIENT, false)).getRcode()).isEqualTo(Rcode.NOERROR);
    }

    @Test
    void aRetransmissionOfARequestStillBeingAppliedGetsNoAnswerOfItsOwn() throws Exception {
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdateService service = service(acmePolicy(key, "acme."));
        java.util.concurrent.CountDownLatch committing = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        store.duringCommit = () -> {
            committing.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        byte[] request = signed(addChallenge("slow"), key);
        java.util.concurrent.FutureTask<byte[]> first =
                new java.util.concurrent.FutureTask<>(() -> service.handle(request, CLIENT, false));
        Thread.ofVirtual().start(first);
        committing.await();

        // a UDP client that heard nothing yet sends the same bytes again: no second answer, no second commit
        assertThat(service.handle(request, CLIENT, false)).isNull();
        release.countDown();
        assertThat(parse(first.get()).getRcode()).isEqualTo(Rcode.NOERROR);
        // once the original is answered, the same bytes are a replay
        assertThat(parse(service.handle(request, CLIENT, false)).getRcode()).isEqualTo(Rcode.NOTAUTH);

        assertThat(outcomes)
                .extracting(UpdateOutcome::result)
                .containsExactly(UpdateResult.REPLAYED, UpdateResult.APPLIED, UpdateResult.REPLAYED);
        assertThat(store.commits).hasSize(1);
    }

    /** A clock the test moves. */
    static final class MovingClock extends Clock {
        volatile Instant now = NOW;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void eachKeyIsRateLimitedOnItsOwn() throws Exception {
        MovingClock clock = new MovingClock();
        TSIG a = UpdateTesting.key(TSIG.HMAC_SHA256, "a.", SECRET, clock);
        TSIG b = UpdateTesting.key(TSIG.HMAC_SHA256, "b.", SECRET, clock);
        UpdateService service =
                service(clock, new UpdateService.Options(65_535, 1, 2, 5), acmePolicy(a, "a."), acmePolicy(b, "b."));

        for (int i = 0; i < 2; i++) {
            assertThat(parse(service.handle(signed(addChallenge("a" + i), a), CLIENT, false))
                            .getRcode())
                    .isEqualTo(Rcode.NOERROR);
        }
        byte[] request = signed(addChallenge("a-over"), a);
        byte[] answer = service.handle(request, CLIENT, false);
        assertThat(answerTo(request, answer).getRcode()).isEqualTo(Rcode.REFUSED);
        assertSignedBy(a, request, answer);
        assertThat(outcomes.get(2).result()).isEqualTo(UpdateResult.RATE_LIMITED);
        assertThat(outcomes.get(2).policy().keyName()).isEqualTo(name("a."));

        // another key is not affected
        assertThat(parse(service.handle(signed(addChallenge("b"), b), CLIENT, false))
                        .getRcode())
                .isEqualTo(Rcode.NOERROR);
        // a second later the bucket holds one token again
        clock.now = NOW.plusSeconds(1);
        assertThat(parse(service.handle(signed(addChallenge("a-later"), a), CLIENT, false))
                        .getRcode())
                .isEqualTo(Rcode.NOERROR);
        assertThat(parse(service.handle(signed(addChallenge("a-later2"), a), CLIENT, false))
                        .getRcode())
                .isEqualTo(Rcode.REFUSED);
        assertThat(store.zone.rrset(CHALLENGE, Type.TXT))
                .extracting(RecordValues::value)
                .containsExactlyInAnyOrder("\"a0\"", "\"a1\"", "\"b\"", "\"a-later\"");
    }

    @Test
    void bytesThatAreNotAnUpdateGetFormerr() throws Exception {
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdateService service = service(CLOCK, new UpdateService.Options(512, 50, 100, 5), acmePolicy(key, "acme."));
        byte[] good = signed(addChallenge("t"), key);
        int id = parse(good).getHeader().getID();

        // garbage after a readable header: FORMERR with the ID
        byte[] garbage = Arrays.copyOf(good, 40);
        Arrays.fill(garbage, 12, 40, (byte) 0xFF);
        Message a = parse(service.handle(garbage, CLIENT, false));
        assertThat(a.getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(a.getHeader().getID()).isEqualTo(id);
        // truncated
        a = parse(service.handle(Arrays.copyOf(good, good.length - 5), CLIENT, false));
        assertThat(a.getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(a.getHeader().getID()).isEqualTo(id);
        // not even a header: nothing to answer
        assertThat(service.handle(new byte[] {1, 2, 3}, CLIENT, false)).isNull();
        // over the size bound
        Update big = addChallenge("x".repeat(200));
        big.add(CHALLENGE, Type.TXT, 60, "\"" + "y".repeat(200) + "\"");
        big.add(CHALLENGE, Type.TXT, 60, "\"" + "z".repeat(200) + "\"");
        byte[] oversized = signed(big, key);
        assertThat(oversized.length).isGreaterThan(512);
        assertThat(parse(service.handle(oversized, CLIENT, false)).getRcode()).isEqualTo(Rcode.FORMERR);
        // a response is never answered
        Message response = addChallenge("t");
        response.getHeader().setFlag(Flags.QR);
        assertThat(service.handle(response.toWire(), CLIENT, false)).isNull();

        assertThat(outcomes).hasSize(5).allSatisfy(o -> {
            assertThat(o.result()).isEqualTo(UpdateResult.MALFORMED);
            assertThat(o.zone()).isNull();
        });
        assertThat(store.commits).isEmpty();
    }

    @Test
    void aSignedRequestWithABadZoneSectionGetsASignedFormerr() throws Exception {
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdateService service = service(acmePolicy(key, "acme."));
        for (List<org.xbill.DNS.Record> zones : List.of(
                List.of(
                        org.xbill.DNS.Record.newRecord(ZONE, Type.SOA, DClass.IN),
                        org.xbill.DNS.Record.newRecord(ZONE, Type.SOA, DClass.IN)),
                List.of(org.xbill.DNS.Record.newRecord(ZONE, Type.A, DClass.IN)))) {
            Message m = new Message();
            m.getHeader().setOpcode(Opcode.UPDATE);
            zones.forEach(z -> m.addRecord(z, Section.ZONE));
            byte[] request = signed(m, key);
            byte[] answer = service.handle(request, CLIENT, false);
            assertThat(parse(answer).getRcode()).isEqualTo(Rcode.FORMERR);
            assertSignedBy(key, request, answer);
        }
        assertThat(outcomes)
                .extracting(UpdateOutcome::result)
                .containsExactly(UpdateResult.MALFORMED, UpdateResult.MALFORMED);
    }

    @Test
    void zonesNotServedOrNotGrantedAreRefused() throws Exception {
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdatePolicy other = UpdateTesting.policy(
                "other", key, "acme.", name("other.test."), UpdateTesting.grant(Grant.Match.SUBDOMAIN, "other.test."));
        UpdateService service = service(acmePolicy(key, "acme."), other);

        // a policy for the zone, but the store does not serve it
        Update u = new Update(name("other.test."));
        u.add(name("x.other.test."), Type.TXT, 60, "\"t\"");
        byte[] request = signed(u, key);
        byte[] answer = service.handle(request, CLIENT, false);
        assertThat(answerTo(request, answer).getRcode()).isEqualTo(Rcode.REFUSED);
        assertSignedBy(key, request, answer);
        // served, but the key has no policy for it
        service.policies(List.of(other));
        request = signed(addChallenge("t"), key);
        assertThat(parse(service.handle(request, CLIENT, false)).getRcode()).isEqualTo(Rcode.REFUSED);
        // no policy at all: UPDATE is off
        service.policies(List.of());
        assertThat(service.enabled()).isFalse();
        request = signed(addChallenge("t"), key);
        Message a = parse(service.handle(request, CLIENT, false));
        assertThat(a.getRcode()).isEqualTo(Rcode.REFUSED);

        assertThat(outcomes).extracting(UpdateOutcome::result).containsOnly(UpdateResult.ZONE_NOT_ALLOWED);
        assertThat(outcomes.get(2).detail()).isEqualTo("no DnsUpdatePolicy grants updates");
        assertThat(outcomes.get(0).policy().name()).isEqualTo("other"); // the policy of the zone asked for
        assertThat(outcomes.get(1).policy().name()).isEqualTo("other"); // the key's only policy, for another zone
        assertThat(outcomes.get(2).policy()).isNull();
        assertThat(store.commits).isEmpty();
    }

    @Test
    void theZoneSectionMatchesTheZoneWhateverItsCase() throws Exception {
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdateService service = service(acmePolicy(key, "acme."));
        Update u = new Update(name("EXAMPLE.Test."));
        u.add(name("_ACME-challenge.example.TEST."), Type.TXT, 60, "\"t\"");
        assertThat(parse(service.handle(signed(u, key), CLIENT, false)).getRcode())
                .isEqualTo(Rcode.NOERROR);
        assertThat(store.commits.get(0).changes().get(0).name().toString()).isEqualTo("_acme-challenge.example.test.");
    }

    @Test
    void aLostRaceIsEvaluatedAgainOnTheFreshZone() throws Exception {
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdateService service = service(acmePolicy(key, "acme."));

        store.conflicts = 1;
        assertThat(parse(service.handle(signed(addChallenge("t"), key), CLIENT, false))
                        .getRcode())
                .isEqualTo(Rcode.NOERROR);
        assertThat(store.commits).hasSize(1);

        // the other writer created the name the prerequisite wants absent: the second evaluation sees it
        Update u = addChallenge("mine");
        Name other = name("x._acme-challenge.example.test.");
        u.absent(other);
        store.conflicts = 1;
        store.duringCommit = () -> {
            store.zone = store.zone.apply(List.of(), List.of(txt(other, "theirs")));
            store.duringCommit = () -> {};
        };
        byte[] request = signed(u, key);
        assertThat(parse(service.handle(request, CLIENT, false)).getRcode()).isEqualTo(Rcode.YXDOMAIN);
        assertThat(store.commits).hasSize(1);
        assertThat(outcomes)
                .extracting(UpdateOutcome::result)
                .containsExactly(UpdateResult.APPLIED, UpdateResult.PREREQ_YXDOMAIN);
    }

    @Test
    void updatesOfOneZoneAreSerialisedSoOnlyOneClaimsAName() throws Exception {
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdateService service = service(acmePolicy(key, "acme."));
        Name claimed = name("x._acme-challenge.example.test.");
        int clients = 8;
        List<byte[]> requests = new java.util.ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Update u = new Update(ZONE);
            u.absent(claimed); // "create only if nobody has": the check and the write must not interleave
            u.add(claimed, Type.TXT, 60, "\"client-" + i + "\"");
            requests.add(signed(u, key));
        }
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.FutureTask<byte[]>> tasks = new java.util.ArrayList<>();
        for (byte[] request : requests) {
            java.util.concurrent.FutureTask<byte[]> task = new java.util.concurrent.FutureTask<>(() -> {
                go.await();
                return service.handle(request, CLIENT, true);
            });
            tasks.add(task);
            Thread.ofPlatform().start(task);
        }
        go.countDown();
        List<Integer> rcodes = new java.util.ArrayList<>();
        for (java.util.concurrent.FutureTask<byte[]> task : tasks) {
            rcodes.add(parse(task.get()).getRcode());
        }
        assertThat(rcodes).filteredOn(r -> r == Rcode.NOERROR).hasSize(1);
        assertThat(rcodes).filteredOn(r -> r == Rcode.YXDOMAIN).hasSize(clients - 1);
        assertThat(store.zone.rrset(claimed, Type.TXT)).hasSize(1);
        assertThat(store.commits).hasSize(1);
    }

    @Test
    void endlessRacesAndStoreFailuresAreServfail() throws Exception {
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdateService service = service(acmePolicy(key, "acme."));
        store.conflicts = 100;
        byte[] request = signed(addChallenge("t"), key);
        byte[] answer = service.handle(request, CLIENT, false);
        assertThat(parse(answer).getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertSignedBy(key, request, answer);
        assertThat(store.conflicts).isEqualTo(100 - 1 - UpdateService.Options.DEFAULT.maxConflictRetries());

        store.conflicts = 0;
        store.failure = new UpdateStore.UpdateStoreException("API server down", null);
        assertThat(parse(service.handle(signed(addChallenge("t"), key), CLIENT, false))
                        .getRcode())
                .isEqualTo(Rcode.SERVFAIL);
        assertThat(outcomes)
                .extracting(UpdateOutcome::result)
                .containsExactly(UpdateResult.STORE_FAILED, UpdateResult.STORE_FAILED);
        assertThat(outcomes.get(1).detail()).contains("API server down");
        assertThat(store.commits).isEmpty();
    }

    @Test
    void anUpdateThatChangesNothingIsAppliedWithoutACommit() throws Exception {
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdateService service = service(UpdateTesting.everything());
        Update u = new Update(ZONE);
        u.add(name("www.example.test."), Type.A, 300, "192.0.2.1");
        u.delete(name("gone.example.test."), Type.TXT);
        assertThat(parse(service.handle(signed(u, key), CLIENT, false)).getRcode())
                .isEqualTo(Rcode.NOERROR);
        assertThat(store.commits).isEmpty();
        assertThat(onlyOutcome().changes()).isZero();
    }

    @Test
    void aNameTheStoreRefusesIsRefusedWithItsReason() throws Exception {
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdateService service = service(acmePolicy(key, "acme."));
        store.refusals.put(CHALLENGE, new UpdateStore.Refusal(UpdateResult.OWNED_ELSEWHERE, "held by team-a"));
        assertThat(parse(service.handle(signed(addChallenge("t"), key), CLIENT, false))
                        .getRcode())
                .isEqualTo(Rcode.REFUSED);
        assertThat(onlyOutcome().result()).isEqualTo(UpdateResult.OWNED_ELSEWHERE);
        assertThat(onlyOutcome().detail()).isEqualTo("held by team-a");
        assertThat(store.commits).isEmpty();
    }

    @Test
    void aPolicyKeyMayTransferItsZone() throws Exception {
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdateService service = service(acmePolicy(key, "acme."));
        for (int type : new int[] {Type.AXFR, Type.SOA}) {
            Message axfr = Message.newQuery(org.xbill.DNS.Record.newRecord(ZONE, type, DClass.IN));
            byte[] wire = signed(axfr, key);
            assertThat(service.transferPolicy(parse(wire), wire))
                    .get()
                    .extracting(UpdatePolicy::name)
                    .isEqualTo("acme");
        }
        Message otherZone = Message.newQuery(org.xbill.DNS.Record.newRecord(name("other.test."), Type.AXFR, DClass.IN));
        byte[] wire = signed(otherZone, key);
        assertThat(service.transferPolicy(parse(wire), wire)).isEmpty();
        Message badSig = Message.newQuery(org.xbill.DNS.Record.newRecord(ZONE, Type.AXFR, DClass.IN));
        wire = signed(
                badSig,
                UpdateTesting.key(TSIG.HMAC_SHA256, "acme.", "another-secret-of-32-bytes-ok!!!".getBytes(), CLOCK));
        assertThat(service.transferPolicy(parse(wire), wire)).isEmpty();
        Message unsigned = Message.newQuery(org.xbill.DNS.Record.newRecord(ZONE, Type.AXFR, DClass.IN));
        assertThat(service.transferPolicy(unsigned, unsigned.toWire())).isEmpty();
        assertThat(outcomes).isEmpty(); // transfers are not updates
    }

    @Test
    void aSignedSoaQueryBelowTheApexFindsTheClosestEnclosingPolicy() throws Exception {
        // nsupdate without a `zone` line asks `<first name> SOA`, signed, to find the zone.
        TSIG key = UpdateTesting.key(TSIG.HMAC_SHA256, "acme.");
        UpdatePolicy parent = acmePolicy(key, "acme.");
        UpdatePolicy child = UpdateTesting.policy(
                "child",
                key,
                "acme.",
                name("sub.example.test."),
                UpdateTesting.grant(Grant.Match.SUBDOMAIN, "sub.example.test.", Type.TXT));
        UpdateService service = service(parent, child);
        record Row(String qname, int type, String policy) {}
        for (Row row : List.of(
                new Row("_acme-challenge.example.test.", Type.SOA, "acme"),
                new Row("a.b.example.test.", Type.SOA, "acme"),
                new Row("example.test.", Type.SOA, "acme"),
                new Row("x.sub.example.test.", Type.SOA, "child"),
                new Row("sub.example.test.", Type.SOA, "child"),
                new Row("sub.example.test.", Type.AXFR, "child"),
                new Row("_acme-challenge.example.test.", Type.AXFR, null),
                new Row("_acme-challenge.example.test.", Type.IXFR, null),
                new Row("x.other.test.", Type.SOA, null),
                new Row("test.", Type.SOA, null))) {
            Message q = Message.newQuery(org.xbill.DNS.Record.newRecord(name(row.qname()), row.type(), DClass.IN));
            byte[] wire = signed(q, key);
            assertThat(service.transferPolicy(parse(wire), wire).map(UpdatePolicy::name))
                    .as("%s %s", row.qname(), Type.string(row.type()))
                    .isEqualTo(java.util.Optional.ofNullable(row.policy()));
        }
        Message unsigned = Message.newQuery(
                org.xbill.DNS.Record.newRecord(name("_acme-challenge.example.test."), Type.SOA, DClass.IN));
        assertThat(service.transferPolicy(unsigned, unsigned.toWire())).isEmpty();
    }

    static org.xbill.DNS.Record txt(Name owner, String value) {
        return new org.xbill.DNS.TXTRecord(owner, DClass.IN, 60, value);
    }
}
