package dev.zonekeeper.dns.record;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Tokenizer;
import org.xbill.DNS.Type;

/**
 * Validation of {@code DnsRecord} specs into dnsjava records: pure functions, no I/O, shared by standalone mode and
 * the operator. Every refusal is a sentence a user can act on, naming the field ({@code name}, {@code type},
 * {@code ttl}, {@code values[i]}) it is about.
 *
 * <p>Rules:
 * <ul>
 *   <li>{@code name} is absolute whether or not it ends with a dot. Labels hold letters, digits, {@code -} and
 *       {@code _} only (internationalised names in their {@code xn--} form); a wildcard is {@code *} as the whole
 *       first label.</li>
 *   <li>{@code type} is one of {@link #SUPPORTED_TYPES}, upper case.</li>
 *   <li>{@code ttl} is 0-{@value #MAX_TTL} seconds, {@value #DEFAULT_TTL} when absent.</li>
 *   <li>Each value is the record's RDATA in zone-file presentation format, parsed by dnsjava. <b>Domain names inside
 *       RDATA are absolute whether or not they end with a dot</b> (there is no {@code $ORIGIN} in a manifest, just as
 *       there is none for {@code name}): {@code 10 mail.example.test} is the same as {@code 10 mail.example.test.},
 *       and {@code 10 mail} means the top-level name {@code mail.}.</li>
 *   <li>TXT: a value whose first non-blank character is {@code "} is one or more quoted strings in presentation
 *       format ({@code "v=spf1 -all"}, {@code "part one" "part two"}, with {@code \"} and {@code \DDD} escapes), each
 *       at most 255 bytes. Any other value is taken literally as one text, without escape processing, and split into
 *       255-byte strings when it is longer (never inside a UTF-8 character).</li>
 *   <li>{@code ;}, {@code (} and {@code )} outside quotes are refused rather than silently read as a zone-file
 *       comment or line continuation, as are line breaks outside quotes.</li>
 *   <li>CNAME has exactly one value; NS is not allowed at a wildcard name; the values of one spec are distinct.</li>
 * </ul>
 */
public final class RecordSpecs {

    public static final long DEFAULT_TTL = 30;
    public static final long MAX_TTL = 86_400;
    /** Record types a spec may have, in the order they are listed in messages. */
    public static final List<String> SUPPORTED_TYPES =
            List.of("A", "AAAA", "CNAME", "MX", "TXT", "SRV", "NS", "PTR", "CAA");

    private static final int MAX_TXT_STRING = 255;
    private static final int MAX_RDATA = 65_535;
    private static final int MAX_LABEL = 63;
    private static final int QUOTE_LIMIT = 80;
    private static final String SUPPORTED_LIST = String.join(", ", SUPPORTED_TYPES);
    private static final Map<String, String> FORMATS = Map.of(
            "CNAME", "<target name>",
            "MX", "<preference> <mail exchange>",
            "SRV", "<priority> <weight> <port> <target>",
            "NS", "<name server>",
            "PTR", "<target name>",
            "CAA", "<flags> <tag> \"<value>\"",
            "TXT", "one or more \"quoted strings\"");

    private RecordSpecs() {}

