package dev.zonekeeper.dns.update;

import dev.zonekeeper.dns.record.RecordSpecs;
import dev.zonekeeper.dns.zone.Zone;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * Evaluates a checked {@link UpdateRequest} on a zone, purely: the prerequisites (RFC 2136 3.2), then the update
 * section applied in order (3.4.2) to a working copy of the RRsets it touches, each operation checked against the
 * policy's grants. The result is a failure with its {@link UpdateResult}, or the {@link ChangeSet} of the RRsets whose
 * content changed, every one of them valid as a DnsRecord.
 *
 * <p>Bounds, so that one signed request cannot make the store write without limit: an update changes at most
 * {@value #MAX_CHANGED_RRSETS} RRsets (ExternalDNS sends 50 changes per update by default, about two RRsets each), and
 * it cannot grow an RRset beyond {@value #MAX_RRSET_RECORDS} records. Beyond either the request is refused as
 * {@link UpdateResult#MALFORMED} ("over the size bound", FORMERR), before anything is validated or written.
 */
final class UpdateEvaluator {
    static final int MAX_CHANGED_RRSETS = 256;
    static final int MAX_RRSET_RECORDS = 1000;

    private UpdateEvaluator() {}

    /** A failure or a change set. */
    sealed interface Result permits Failed, Changes {}

    record Failed(UpdateResult result, String detail) implements Result {}

    record Changes(ChangeSet changes) implements Result {}

    static Result evaluate(Zone zone, UpdatePolicy policy, UpdateRequest request) {
        Failed failed = prerequisites(zone, request.prerequisites());
        if (failed != null) {
            return failed;
        }
        Working work = new Working(zone);
        for (org.xbill.DNS.Record r : request.updates()) {
            failed = work.apply(policy, r);
            if (failed != null) {
                return failed;
            }
        }
        return work.changes();
    }

    /** RFC 2136 3.2.5: the first failing prerequisite, or null when all hold. */
    static Failed prerequisites(Zone zone, List<org.xbill.DNS.Record> prereqs) {
        // value-dependent prerequisites are compared as whole RRsets once the others have held
        Map<Name, Map<Integer, Set<org.xbill.DNS.Record>>> expected = new LinkedHashMap<>();
        for (org.xbill.DNS.Record r : prereqs) {
            Name name = r.getName();
            int type = r.getType();
            switch (r.getDClass()) {
                case DClass.ANY -> {
                    if (type == Type.ANY) {
                        if (!zone.hasData(name)) {
                            return new Failed(
                                    UpdateResult.PREREQ_NXDOMAIN, "prerequisite failed: " + name + " is not in use");
                        }
                    } else if (zone.rrset(name, type).isEmpty()) {
                        return new Failed(
                                UpdateResult.PREREQ_NXRRSET,
                                "prerequisite failed: no " + Type.string(type) + " RRset at " + name);
                    }
                }
                case DClass.NONE -> {
                    if (type == Type.ANY) {
                        if (zone.hasData(name)) {
                            return new Failed(
                                    UpdateResult.PREREQ_YXDOMAIN, "prerequisite failed: " + name + " is in use");
                        }
                    } else if (!zone.rrset(name, type).isEmpty()) {
                        return new Failed(
                                UpdateResult.PREREQ_YXRRSET,
                                "prerequisite failed: a " + Type.string(type) + " RRset exists at " + name);
                    }
                }
                default ->
                    expected.computeIfAbsent(name, n -> new LinkedHashMap<>())
                            .computeIfAbsent(type, t -> new HashSet<>())
                            .add(r);
            }
        }
        for (Map.Entry<Name, Map<Integer, Set<org.xbill.DNS.Record>>> byName : expected.entrySet()) {
            for (Map.Entry<Integer, Set<org.xbill.DNS.Record>> set :
                    byName.getValue().entrySet()) {
                // Record equality is name, type, class and RDATA, not TTL: what "RRset exists (value dependent)" asks
                if (!new HashSet<>(zone.rrset(byName.getKey(), set.getKey())).equals(set.getValue())) {
                    return new Failed(
                            UpdateResult.PREREQ_NXRRSET,
                            "prerequisite failed: the " + Type.string(set.getKey()) + " RRset at " + byName.getKey()
                                    + " is not the one given");
                }
            }
        }
        return null;
    }

    /** The touched names' RRsets as the update section has left them so far. */
    private static final class Working {
        private final Zone zone;
        /** Name -> type -> RRset now; a name is loaded whole from the zone when first touched. */
        private final Map<Name, Map<Integer, Set<org.xbill.DNS.Record>>> names = new LinkedHashMap<>();
        /** Name -> type -> TTL the RRset gets (that of the last record added to it). */
        private final Map<Name, Map<Integer, Long>> ttls = new LinkedHashMap<>();
        /** The RRsets touched, in the order first touched. */
        private final Map<Name, Set<Integer>> touched = new LinkedHashMap<>();

        Working(Zone zone) {
            this.zone = zone;
        }

        private Map<Integer, Set<org.xbill.DNS.Record>> at(Name name) {
            return names.computeIfAbsent(name, n -> {
                Map<Integer, Set<org.xbill.DNS.Record>> sets = new LinkedHashMap<>();
                zone.rrsets(n).forEach((type, set) -> sets.put(type, new LinkedHashSet<>(set)));
                return sets;
            });
        }

        private void touch(Name name, int type) {
            touched.computeIfAbsent(name, n -> new LinkedHashSet<>()).add(type);
        }

        Failed apply(UpdatePolicy policy, org.xbill.DNS.Record r) {
            Name name = r.getName().canonicalize();
            int type = r.getType();
            Map<Integer, Set<org.xbill.DNS.Record>> sets = at(name);
            switch (r.getDClass()) {
                case DClass.ANY -> {
                    if (type != Type.ANY) {
                        if (!policy.allows(name, type)) {
                            return outside(policy, name, type);
                        }
                        touch(name, type);
                        sets.remove(type);
                        return null;
                    }
                    // delete every RRset at the name, but never the apex SOA and NS (RFC 2136 3.4.2.3)
                    boolean apex = name.equals(zone.origin());
                    List<Integer> types = new ArrayList<>();
                    for (int t : sets.keySet()) {
                        if (!(apex && (t == Type.SOA || t == Type.NS))) {
                            types.add(t);
                        }
                    }
                    for (int t : types) {
                        if (!policy.allows(name, t)) {
                            return outside(policy, name, t);
                        }
                    }
                    if (types.isEmpty() && !grantsName(policy, name)) {
                        return outside(policy, name, Type.ANY);
                    }
                    for (int t : types) {
                        touch(name, t);
                        sets.remove(t);
                    }
                    return null;
                }
                case DClass.NONE -> {
                    if (!policy.allows(name, type)) {
                        return outside(policy, name, type);
                    }
                    touch(name, type);
                    Set<org.xbill.DNS.Record> set = sets.get(type);
                    if (set != null) {
                        set.remove(RecordValues.rebuild(r, name, 0));
                        if (set.isEmpty()) {
                            sets.remove(type);
                        }
                    }
                    return null;
                }
                default -> {
                    if (!policy.allows(name, type)) {
                        return outside(policy, name, type);
                    }
                    boolean cname = type == Type.CNAME;
                    boolean others = sets.keySet().stream().anyMatch(t -> t != Type.CNAME);
                    // RFC 2136 3.4.2.2: a CNAME is not added beside other data, nor other data beside a CNAME
                    if (cname ? others : sets.containsKey(Type.CNAME)) {
                        return null;
                    }
                    touch(name, type);
                    org.xbill.DNS.Record rec = RecordValues.rebuild(r, name, r.getTTL());
                    Set<org.xbill.DNS.Record> set = cname ? null : sets.get(type);
                    if (set == null) {
                        set = new LinkedHashSet<>();
                        sets.put(type, set);
                    }
                    if (cname) {
                        set.clear(); // one CNAME per name: a new one replaces it
                    }
                    set.remove(rec); // an equal record is replaced (its TTL may differ)
                    set.add(rec);
                    ttls.computeIfAbsent(name, n -> new LinkedHashMap<>()).put(type, r.getTTL());
                    return null;
                }
            }
        }

        /** True when some grant of {@code policy} covers {@code name} for some type. */
        private static boolean grantsName(UpdatePolicy policy, Name name) {
            for (String t : RecordSpecs.SUPPORTED_TYPES) {
                if (policy.allows(name, Type.value(t))) {
                    return true;
                }
            }
            return false;
        }

        private static Failed outside(UpdatePolicy policy, Name name, int type) {
            return new Failed(
                    UpdateResult.OUTSIDE_GRANT,
                    "key " + policy.keyName() + " may not change "
                            + (type == Type.ANY ? "the records" : Type.string(type) + " records") + " at " + name
                            + " (policy " + policy.name() + ")");
        }

        Result changes() {
            List<ChangeSet.RRsetChange> changes = new ArrayList<>();
            for (Map.Entry<Name, Set<Integer>> byName : touched.entrySet()) {
                Name name = byName.getKey();
                for (int type : byName.getValue()) {
                    Set<org.xbill.DNS.Record> before = zone.rrset(name, type);
                    Set<org.xbill.DNS.Record> now = names.get(name).getOrDefault(type, Set.of());
                    Long added = ttls.getOrDefault(name, Map.of()).get(type);
                    long ttl = added != null
                            ? added
                            : before.isEmpty() ? 0 : before.iterator().next().getTTL();
                    List<org.xbill.DNS.Record> after = new ArrayList<>(now.size());
                    for (org.xbill.DNS.Record r : now) {
                        after.add(
                                r.getTTL() == ttl && r.getName().equals(name) ? r : RecordValues.rebuild(r, name, ttl));
                    }
                    if (same(before, after)) {
                        continue;
                    }
                    if (after.size() > MAX_RRSET_RECORDS && after.size() > before.size()) {
                        return new Failed(
                                UpdateResult.MALFORMED,
                                "the update would grow the " + Type.string(type) + " RRset at " + name + " to "
                                        + after.size() + " records, more than the " + MAX_RRSET_RECORDS + " allowed");
                    }
                    if (changes.size() == MAX_CHANGED_RRSETS) {
                        return new Failed(
                                UpdateResult.MALFORMED,
                                "the update changes more than the " + MAX_CHANGED_RRSETS
                                        + " RRsets one update may change; send it in several");
                    }
                    if (!after.isEmpty()) {
                        Optional<String> problem = RecordValues.problem(name, type, ttl, after)
                                .or(() -> RecordSpecs.zoneProblem(name, type, List.of(zone.origin())));
                        if (problem.isPresent()) {
                            return new Failed(UpdateResult.UNSUPPORTED, problem.get());
                        }
                    }
                    changes.add(new ChangeSet.RRsetChange(name, type, ttl, List.copyOf(before), after));
                }
            }
            return new Changes(new ChangeSet(zone.origin(), changes));
        }

        /** Same records with the same TTLs (Record equality ignores the TTL); linear, RRsets may be large. */
        private static boolean same(Set<org.xbill.DNS.Record> before, List<org.xbill.DNS.Record> after) {
            if (before.size() != after.size()) {
                return false;
            }
            Map<org.xbill.DNS.Record, Long> ttls = new java.util.HashMap<>();
            for (org.xbill.DNS.Record b : before) {
                ttls.put(b, b.getTTL());
            }
            for (org.xbill.DNS.Record a : after) {
                Long ttl = ttls.get(a);
                if (ttl == null || ttl != a.getTTL()) {
                    return false;
                }
            }
            return true;
        }
    }
}
