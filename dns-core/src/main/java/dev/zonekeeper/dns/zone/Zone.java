package dev.zonekeeper.dns.zone;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * An immutable authoritative zone: its origin, SOA and RRsets by owner name.
 *
 * <p>Names are matched case-insensitively (dnsjava {@link Name} equality and hash ignore letter case); records keep
 * the case they were given in. The zone is a persistent tree (a {@link ChampMap} hash trie of names, each name's
 * RRsets in a small immutable {@link Node} of {@link RRset}s, copied on a change): {@link #apply}
 * returns a new Zone that shares all untouched structure with this one, so an update costs the size of the change
 * (times the depth of the changed names), not the size of the zone, and readers of the old Zone are never disturbed.
 *
 * <p>Besides the nodes holding data, the zone counts for every name how many descendant names hold data. A name
 * with no data but a positive count is an <em>empty non-terminal</em> (RFC 4592 section 2.2.2): it exists, so a
 * query for it gets NODATA, not NXDOMAIN, and it blocks wildcard synthesis. The counts are kept right under
 * {@link #apply}.
 */
public final class Zone {
    private final Name origin;
    private final int dclass;
    private final SOARecord soa;
    private final SOARecord negativeSoa;
    /** Owner name -> (type -> RRset). Only names with data; never an empty inner map or set. */
    private final ChampMap<Name, Node> nodes;
    /** Name -> number of strict descendants holding data (names with count 0 are absent). */
    private final ChampMap<Name, Integer> descendants;
    /** Number of names below the apex holding an NS RRset (zone cuts). */
    private final int cuts;

    private final int recordCount;

    private Zone(
            Name origin,
            int dclass,
            SOARecord soa,
            ChampMap<Name, Node> nodes,
            ChampMap<Name, Integer> descendants,
            int cuts,
            int recordCount) {
        this.origin = origin;
        this.dclass = dclass;
        this.soa = soa;
        this.negativeSoa = negativeSoa(soa);
        this.nodes = nodes;
        this.descendants = descendants;
        this.cuts = cuts;
        this.recordCount = recordCount;
    }

    /** A zone from its records; the SOA must be among them, at the origin. Throws IllegalArgumentException otherwise. */
    public static Zone of(Name origin, Collection<org.xbill.DNS.Record> records) {
        Objects.requireNonNull(origin, "origin");
        if (!origin.isAbsolute()) {
            throw new IllegalArgumentException("zone origin must be absolute: " + origin);
        }
        SOARecord soa = null;
        for (org.xbill.DNS.Record r : records) {
            if (r.getType() == Type.SOA) {
                if (!r.getName().equals(origin)) {
                    throw new IllegalArgumentException("SOA record not at the zone origin " + origin + ": " + r);
                }
                if (soa != null && !soa.equals(r)) {
                    throw new IllegalArgumentException(
                            "zone " + origin + " has more than one SOA record: " + soa + " and " + r);
                }
                soa = (SOARecord) r;
            }
        }
        if (soa == null) {
            throw new IllegalArgumentException("zone " + origin + " has no SOA record at its origin");
        }
        Editor e = new Editor(origin, soa.getDClass(), ChampMap.empty(), ChampMap.empty(), 0, 0);
        for (org.xbill.DNS.Record r : records) {
            e.add(r);
        }
        return e.build();
    }

    /**
     * A zone parsed from zone-file text (RFC 1035 master format, as read by dnsjava {@link Master}); relative names
     * are relative to {@code origin}. Throws IllegalArgumentException on a syntax error or an invalid zone.
     */
    public static Zone parse(Name origin, String zoneFileText) {
        List<org.xbill.DNS.Record> records = new ArrayList<>();
        try (Master master =
                new Master(new ByteArrayInputStream(zoneFileText.getBytes(StandardCharsets.UTF_8)), origin, 3600)) {
            master.disableIncludes();
            org.xbill.DNS.Record r;
            while ((r = master.nextRecord()) != null) {
                records.add(r);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot parse zone " + origin + ": " + e.getMessage(), e);
        }
        return of(origin, records);
    }

    /**
     * A new zone with {@code removed} taken away and {@code added} put in (a new SOA among {@code added} replaces the
     * old). Removals are applied first. Removing a record that is not in the zone is a no-op; adding a record that is
     * already there (same owner, type and rdata) replaces it, so a TTL change is an add. Records outside the origin,
     * of another class, or an SOA anywhere but the apex are rejected with IllegalArgumentException, as is removing the
     * SOA without adding a new one. This zone is never modified.
     */
    public Zone apply(Collection<org.xbill.DNS.Record> removed, Collection<org.xbill.DNS.Record> added) {
        Editor e = new Editor(origin, dclass, nodes, descendants, cuts, recordCount);
        for (org.xbill.DNS.Record r : removed) {
            e.remove(r);
        }
        for (org.xbill.DNS.Record r : added) {
            e.add(r);
        }
        return e.build();
    }

    public Name origin() {
        return origin;
    }

    /** The class of the zone (that of its SOA), normally {@link org.xbill.DNS.DClass#IN}. */
    public int dclass() {
        return dclass;
    }

    public SOARecord soa() {
        return soa;
    }

    /**
     * The SOA as it goes into the authority section of a negative answer: its TTL is min(SOA TTL, SOA MINIMUM)
     * (RFC 2308 section 3).
     */
    public SOARecord negativeSoa() {
        return negativeSoa;
    }

    public long serial() {
        return soa().getSerial();
    }

    public int recordCount() {
        return recordCount;
    }

    /** Every record, SOA first (the order of an AXFR body). */
    public List<org.xbill.DNS.Record> records() {
        List<org.xbill.DNS.Record> out = new ArrayList<>(recordCount);
        out.add(soa);
        nodes.forEach((name, node) -> {
            boolean apex = name.equals(origin);
            for (Map.Entry<Integer, RRset> set : node.entrySet()) {
                if (!(apex && set.getKey() == Type.SOA)) {
                    out.addAll(set.getValue());
                }
            }
        });
        return out;
    }

    /** The RRset of {@code type} owned by {@code name} (exact match, no wildcard), or an empty set. */
    public Set<org.xbill.DNS.Record> rrset(Name name, int type) {
        Node node = nodes.get(name);
        if (node == null) {
            return Collections.emptySet();
        }
        RRset set = node.get(type);
        return set == null ? Collections.emptySet() : set;
    }

    /** All RRsets owned by {@code name} by type (exact match, no wildcard); empty when the name holds no data. */
    public Map<Integer, ? extends Set<org.xbill.DNS.Record>> rrsets(Name name) {
        Node node = nodes.get(name);
        return node == null ? Collections.emptyMap() : node;
    }

    /** Whether {@code name} owns at least one record. */
    public boolean hasData(Name name) {
        return nodes.containsKey(name);
    }

    /** Whether {@code name} exists in the zone: it owns records or is an empty non-terminal. */
    public boolean exists(Name name) {
        return nodes.containsKey(name) || descendants.containsKey(name);
    }

    /** Whether {@code name} exists only because names below it hold data (RFC 4592 empty non-terminal). */
    public boolean isEmptyNonTerminal(Name name) {
        return !nodes.containsKey(name) && descendants.containsKey(name);
    }

    /**
     * The topmost zone cut at or above {@code name}: the highest name below the apex, on the path from the apex to
     * {@code name}, that owns an NS RRset; null when {@code name} is not at or below a delegation. Data at or below
     * the cut (other than the cut's NS and glue for it) is not authoritative.
     */
    public Name delegation(Name name) {
        if (cuts == 0 || !name.subdomain(origin)) {
            return null;
        }
        int depth = name.labels() - origin.labels();
        for (int strip = depth - 1; strip >= 0; strip--) {
            Name n = strip == 0 ? name : new Name(name, strip);
            Node node = nodes.get(n);
            if (node != null && node.has(Type.NS)) {
                return n;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "Zone[" + origin + " serial " + serial() + ", " + recordCount + " records]";
    }

    private static SOARecord negativeSoa(SOARecord soa) {
        long ttl = Math.min(soa.getTTL(), soa.getMinimum());
        if (ttl == soa.getTTL()) {
            return soa;
        }
        return new SOARecord(
                soa.getName(),
                soa.getDClass(),
                ttl,
                soa.getHost(),
                soa.getAdmin(),
                soa.getSerial(),
                soa.getRefresh(),
                soa.getRetry(),
                soa.getExpire(),
                soa.getMinimum());
    }

    /** Applies single-record changes to the persistent maps; each step costs O(depth of the name * log n). */
    private static final class Editor {
        private final Name origin;
        private final int dclass;
        private ChampMap<Name, Node> nodes;
        private ChampMap<Name, Integer> descendants;
        private int cuts;
        private int count;

        Editor(
                Name origin,
                int dclass,
                ChampMap<Name, Node> nodes,
                ChampMap<Name, Integer> descendants,
                int cuts,
                int count) {
            this.origin = origin;
            this.dclass = dclass;
            this.nodes = nodes;
            this.descendants = descendants;
            this.cuts = cuts;
            this.count = count;
        }

        void add(org.xbill.DNS.Record r) {
            check(r);
            Name name = r.getName();
            Node node = nodes.get(name);
            RRset set = node == null ? null : node.get(r.getType());
            if (set == null) {
                if (r.getType() == Type.NS && !name.equals(origin)) {
                    cuts++;
                }
                set = RRset.of(r);
                count++;
            } else if (r.getType() == Type.SOA) {
                count -= set.size() - 1; // one SOA per zone: a new one replaces the old
                set = RRset.of(r);
            } else {
                int before = set.size();
                set = set.plus(r); // same rdata: replaced, so the new TTL is kept
                count += set.size() - before;
            }
            nodes = nodes.plus(name, node == null ? Node.of(set) : node.with(set));
            if (node == null) {
                countAncestors(name, 1);
            }
        }

        void remove(org.xbill.DNS.Record r) {
            check(r);
            Name name = r.getName();
            Node node = nodes.get(name);
            if (node == null) {
                return;
            }
            RRset set = node.get(r.getType());
            RRset rest = set == null ? set : set.minus(r);
            if (rest == set) { // not in the zone (minus returns the same set when the record is not in it)
                return;
            }
            count--;
            if (rest == null) {
                node = node.without(r.getType());
                if (r.getType() == Type.NS && !name.equals(origin)) {
                    cuts--;
                }
            } else {
                node = node.with(rest);
            }
            if (node == null) {
                nodes = nodes.minus(name);
                countAncestors(name, -1);
            } else {
                nodes = nodes.plus(name, node);
            }
        }

        private void check(org.xbill.DNS.Record r) {
            Objects.requireNonNull(r, "record");
            if (!r.getName().subdomain(origin)) {
                throw new IllegalArgumentException("record outside zone " + origin + ": " + r);
            }
            if (r.getDClass() != dclass) {
                throw new IllegalArgumentException("record of another class than zone " + origin + ": " + r);
            }
            if (r.getType() == Type.SOA && !r.getName().equals(origin)) {
                throw new IllegalArgumentException("SOA record not at the zone origin " + origin + ": " + r);
            }
        }

        /** Adds {@code delta} to the descendant count of every strict ancestor of {@code name} down to the origin. */
        private void countAncestors(Name name, int delta) {
            int depth = name.labels() - origin.labels();
            for (int strip = 1; strip <= depth; strip++) {
                Name ancestor = new Name(name, strip);
                Integer old = descendants.get(ancestor);
                int now = (old == null ? 0 : old) + delta;
                descendants = now == 0 ? descendants.minus(ancestor) : descendants.plus(ancestor, now);
            }
        }

        Zone build() {
            Node apex = nodes.get(origin);
            RRset soaSet = apex == null ? null : apex.get(Type.SOA);
            if (soaSet == null || soaSet.isEmpty()) {
                throw new IllegalArgumentException("zone " + origin + " would have no SOA record");
            }
            SOARecord soa = (SOARecord) soaSet.iterator().next();
            return new Zone(origin, dclass, soa, nodes, descendants, cuts, count);
        }
    }
}
