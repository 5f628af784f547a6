package dev.zonekeeper.dns.update;

import dev.zonekeeper.dns.record.RecordSpec;
import dev.zonekeeper.dns.record.RecordSpecs;
import dev.zonekeeper.dns.record.SpecResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * The bridge between the records of an update and {@code DnsRecord} specs: which types a DnsRecord can hold, an
 * RRset's records as the {@code values} of a spec (zone-file presentation format; TXT as quoted strings with
 * {@code \"}, {@code \\} and {@code \DDD} escapes, which {@link RecordSpecs} reads back byte for byte), and the check
 * that a changed RRset passes {@link RecordSpecs}, the one validator, so that what an update writes is exactly what
 * the store reads back.
 */
public final class RecordValues {
    private RecordValues() {}

    /** True when a DnsRecord can hold records of {@code type} ({@link RecordSpecs#SUPPORTED_TYPES}). */
    public static boolean writable(int type) {
        return RecordSpecs.SUPPORTED_TYPES.contains(Type.string(type));
    }

    /** One record's RDATA as a DnsRecord value. */
    public static String value(org.xbill.DNS.Record record) {
        if (record instanceof TXTRecord txt) {
            // dnsjava leaves strings without blanks unquoted; RecordSpecs takes an unquoted value literally, so every
            // string is quoted here
            StringBuilder out = new StringBuilder();
            for (byte[] string : txt.getStringsAsByteArrays()) {
                if (!out.isEmpty()) {
                    out.append(' ');
                }
                out.append('"');
                for (byte b : string) {
                    int c = b & 0xFF;
                    if (c == '"' || c == '\\') {
                        out.append('\\').append((char) c);
                    } else if (c >= 0x20 && c < 0x7F) {
                        out.append((char) c);
                    } else {
                        out.append('\\').append(String.format("%03d", c));
                    }
                }
                out.append('"');
            }
            return out.toString();
        }
        return record.rdataToString();
    }

    /** The records' RDATA as DnsRecord values, in their order. */
    public static List<String> values(Collection<? extends org.xbill.DNS.Record> records) {
        List<String> out = new ArrayList<>(records.size());
        for (org.xbill.DNS.Record r : records) {
            out.add(value(r));
        }
        return out;
    }

    /** The DnsRecord spec of an RRset: its owner name (absolute, with the trailing dot), type, TTL and values. */
    public static RecordSpec spec(Name name, int type, long ttl, Collection<? extends org.xbill.DNS.Record> records) {
        return new RecordSpec(name.toString(), Type.string(type), ttl, values(records));
    }

    /**
     * Why the RRset {@code records} ({@code type} at {@code name}, non-empty) cannot be written as a DnsRecord, or
     * empty when it can: the validator's refusal, or (never expected) a value that does not read back as the same
     * record.
     */
    public static Optional<String> problem(
            Name name, int type, long ttl, Collection<? extends org.xbill.DNS.Record> records) {
        if (!writable(type)) {
            return Optional.of("type " + Type.string(type) + " cannot be held by a DnsRecord ("
                    + String.join(", ", RecordSpecs.SUPPORTED_TYPES) + ")");
        }
        SpecResult result = RecordSpecs.validate(spec(name, type, ttl, records));
        if (!result.isValid()) {
            return Optional.of(RecordSpecs.describe(result));
        }
        if (!new HashSet<>(result.records()).equals(new HashSet<>(records))) {
            return Optional.of(
                    "the values of " + Type.string(type) + " at " + name + " do not read back as the records sent");
        }
        return Optional.empty();
    }

    /**
     * {@code record} with {@code owner} as its owner name, class IN and {@code ttl}, its RDATA kept byte for byte
     * (letter case of names inside it included).
     */
    static org.xbill.DNS.Record rebuild(org.xbill.DNS.Record record, Name owner, long ttl) {
        byte[] wire = record.toWire(Section.ANSWER); // uncompressed: owner, type, class, TTL, length, RDATA
        int rdata = record.getName().length() + 10;
        return org.xbill.DNS.Record.newRecord(
                owner, record.getType(), DClass.IN, ttl, Arrays.copyOfRange(wire, rdata, wire.length));
    }
}
