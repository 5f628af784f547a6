package dev.zonekeeper.dns.update;

import dev.zonekeeper.dns.zone.Zone;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.spec.SecretKeySpec;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

/** Fixtures of the update tests: a zone, keys, policies, signed requests the way nsupdate builds them, a store. */
final class UpdateTesting {
    private UpdateTesting() {}

    static final Name ZONE = name("example.test.");
    static final Instant NOW = Instant.parse("2026-12-08T02:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final byte[] SECRET = "a-secret-of-thirty-two-bytes-ok!".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    static Name name(String s) {
        try {
            return Name.fromString(s, Name.root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The zone of most tests: apex SOA and NS, www A, two TXT values at one name, a CNAME. */
    static Zone zone() {
        return Zone.parse(ZONE, """
                $TTL 300
                @ SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60
                @ NS ns1.example.test.
                ns1 A 192.0.2.53
                www A 192.0.2.1
                www A 192.0.2.2
                txt TXT "one"
                txt TXT "two"
                alias CNAME www.example.test.
                deep.below.sub A 192.0.2.9
                """);
    }

    /** A key whose clock is {@code clock} (it stamps what it signs with that time). */
    static TSIG key(Name algorithm, String keyName, byte[] secret, Clock clock) {
        return new TSIG(algorithm, name(keyName), new SecretKeySpec(secret, "HmacSHA256"), clock);
    }

    static TSIG key(Name algorithm, String keyName) {
        return key(algorithm, keyName, SECRET, CLOCK);
    }

    static Grant grant(Grant.Match match, String name, int... types) {
        Set<Integer> t = new java.util.HashSet<>();
        for (int type : types) {
            t.add(type);
        }
        return new Grant(match, name(name), t);
    }

    static UpdatePolicy policy(String name, TSIG key, String keyName, Name zone, Grant... grants) {
        return new UpdatePolicy("certs", name, zone, name(keyName), key, List.of(grants));
    }

    /** A policy of key "acme." (hmac-sha256) on the test zone with every name and type granted. */
    static UpdatePolicy everything() {
        return policy(
                "all", key(TSIG.HMAC_SHA256, "acme."), "acme.", ZONE, grant(Grant.Match.SUBDOMAIN, "example.test."));
    }

    static Update update() {
        return new Update(ZONE);
    }

    /** {@code u} signed with {@code key}, in wire format, as nsupdate sends it. */
    static byte[] signed(Message u, TSIG key) {
        key.apply(u, null);
        return u.toWire();
    }

    static Message parse(byte[] wire) {
        try {
            return new Message(wire);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An in-memory {@link UpdateStore} over dns-core's {@link Zone#apply}; a commit bumps the SOA serial. */
    static final class MemoryStore implements UpdateStore {
        volatile Zone zone;
        final List<ChangeSet> commits = new CopyOnWriteArrayList<>();
        final Map<Name, UpdateStore.Refusal> refusals = new HashMap<>();
        /** Commits to fail with {@link UpdateStore.Conflict} before one succeeds. */
        int conflicts;
        /** When set, every commit fails with it. */
        UpdateStoreException failure;
        /** Run inside a commit before it decides (e.g. another writer changing the zone). */
        Runnable duringCommit = () -> {};

        MemoryStore(Zone zone) {
            this.zone = zone;
        }

        @Override
        public Optional<Zone> current(Name name) {
            return name.equals(zone.origin()) ? Optional.of(zone) : Optional.empty();
        }

        @Override
        public Optional<Refusal> ownership(UpdatePolicy policy, Name name, int type) {
            return Optional.ofNullable(refusals.get(name));
        }

        @Override
        public synchronized void commit(UpdatePolicy policy, ChangeSet changes) throws Conflict, UpdateStoreException {
            duringCommit.run();
            if (failure != null) {
                throw failure;
            }
            if (conflicts > 0) {
                conflicts--;
                throw new Conflict("someone else wrote first");
            }
            zone = applied(zone, changes);
            commits.add(changes);
        }
    }

    static Zone applied(Zone zone, ChangeSet changes) {
        List<org.xbill.DNS.Record> removed = new ArrayList<>();
        List<org.xbill.DNS.Record> added = new ArrayList<>();
        for (ChangeSet.RRsetChange c : changes.changes()) {
            removed.addAll(c.before());
            added.addAll(c.after());
        }
        SOARecord soa = zone.soa();
        added.add(new SOARecord(
                soa.getName(),
                soa.getDClass(),
                soa.getTTL(),
                soa.getHost(),
                soa.getAdmin(),
                soa.getSerial() + 1,
                soa.getRefresh(),
                soa.getRetry(),
                soa.getExpire(),
                soa.getMinimum()));
        return zone.apply(removed, added);
    }

    static int type(String mnemonic) {
        return Type.value(mnemonic);
    }
}
