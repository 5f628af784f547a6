package dev.zonekeeper.dns.transfer;

import dev.zonekeeper.dns.zone.Zone;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.pcollections.PVector;
import org.pcollections.TreePVector;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Serial;
import org.xbill.DNS.Type;

/**
 * An immutable version of a zone as its primary serves it: the {@link Zone} plus a bounded journal of the changes that
 * led to it, from which IXFR (RFC 1995) answers are built. {@link #applyChange} returns a new version with a higher
 * SOA serial; the journal keeps at most {@link Limits#maxDiffs()} changes holding at most
 * {@link Limits#maxRecords()} records in all, dropping the oldest first. A client whose serial is no longer in the
 * journal gets the whole zone instead ({@link #diffsSince} is empty).
 */
public final class JournaledZone {
    /**
     * One change of the zone, as an IXFR sequence carries it: the SOA before, the records removed, the SOA after and
     * the records added. {@code removed} and {@code added} hold no SOA.
     */
    public record Diff(
            SOARecord from, List<org.xbill.DNS.Record> removed, SOARecord to, List<org.xbill.DNS.Record> added) {
        public Diff {
            removed = List.copyOf(removed);
            added = List.copyOf(added);
        }

        /** Records this diff takes in an IXFR answer (both SOAs included). */
        public int size() {
            return removed.size() + added.size() + 2;
        }
    }

    /** Bounds of the journal: how many changes, and how many records over all of them. */
    public record Limits(int maxDiffs, int maxRecords) {
        public static final Limits DEFAULT = new Limits(100, 100_000);

        public Limits {
            if (maxDiffs < 0 || maxRecords < 0) {
                throw new IllegalArgumentException(
                        "journal limits must not be negative: " + maxDiffs + ", " + maxRecords);
            }
        }
    }

    private final Zone zone;
    private final PVector<Diff> journal;
    private final long journalRecords;
    private final Limits limits;

    private JournaledZone(Zone zone, PVector<Diff> journal, long journalRecords, Limits limits) {
        this.zone = zone;
        this.journal = journal;
        this.journalRecords = journalRecords;
        this.limits = limits;
    }

    /** A first version: {@code zone} as it is (its serial kept), with an empty journal. */
    public static JournaledZone of(Zone zone, Limits limits) {
        return new JournaledZone(
                Objects.requireNonNull(zone, "zone"), TreePVector.empty(), 0, Objects.requireNonNull(limits, "limits"));
    }

    public static JournaledZone of(Zone zone) {
        return of(zone, Limits.DEFAULT);
    }

    public Zone zone() {
        return zone;
    }

    public long serial() {
        return zone.serial();
    }

    public Limits limits() {
        return limits;
    }

    /** The changes kept, oldest first. */
    public List<Diff> journal() {
        return journal;
    }

    /**
     * The next serial after {@code serial} at time {@code epochSeconds}: the time itself when that is ahead of
     * {@code serial} in RFC 1982 serial arithmetic (so serials read as dates and survive a restart that starts from
     * the clock), else {@code serial + 1} (mod 2^32).
     */
    public static long nextSerial(long serial, long epochSeconds) {
        long now = epochSeconds & 0xFFFFFFFFL;
        long ahead = (now - serial) & 0xFFFFFFFFL;
        if (ahead != 0 && ahead < 0x80000000L) {
            return now;
        }
        return Serial.increment(serial);
    }

    /** {@link #applyChange(Collection, Collection, Clock)} with the system clock. */
    public JournaledZone applyChange(Collection<org.xbill.DNS.Record> removed, Collection<org.xbill.DNS.Record> added) {
        return applyChange(removed, added, Clock.systemUTC());
    }