    /** Validates one spec; collects every problem found rather than stopping at the first. */
    public static SpecResult validate(RecordSpec spec) {
        List<String> errors = new ArrayList<>();

        Name owner = null;
        if (spec.name() == null || spec.name().isBlank()) {
            errors.add("name is required");
        } else {
            owner = parseOwner(spec.name(), errors);
        }

        String typeName = spec.type();
        boolean typeOk = false;
        if (typeName == null || typeName.isBlank()) {
            errors.add("type is required (" + SUPPORTED_LIST + ")");
        } else if (!SUPPORTED_TYPES.contains(typeName)) {
            errors.add("type " + typeName + " is not supported (" + SUPPORTED_LIST + ")");
        } else {
            typeOk = true;
        }

        long ttl = spec.ttl() == null ? DEFAULT_TTL : spec.ttl();
        if (ttl < 0 || ttl > MAX_TTL) {
            errors.add("ttl " + ttl + " is outside 0-" + MAX_TTL);
        }

        List<String> values = spec.values();
        if (values == null || values.isEmpty()) {
            errors.add("values must contain at least one value");
            return SpecResult.invalid(errors);
        }
        if (!typeOk) {
            return SpecResult.invalid(errors);
        }
        int type = Type.value(typeName);
        if (type == Type.CNAME && values.size() != 1) {
            errors.add("CNAME must have exactly one value, got " + values.size());
        }
        if (type == Type.NS && owner != null && owner.isWild()) {
            errors.add("NS records cannot be at a wildcard name (" + owner + ")");
        }

        // Values are parsed even when the name is bad, so that all problems are reported at once.
        Name parseOwner = owner == null ? Name.root : owner;
        long parseTtl = ttl < 0 || ttl > MAX_TTL ? DEFAULT_TTL : ttl;
        List<org.xbill.DNS.Record> records = new ArrayList<>();
        Map<org.xbill.DNS.Record, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < values.size(); i++) {
            String value = values.get(i);
            String field = "values[" + i + "]";
            if (value == null) {
                errors.add(field + " is missing");
                continue;
            }
            org.xbill.DNS.Record rec = parseValue(parseOwner, type, typeName, parseTtl, field, value, errors);
            if (rec == null) {
                continue;
            }
            Integer earlier = firstIndex.putIfAbsent(rec, i);
            if (earlier != null) {
                errors.add(field + " repeats values[" + earlier + "]");
                continue;
            }
            records.add(rec);
        }
        return errors.isEmpty() ? SpecResult.valid(records) : SpecResult.invalid(errors);
    }

    /**
     * The owner name as {@link #validate} reads {@code spec.name}, or empty when it is missing or invalid (then
     * {@link #validate} says why).
     */
    public static Optional<Name> ownerName(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        return Optional.ofNullable(parseOwner(text, new ArrayList<>()));
    }

    /** The errors of an invalid result as one line, as both standalone mode and the operator report them. */
    public static String describe(SpecResult result) {
        return String.join("; ", result.errors());
    }

    /**
     * Whether a record at {@code name} can be served by one of {@code zones}: empty when it can, else the reason.
     * A CNAME at a zone apex is refused (the apex holds the zone's SOA and NS).
     */
    public static Optional<String> zoneProblem(Name name, int type, Collection<Name> zones) {
        Name closest = null;
        for (Name zone : zones) {
            if (name.subdomain(zone) && (closest == null || zone.labels() > closest.labels())) {
                closest = zone;
            }
        }
        if (closest == null) {
            String served = zones.isEmpty()
                    ? "no zones are served"
                    : zones.stream().map(Name::toString).sorted().collect(Collectors.joining(", "));
            return Optional.of("name " + name + " is outside every served zone (" + served + ")");
        }
        if (type == Type.CNAME && name.equals(closest)) {
            return Optional.of("CNAME at the zone apex " + closest
                    + " is not allowed (the apex holds the zone's SOA and NS records)");
        }
        return Optional.empty();
    }

    /**
     * Checks record sets that are to be served together, in precedence order: the first set for a given (name, type)
     * wins and later ones are refused, and a CNAME cannot share its name with any other data (whichever came first
     * stays). Each item's records must be non-empty and share one owner name and type, as {@link #validate} returns
     * them.
     *
     * @param records the records of an item
     * @param describe how to name an item in a conflict message (e.g. {@code records/web.yaml (www)})
     */
    public static <T> SetCheck<T> checkSet(
            List<T> items, Function<T, List<org.xbill.DNS.Record>> records, Function<T, String> describe) {
        // Name.equals and Name.hashCode ignore case, as DNS does.
        Map<Name, Map<Integer, T>> byName = new HashMap<>();
        List<T> accepted = new ArrayList<>();
        List<SetCheck.Conflict<T>> conflicts = new ArrayList<>();
        for (T item : items) {
            List<org.xbill.DNS.Record> recs = records.apply(item);
            if (recs.isEmpty()) {
                accepted.add(item);
                continue;
            }
            Name name = recs.get(0).getName();
            int type = recs.get(0).getType();
            Map<Integer, T> present = byName.computeIfAbsent(name, n -> new LinkedHashMap<>());
            String reason = null;
            T same = present.get(type);
            if (same != null) {
                reason = Type.string(type) + " records for " + name + " are already defined by " + describe.apply(same);
            } else if (type == Type.CNAME && !present.isEmpty()) {
                Map.Entry<Integer, T> other = present.entrySet().iterator().next();
                reason = "CNAME at " + name + " conflicts with the " + Type.string(other.getKey())
                        + " records defined by " + describe.apply(other.getValue())
                        + " (a CNAME cannot share its name with other data)";
            } else if (type != Type.CNAME && present.containsKey(Type.CNAME)) {
                reason = Type.string(type) + " records at " + name + " conflict with the CNAME defined by "
                        + describe.apply(present.get(Type.CNAME))
                        + " (a CNAME cannot share its name with other data)";
            }
            if (reason != null) {
                conflicts.add(new SetCheck.Conflict<>(item, reason));
            } else {
                present.put(type, item);
                accepted.add(item);
            }
        }
        return new SetCheck<>(accepted, conflicts);
    }

    private static Name parseOwner(String text, List<String> errors) {
        String quoted = "name '" + text + "'";
        if (!isAscii(text)) {
            errors.add(quoted + " contains non-ASCII characters; write internationalised names in their xn--"
                    + " (punycode) form");
            return null;
        }
        String relative = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
        if (relative.isEmpty()) {
            return Name.root;
        }
        String[] labels = relative.split("\\.", -1);
        for (int i = 0; i < labels.length; i++) {
            String label = labels[i];
            if (label.isEmpty()) {
                errors.add(quoted + " has an empty label");
                return null;
            }
            if (label.contains("*")) {
                if (!label.equals("*") || i != 0) {
                    errors.add(quoted + " may only have '*' as its whole first label (a wildcard)");
                    return null;
                }
                continue;
            }
            if (!label.chars().allMatch(RecordSpecs::isNameChar)) {
                errors.add(quoted + " has an invalid label '" + label + "' (letters, digits, '-' and '_' only)");
                return null;
            }
            if (label.length() > MAX_LABEL) {
                errors.add(quoted + " has a label longer than " + MAX_LABEL + " characters");
                return null;
            }
        }
        try {
            return Name.fromString(relative, Name.root);
        } catch (TextParseException e) {
            errors.add(quoted + " is not a valid domain name: " + cleanMessage(e));
            return null;
        }
    }

    private static org.xbill.DNS.Record parseValue(
            Name owner, int type, String typeName, long ttl, String field, String value, List<String> errors) {
        boolean quotedTxt = type == Type.TXT && value.strip().startsWith("\"");
        if (type == Type.TXT && !quotedTxt) {
            return plainText(owner, ttl, field, value, errors);
        }
        String quoted = "'" + abbreviate(value) + "'";
        String problem = unquotedSpecial(value);
        if (problem != null) {
            errors.add(field + " " + quoted + " " + problem);
            return null;
        }
        boolean namesOnly = type != Type.TXT && type != Type.CAA;
        if (namesOnly && !isAscii(value)) {
            errors.add(field + " " + quoted + " contains non-ASCII characters; write internationalised names in"
                    + " their xn-- (punycode) form");
            return null;
        }
        org.xbill.DNS.Record rec;
        try {
            rec = org.xbill.DNS.Record.fromString(owner, type, DClass.IN, ttl, escapeNonAscii(value), Name.root);
        } catch (java.io.IOException | RuntimeException e) {
            if (type == Type.A || type == Type.AAAA) {
                errors.add(field + " " + quoted + " is not a valid " + typeName + " address");
            } else if (type == Type.TXT && txtStringProblem(escapeNonAscii(value)) != null) {
                errors.add(field + " " + txtStringProblem(escapeNonAscii(value)));
            } else {
                errors.add(field + " " + quoted + " is not valid " + typeName + " data (" + FORMATS.get(typeName)
                        + "): " + cleanMessage(e));
            }
            return null;
        }
        return checkSize(rec, field, errors);
    }

    /** A TXT value taken literally as one text, split into strings of at most 255 bytes. */
    private static org.xbill.DNS.Record plainText(
            Name owner, long ttl, String field, String value, List<String> errors) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        // Each string costs its bytes plus a length byte.
        long wire = bytes.length + Math.max(1, (bytes.length + MAX_TXT_STRING - 1) / MAX_TXT_STRING);
        if (wire > MAX_RDATA) {
            errors.add(field + " TXT value exceeds the " + MAX_RDATA + " bytes of data one record can hold (it is "
                    + bytes.length + " bytes)");
            return null;
        }
        StringBuilder presentation = new StringBuilder();
        int start = 0;
        do {
            int end = Math.min(bytes.length, start + MAX_TXT_STRING);
            // Do not cut a UTF-8 sequence: back off while the next byte is a continuation byte.
            while (end < bytes.length && end > start && (bytes[end] & 0xC0) == 0x80) {
                end--;
            }
            presentation.append(presentation.length() == 0 ? "\"" : " \"");
            for (int i = start; i < end; i++) {
                int b = bytes[i] & 0xFF;
                if (b == '"' || b == '\\') {
                    presentation.append('\\').append((char) b);
                } else if (b >= 0x20 && b < 0x7F) {
                    presentation.append((char) b);
                } else {
                    presentation.append(String.format("\\%03d", b));
                }
            }
            presentation.append('"');
            start = end;
        } while (start < bytes.length);
        try {
            return checkSize(
                    org.xbill.DNS.Record.fromString(
                            owner, Type.TXT, DClass.IN, ttl, presentation.toString(), Name.root),
                    field,
                    errors);
        } catch (java.io.IOException e) {
            // Not reachable with the escaping above; reported rather than thrown all the same.
            errors.add(field + " could not be encoded as TXT data: " + cleanMessage(e));
            return null;
        }
    }

    private static org.xbill.DNS.Record checkSize(org.xbill.DNS.Record rec, String field, List<String> errors) {
        int length = rec.rdataToWireCanonical().length;
        if (length > MAX_RDATA) {
            errors.add(field + " " + Type.string(rec.getType()) + " value exceeds the " + MAX_RDATA
                    + " bytes of data one record can hold (it is " + length + " bytes)");
            return null;
        }
        return rec;
    }

    /**
     * Why dnsjava refused a TXT value's strings (dnsjava only says "invalid string"): a string over 255 bytes or a bad
     * escape sequence. Null when neither applies.
     */
    private static String txtStringProblem(String value) {
        Tokenizer tokenizer = new Tokenizer(value);
        try {
            for (int n = 1; ; n++) {
                Tokenizer.Token token = tokenizer.get();
                if (!token.isString()) {
                    return null;
                }
                int length = unescapedLength(token.value);
                if (length < 0) {
                    return "string " + n + " has an invalid escape sequence (\\X or \\DDD with DDD at most 255)";
                }
                if (length > MAX_TXT_STRING) {
                    return "string " + n + " is " + length + " bytes, more than the " + MAX_TXT_STRING + " a TXT"
                            + " string can hold; split it into several quoted strings, or give the text unquoted to"
                            + " have it split automatically";
                }
            }
        } catch (java.io.IOException e) {
            return null;
        } finally {
            tokenizer.close();
        }
    }

    /** Length in bytes of a presentation-format string once its escapes are decoded, or -1 for a bad escape. */
    private static int unescapedLength(String s) {
        int length = 0;
        for (int i = 0; i < s.length(); i++, length++) {
            if (s.charAt(i) != '\\') {
                continue;
            }
            if (i + 1 >= s.length()) {
                return -1;
            }
            if (Character.isDigit(s.charAt(i + 1))) {
                if (i + 4 > s.length()) {
                    return -1;
                }
                String digits = s.substring(i + 1, i + 4);
                if (!digits.chars().allMatch(Character::isDigit) || Integer.parseInt(digits) > 255) {
                    return -1;
                }
                i += 3;
            } else {
                i++;
            }
        }
        return length;
    }

    /** Describes the first character outside quotes that zone-file syntax would not read as data, or null. */
    private static String unquotedSpecial(String value) {
        boolean inQuotes = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                inQuotes = !inQuotes;
            } else if (!inQuotes && (c == '\n' || c == '\r')) {
                return "must be on a single line";
            } else if (!inQuotes && c == ';') {
                return "contains ';' outside quotes (a comment in zone-file format); put that text in double quotes";
            } else if (!inQuotes && (c == '(' || c == ')')) {
                return "contains '" + c + "' outside quotes (line grouping in zone-file format); put that text in"
                        + " double quotes";
            }
        }
        return null;
    }

    /** dnsjava reads its input as bytes; non-ASCII characters are passed as escaped UTF-8 bytes. */
    private static String escapeNonAscii(String value) {
        if (isAscii(value)) {
            return value;
        }
        StringBuilder out = new StringBuilder();
        value.codePoints().forEach(cp -> {
            if (cp < 0x80) {
                out.append((char) cp);
            } else {
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    out.append(String.format("\\%03d", b & 0xFF));
                }
            }
        });
        return out.toString();
    }

    private static boolean isAscii(String s) {
        return s.chars().allMatch(c -> c < 0x80);
    }

    private static boolean isNameChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    private static String abbreviate(String value) {
        return value.length() <= QUOTE_LIMIT ? value : value.substring(0, QUOTE_LIMIT) + "...";
    }

    /** dnsjava prefixes parse errors with a file and line ({@code <none>:1: }), meaningless for a single value. */
    private static String cleanMessage(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.replaceAll("<none>:\\d+: ", "")
                .replaceAll("'[^']*': ", "")
                .strip();
    }
}
