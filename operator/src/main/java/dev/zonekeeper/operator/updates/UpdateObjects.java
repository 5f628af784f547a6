package dev.zonekeeper.operator.updates;

import dev.zonekeeper.dns.record.RecordSpec;
import dev.zonekeeper.dns.record.RecordSpecs;
import dev.zonekeeper.dns.record.SpecResult;
import dev.zonekeeper.dns.update.RecordValues;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordSpec;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * How an RRset written by an update looks as a DnsRecord: its object name, labels and spec. One DnsRecord per RRset
 * (owner name and type), so two updates of different RRsets never write the same object, and one of the same RRset
 * always does (the API's optimistic concurrency then orders them).
 */
public final class UpdateObjects {

    /** Label on every DnsRecord an update wrote, so {@code kubectl get dnsrecords -l ...} lists them. */
    public static final String WRITTEN_BY_LABEL = "zonekeeper.dev/written-by";

    public static final String WRITTEN_BY_UPDATE = "dns-update";

    /** Label naming the TSIG key that last wrote the DnsRecord (sanitised to a label value). */
    public static final String KEY_LABEL = "zonekeeper.dev/update-key";

    /** Annotations with the key's full name and the DnsUpdatePolicy it wrote under. */
    public static final String KEY_ANNOTATION = "zonekeeper.dev/update-key";

    public static final String POLICY_ANNOTATION = "zonekeeper.dev/update-policy";

    private static final Pattern NAME = Pattern.compile(DnsRecordSpec.NAME_PATTERN);
    private static final int MAX_OBJECT_NAME = 63;
    private static final int HASH_CHARS = 10;

    private UpdateObjects() {}

    /**
     * The object name of the DnsRecord holding the RRset {@code type} at {@code owner}: a readable prefix from the owner
     * name, the type, and a hash of both (so distinct RRsets never share an object even when their readable parts
     * do); a DNS-1123 label of at most 63 characters.
     */
    public static String objectName(Name owner, int type) {
        String text = owner.canonicalize().toString(true);
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                prefix.append(c);
            } else if (c == '*') {
                appendPart(prefix, "wildcard");
            } else if (prefix.length() > 0 && prefix.charAt(prefix.length() - 1) != '-') {
                prefix.append('-');
            }
        }
        String suffix = "-" + Type.string(type).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "") + "-"
                + hash(owner.canonicalize() + "/" + type);
        int room = MAX_OBJECT_NAME - suffix.length();
        String head = prefix.length() > room ? prefix.substring(0, room) : prefix.toString();
        head = trimDashes(head);
        return (head.isEmpty() ? "rrset" : head) + suffix;
    }

    /** {@code key} as a label value: at most 63 of {@code [A-Za-z0-9-_.]}, alphanumeric at both ends. */
    public static String labelValue(Name key) {
        String text = key.toString(true);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '_'
                    || c == '.';
            sb.append(ok ? c : '-');
        }
        String value = sb.toString();
        if (value.length() > 63) {
            value = value.substring(0, 63 - HASH_CHARS - 1) + "-" + hash(text);
        }
        value = value.replaceAll("^[^A-Za-z0-9]+", "").replaceAll("[^A-Za-z0-9]+$", "");
        return value.isEmpty() ? "key-" + hash(text) : value;
    }

    /** The DnsRecord type for a DNS type code, if a DnsRecord can hold it. */
    public static Optional<DnsRecordType> recordType(int type) {
        try {
            return Optional.of(DnsRecordType.valueOf(Type.string(type)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code owner} can be written as a DnsRecord's {@code spec.name}. */
    public static boolean nameFits(Name owner) {
        String text = owner.toString(true);
        return text.length() <= 253 && NAME.matcher(text).matches();
    }

    /**
     * The spec of the DnsRecord holding {@code records} (one RRset, all of {@code owner} and {@code type}) with
     * {@code ttl}; its values read back as exactly these records ({@link RecordSpecs#validate}), else an
     * {@link IllegalArgumentException} saying why.
     */
    public static DnsRecordSpec spec(Name owner, int type, long ttl, List<org.xbill.DNS.Record> records) {
        DnsRecordType recordType = recordType(type)
                .orElseThrow(() ->
                        new IllegalArgumentException("a DnsRecord cannot hold " + Type.string(type) + " records"));
        if (ttl < 0 || ttl > RecordSpecs.MAX_TTL) {
            throw new IllegalArgumentException("TTL " + ttl + " is outside 0-" + RecordSpecs.MAX_TTL);
        }
        // the values as core's RecordValues writes them, so both modes (and standalone's files) hold the same text
        DnsRecordSpec spec =
                new DnsRecordSpec(owner.toString(true), recordType, (int) ttl, RecordValues.values(records));
        if (recordsOf(spec).filter(new HashSet<>(records)::equals).isEmpty()) {
            throw new IllegalArgumentException(
                    "the records of " + owner + " " + Type.string(type) + " cannot be written as a DnsRecord");
        }
        return spec;
    }

    /** The records a DnsRecord's spec stands for (owner names lower case, as served), or empty when it is invalid. */
    public static Optional<Set<org.xbill.DNS.Record>> recordsOf(DnsRecordSpec spec) {
        if (spec == null || spec.getType() == null) {
            return Optional.empty();
        }
        SpecResult result = RecordSpecs.validate(new RecordSpec(
                spec.getName(),
                spec.getType().name(),
                spec.getTtl() == null ? null : spec.getTtl().longValue(),
                spec.getValues()));
        Optional<Name> owner = RecordSpecs.ownerName(spec.getName());
        if (!result.isValid() || owner.isEmpty()) {
            return Optional.empty();
        }
        Name fqdn = owner.get().canonicalize();
        Set<org.xbill.DNS.Record> out = new HashSet<>();
        for (org.xbill.DNS.Record r : result.records()) {
            out.add(r.withName(fqdn));
        }
        return Optional.of(out);
    }

    /** Whether {@code record} carries the label of an update's DnsRecord. */
    public static boolean writtenByUpdate(DnsRecord record) {
        var labels = record.getMetadata().getLabels();
        return labels != null && WRITTEN_BY_UPDATE.equals(labels.get(WRITTEN_BY_LABEL));
    }

    private static void appendPart(StringBuilder sb, String part) {
        if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '-') {
            sb.append('-');
        }
        sb.append(part).append('-');
    }

    private static String trimDashes(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == '-') {
            start++;
        }
        while (end > start && s.charAt(end - 1) == '-') {
            end--;
        }
        return s.substring(start, end);
    }

    private static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, HASH_CHARS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
