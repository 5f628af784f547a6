package dev.zonekeeper.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The records wanted: owner name, type, TTL and the values in DNS presentation format. */
@JsonClassDescription("The records to publish: owner name, type, TTL and values in DNS presentation format.")
public class DnsRecordSpec {

    /** Letters, digits, hyphens and underscores in labels of up to 63 characters, an optional leading "*." wildcard. */
    public static final String NAME_PATTERN =
            "^(\\*\\.)?([A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?\\.)*[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?\\.?$";

    /** The owner name of the records. */
    @Required
    @Pattern(NAME_PATTERN)
    @Size(max = 253)
    @JsonPropertyDescription(
            "Fully qualified owner name of the records, e.g. api.example.com (a trailing dot is optional). "
                    + "It must lie inside a zone Zonekeeper serves that this namespace may write to; inside the cluster domain only "
                    + "names under <namespace>.svc.<cluster-domain> of the record's own namespace are allowed. "
                    + "A leading \"*.\" makes a wildcard.")
    private String name;

    /** The record type. */
    @Required
    @JsonPropertyDescription("Record type: one of A, AAAA, CNAME, MX, TXT, SRV, NS, PTR, CAA. "
            + "A CNAME cannot share its name with records of any other type.")
    private DnsRecordType type;

    /** Time to live in seconds. */
    @Min(0)
    @Max(86400)
    @Default("30")
    @JsonPropertyDescription("Time to live of the records in seconds, 0 to 86400 (default 30).")
    private Integer ttl = 30;

    /**
     * One record per entry, read by {@code dev.zonekeeper.dns.record.RecordSpecs} in the operator and in standalone mode
     * alike; the description below is the table users read (kubectl explain, README).
     */
    @Required
    @Size(min = 1)
    @JsonPropertyDescription("One record per entry, each distinct; names inside a value are absolute with or without "
            + "the trailing dot. "
            + "A: an IPv4 address (192.0.2.10). "
            + "AAAA: an IPv6 address (2001:db8::10). "
            + "CNAME: the target name (www.example.com); exactly one value. "
            + "MX: preference and mail exchange (10 mail.example.com). "
            + "SRV: priority, weight, port and target (0 5 8080 svc.example.com). "
            + "NS: a name server (ns1.example.com); not at a wildcard name (nor, in a cluster, at the zone apex). "
            + "PTR: the target name (host.example.com). "
            + "CAA: flags, tag and quoted value (0 issue \"letsencrypt.org\"). "
            + "TXT: a value is one text taken as written, spaces, quotes and backslashes included (hello world is one "
            + "string), split into strings of 255 bytes when longer; a value that starts with a double quote is DNS "
            + "presentation format instead: \"a\" \"b c\" is two strings, with \\\" and \\DDD escapes (RFC 1035), "
            + "each string at most 255 bytes.")
    private List<String> values = new ArrayList<>();

    public DnsRecordSpec() {}

    public DnsRecordSpec(String name, DnsRecordType type, Integer ttl, List<String> values) {
        this.name = name;
        this.type = type;
        this.ttl = ttl;
        this.values = values == null ? new ArrayList<>() : new ArrayList<>(values);
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public DnsRecordType getType() {
        return type;
    }

    public void setType(DnsRecordType type) {
        this.type = type;
    }

    public Integer getTtl() {
        return ttl;
    }

    public void setTtl(Integer ttl) {
        this.ttl = ttl;
    }

    public List<String> getValues() {
        return values;
    }

    public void setValues(List<String> values) {
        this.values = values;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof DnsRecordSpec)) {
            return false;
        }
        DnsRecordSpec that = (DnsRecordSpec) o;
        return Objects.equals(name, that.name)
                && type == that.type
                && Objects.equals(ttl, that.ttl)
                && Objects.equals(values, that.values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, ttl, values);
    }

    @Override
    public String toString() {
        return "DnsRecordSpec{name=" + name + ", type=" + type + ", ttl=" + ttl + ", values=" + values + '}';
    }
}
