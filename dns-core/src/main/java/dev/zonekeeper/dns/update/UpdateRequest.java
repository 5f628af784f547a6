package dev.zonekeeper.dns.update;

import java.util.List;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The sections of an UPDATE, checked as far as they can be without looking at the zone: the zone section (RFC 2136
 * 3.1.1), the form of the prerequisites (3.2.5) and the update prescan (3.4.1.3) answer FORMERR or NOTZONE; then what
 * this server refuses to write (REFUSED): the SOA, the apex NS, and types a DnsRecord cannot hold.
 *
 * <p>dnsjava reads an RR of the prerequisite or update section with RDLENGTH 0 as an empty record (no RDATA), which
 * is how "rdlength == 0" is told apart here.
 */
record UpdateRequest(Name zone, List<org.xbill.DNS.Record> prerequisites, List<org.xbill.DNS.Record> updates) {

    /** The zone of the zone section: exactly one record, type SOA, class IN (RFC 2136 3.1.1). */
    static Name zoneOf(Message m) throws Rejected {
        List<org.xbill.DNS.Record> zones = m.getSection(Section.ZONE);
        if (zones.size() != 1) {
            throw new Rejected(
                    UpdateResult.MALFORMED, "the zone section must hold exactly one record, it holds " + zones.size());
        }
        org.xbill.DNS.Record z = zones.get(0);
        if (z.getType() != Type.SOA || z.getDClass() != DClass.IN) {
            throw new Rejected(
                    UpdateResult.MALFORMED,
                    "the zone section must name the zone with type SOA, class IN, not " + Type.string(z.getType()) + " "
                            + DClass.string(z.getDClass()));
        }
        return z.getName().canonicalize();
    }

    /** The request with its sections checked (see the class description); the zone section is read first. */
    static UpdateRequest read(Message m, Name zone) throws Rejected {
        List<org.xbill.DNS.Record> prereqs = m.getSection(Section.PREREQ);
        List<org.xbill.DNS.Record> updates = m.getSection(Section.UPDATE);
        for (org.xbill.DNS.Record r : prereqs) {
            checkPrerequisite(zone, r);
        }
        for (org.xbill.DNS.Record r : updates) {
            checkUpdateForm(zone, r);
        }
        for (org.xbill.DNS.Record r : updates) {
            checkWritable(zone, r);
        }
        return new UpdateRequest(zone, prereqs, updates);
    }

    private static void checkPrerequisite(Name zone, org.xbill.DNS.Record r) throws Rejected {
        if (r.getTTL() != 0) {
            throw formErr("prerequisite " + describe(r) + " has TTL " + r.getTTL() + ", must be 0");
        }
        notZone(zone, r);
        int type = r.getType();
        switch (r.getDClass()) {
            case DClass.ANY, DClass.NONE -> {
                if (hasRdata(r)) {
                    throw formErr("prerequisite " + describe(r) + " of class " + DClass.string(r.getDClass())
                            + " must have no data");
                }
                if (type != Type.ANY && !Type.isRR(type)) {
                    throw formErr("prerequisite " + describe(r) + " has a meta type");
                }
            }
            case DClass.IN -> {
                if (!Type.isRR(type)) {
                    throw formErr("prerequisite " + describe(r) + " has a meta type");
                }
            }
            default -> throw formErr("prerequisite " + describe(r) + " has class " + DClass.string(r.getDClass()));
        }
    }

    private static void checkUpdateForm(Name zone, org.xbill.DNS.Record r) throws Rejected {
        notZone(zone, r);
        int type = r.getType();
        switch (r.getDClass()) {
            case DClass.IN -> {
                if (!Type.isRR(type)) {
                    throw formErr("update " + describe(r) + " adds a meta type");
                }
                if (!hasRdata(r)) {
                    throw formErr("update " + describe(r) + " adds a record without data");
                }
            }
            case DClass.ANY -> {
                if (r.getTTL() != 0 || hasRdata(r)) {
                    throw formErr("update " + describe(r) + " deletes an RRset, so its TTL must be 0 and it must"
                            + " have no data");
                }
                if (type != Type.ANY && !Type.isRR(type)) {
                    throw formErr("update " + describe(r) + " has a meta type");
                }
            }
            case DClass.NONE -> {
                if (r.getTTL() != 0) {
                    throw formErr("update " + describe(r) + " deletes a record, so its TTL must be 0");
                }
                if (!Type.isRR(type) || !hasRdata(r)) {
                    throw formErr("update " + describe(r) + " deletes a record, so it needs a type and data");
                }
            }
            default -> throw formErr("update " + describe(r) + " has class " + DClass.string(r.getDClass()));
        }
    }

    private static void checkWritable(Name zone, org.xbill.DNS.Record r) throws Rejected {
        int type = r.getType();
        if (type == Type.SOA) {
            throw new Rejected(
                    UpdateResult.GENERATED_NAME,
                    "update " + describe(r) + " changes the SOA, which the server maintains itself");
        }
        if (type == Type.NS && r.getName().equals(zone)) {
            throw new Rejected(
                    UpdateResult.GENERATED_NAME,
                    "update " + describe(r) + " changes the NS records of the zone apex, which the server maintains"
                            + " itself");
        }
        if (type != Type.ANY && !RecordValues.writable(type)) {
            throw new Rejected(
                    UpdateResult.UNSUPPORTED,
                    "update " + describe(r) + ": type " + Type.string(type) + " cannot be held by a DnsRecord ("
                            + String.join(", ", dev.zonekeeper.dns.record.RecordSpecs.SUPPORTED_TYPES) + ")");
        }
    }

    private static void notZone(Name zone, org.xbill.DNS.Record r) throws Rejected {
        if (!r.getName().subdomain(zone)) {
            throw new Rejected(UpdateResult.NOT_ZONE, r.getName() + " is outside the zone " + zone);
        }
    }

    static boolean hasRdata(org.xbill.DNS.Record r) {
        return r.rdataToWireCanonical().length > 0;
    }

    static String describe(org.xbill.DNS.Record r) {
        return r.getName() + " " + DClass.string(r.getDClass()) + " " + Type.string(r.getType());
    }

    private static Rejected formErr(String detail) {
        return new Rejected(UpdateResult.MALFORMED, detail);
    }
}