    /**
     * A new version with {@code removed} taken out, {@code added} put in and the serial bumped (see
     * {@link #nextSerial}). Removals of absent records and additions of records already present (same TTL) are
     * dropped first; if nothing is left, this version is returned unchanged. {@code removed} must not hold an SOA;
     * an SOA in {@code added} supplies new SOA fields (names, timers), its serial is ignored.
     */
    public JournaledZone applyChange(
            Collection<org.xbill.DNS.Record> removed, Collection<org.xbill.DNS.Record> added, Clock clock) {
        SOARecord soaTemplate = zone.soa();
        Set<RecordKey> addedKeys = new LinkedHashSet<>();
        for (org.xbill.DNS.Record r : added) {
            if (r.getType() == Type.SOA) {
                if (!r.getName().equals(zone.origin())) {
                    throw new IllegalArgumentException("SOA record not at the zone origin " + zone.origin() + ": " + r);
                }
                soaTemplate = (SOARecord) r;
            } else {
                addedKeys.add(new RecordKey(r));
            }
        }
        List<org.xbill.DNS.Record> realRemoved = new ArrayList<>();
        Set<RecordKey> removedKeys = new HashSet<>();
        for (org.xbill.DNS.Record r : removed) {
            if (r.getType() == Type.SOA) {
                throw new IllegalArgumentException("the SOA cannot be removed from zone " + zone.origin());
            }
            org.xbill.DNS.Record present = find(zone, r);
            if (present != null
                    && !addedKeys.contains(new RecordKey(present))
                    && removedKeys.add(new RecordKey(present))) {
                realRemoved.add(present);
            }
        }
        List<org.xbill.DNS.Record> realAdded = new ArrayList<>();
        for (RecordKey k : addedKeys) {
            org.xbill.DNS.Record present = find(zone, k.record());
            boolean stays = present != null
                    && present.getTTL() == k.record().getTTL()
                    && !removedKeys.contains(new RecordKey(present));
            if (!stays) {
                realAdded.add(k.record());
                if (present != null && removedKeys.add(new RecordKey(present))) {
                    realRemoved.add(present); // a TTL change: the old record goes, so IXFR clients see it go
                }
            }
        }
        boolean soaFieldsChanged = !sameSoaFields(soaTemplate, zone.soa());
        if (realRemoved.isEmpty() && realAdded.isEmpty() && !soaFieldsChanged) {
            return this;
        }
        long serial = nextSerial(zone.serial(), clock.instant().getEpochSecond());
        SOARecord newSoa = new SOARecord(
                zone.origin(),
                soaTemplate.getDClass(),
                soaTemplate.getTTL(),
                soaTemplate.getHost(),
                soaTemplate.getAdmin(),
                serial,
                soaTemplate.getRefresh(),
                soaTemplate.getRetry(),
                soaTemplate.getExpire(),
                soaTemplate.getMinimum());
        List<org.xbill.DNS.Record> zoneAdded = new ArrayList<>(realAdded);
        zoneAdded.add(newSoa);
        Zone next = zone.apply(realRemoved, zoneAdded);
        Diff diff = new Diff(zone.soa(), realRemoved, newSoa, realAdded);
        PVector<Diff> j = journal.plus(diff);
        long records = journalRecords + diff.size();
        while (!j.isEmpty() && (j.size() > limits.maxDiffs() || records > limits.maxRecords())) {
            records -= j.get(0).size();
            j = j.minus(0);
        }
        return new JournaledZone(next, j, records, limits);
    }

    /**
     * A new version whose content (everything but the SOA serial) is that of {@code desired}: the difference is
     * computed and applied as by {@link #applyChange}, so the serial goes up and IXFR clients get only the change.
     */
    public JournaledZone replaceContent(Zone desired, Clock clock) {
        if (!desired.origin().equals(zone.origin())) {
            throw new IllegalArgumentException("zone " + desired.origin() + " cannot replace zone " + zone.origin());
        }
        Set<RecordKey> have = keys(zone);
        Set<RecordKey> want = keys(desired);
        List<org.xbill.DNS.Record> removed = new ArrayList<>();
        for (RecordKey k : have) {
            if (!want.contains(k)) {
                removed.add(k.record());
            }
        }
        List<org.xbill.DNS.Record> added = new ArrayList<>();
        added.add(desired.soa());
        for (RecordKey k : want) {
            if (!have.contains(k)) {
                added.add(k.record());
            }
        }
        return applyChange(removed, added, clock);
    }

    public JournaledZone replaceContent(Zone desired) {
        return replaceContent(desired, Clock.systemUTC());
    }

    /**
     * The changes that lead from {@code serial} to this version, oldest first: empty when {@code serial} is the
     * current one, {@link Optional#empty()} when it is unknown or older than the journal (the client needs AXFR).
     */
    public Optional<List<Diff>> diffsSince(long serial) {
        if (serial == zone.serial()) {
            return Optional.of(List.of());
        }
        for (int i = journal.size() - 1; i >= 0; i--) {
            if (journal.get(i).from().getSerial() == serial) {
                return Optional.of(journal.subList(i, journal.size()));
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "JournaledZone[" + zone.origin() + " serial " + zone.serial() + ", " + journal.size() + " diffs]";
    }

    private static org.xbill.DNS.Record find(Zone zone, org.xbill.DNS.Record r) {
        for (org.xbill.DNS.Record candidate : zone.rrset(r.getName(), r.getType())) {
            if (candidate.equals(r)) {
                return candidate;
            }
        }
        return null;
    }

    private static Set<RecordKey> keys(Zone zone) {
        Set<RecordKey> keys = new HashSet<>();
        for (org.xbill.DNS.Record r : zone.records()) {
            if (r.getType() != Type.SOA) {
                keys.add(new RecordKey(r));
            }
        }
        return keys;
    }

    private static boolean sameSoaFields(SOARecord a, SOARecord b) {
        return a.getTTL() == b.getTTL()
                && a.getHost().equals(b.getHost())
                && a.getAdmin().equals(b.getAdmin())
                && a.getRefresh() == b.getRefresh()
                && a.getRetry() == b.getRetry()
                && a.getExpire() == b.getExpire()
                && a.getMinimum() == b.getMinimum();
    }

    /** A record compared by owner, type, class, rdata (dnsjava's equality) and TTL. */
    private record RecordKey(org.xbill.DNS.Record record) {
        @Override
        public boolean equals(Object o) {
            return o instanceof RecordKey
                    && ((RecordKey) o).record.equals(record)
                    && ((RecordKey) o).record.getTTL() == record.getTTL();
        }

        @Override
        public int hashCode() {
            return record.hashCode() * 31 + Long.hashCode(record.getTTL());
        }
    }
}
