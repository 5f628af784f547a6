package dev.zonekeeper.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The zone, the key and what the key may change. */
@JsonClassDescription("The zone, the TSIG key and the grants: what the key may change in the zone.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DnsUpdatePolicySpec {

    @Required
    @Pattern(DnsRecordSpec.NAME_PATTERN)
    @Size(max = 253)
    @JsonPropertyDescription("The zone the key may update, e.g. example.test; Zonekeeper must serve it and this "
            + "namespace must be allowed to write DnsRecords in it (zonekeeper.zone-writers).")
    private String zone;

    @JsonPropertyDescription("In a cluster: the Secret, in this namespace, whose key \"tsig.key\" holds the TSIG key "
            + "as name:algorithm:base64secret (algorithm hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384 "
            + "or hmac-sha512).")
    private SecretReference keySecretRef;

    @JsonPropertyDescription("In standalone mode only: a file holding the TSIG key in the same format as the "
            + "Secret's \"tsig.key\". The operator never reads files: a policy in a cluster must use keySecretRef.")
    private String keyFile;

    @Required
    @Size(min = 1, max = 64)
    @JsonPropertyDescription("What the key may change; an update touching anything no grant allows is refused whole.")
    private List<Grant> grants = new ArrayList<>();

    public DnsUpdatePolicySpec() {}

    public DnsUpdatePolicySpec(String zone, SecretReference keySecretRef, String keyFile, List<Grant> grants) {
        this.zone = zone;
        this.keySecretRef = keySecretRef;
        this.keyFile = keyFile;
        this.grants = grants == null ? new ArrayList<>() : new ArrayList<>(grants);
    }

    public String getZone() {
        return zone;
    }

    public void setZone(String zone) {
        this.zone = zone;
    }

    public SecretReference getKeySecretRef() {
        return keySecretRef;
    }

    public void setKeySecretRef(SecretReference keySecretRef) {
        this.keySecretRef = keySecretRef;
    }

    public String getKeyFile() {
        return keyFile;
    }

    public void setKeyFile(String keyFile) {
        this.keyFile = keyFile;
    }

    public List<Grant> getGrants() {
        return grants;
    }

    public void setGrants(List<Grant> grants) {
        this.grants = grants;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DnsUpdatePolicySpec that
                && Objects.equals(zone, that.zone)
                && Objects.equals(keySecretRef, that.keySecretRef)
                && Objects.equals(keyFile, that.keyFile)
                && Objects.equals(grants, that.grants);
    }

    @Override
    public int hashCode() {
        return Objects.hash(zone, keySecretRef, keyFile, grants);
    }

    /** A Secret in the policy's namespace. */
    @JsonClassDescription("A Secret in the policy's namespace.")
    public static class SecretReference {
        @Required
        @Size(min = 1, max = 253)
        @JsonPropertyDescription("Name of the Secret.")
        private String name;

        public SecretReference() {}

        public SecretReference(String name) {
            this.name = name;
        }

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SecretReference that && Objects.equals(name, that.name);
        }

        @Override
        public int hashCode() {
            return Objects.hashCode(name);
        }
    }

    /** How a grant's name matches the names of an update. */
    public enum Match {
        @JsonProperty("name")
        NAME,
        @JsonProperty("subdomain")
        SUBDOMAIN,
        @JsonProperty("wildcard")
        WILDCARD,
        @JsonProperty("acme-challenge")
        ACME_CHALLENGE
    }

    /** One thing the key may change. */
    @JsonClassDescription("One thing the key may change: names matched by name and match, of the given types.")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Grant {
        @Required
        @JsonPropertyDescription("name: exactly the name; subdomain: the name and every name below it; wildcard: "
                + "every name the wildcard name (*.dyn.example.test) matches, i.e. strictly below it; acme-challenge: "
                + "only _acme-challenge.<n> where <n> is the name or below it (ACME DNS-01 for every certificate in "
                + "a zone).")
        private Match match;

        @Required
        @Pattern(DnsRecordSpec.NAME_PATTERN)
        @Size(max = 253)
        @JsonPropertyDescription("An absolute name inside the zone, e.g. _acme-challenge.example.test; for match "
                + "wildcard it starts with \"*.\".")
        private String name;

        @Size(max = 9)
        @JsonPropertyDescription("The record types the key may change at the matched names; empty or absent: every "
                + "type a DnsRecord can hold.")
        private List<DnsRecordType> types = new ArrayList<>();

        public Grant() {}

        public Grant(Match match, String name, List<DnsRecordType> types) {
            this.match = match;
            this.name = name;
            this.types = types == null ? new ArrayList<>() : new ArrayList<>(types);
        }

        public Match getMatch() {
            return match;
        }

        public void setMatch(Match match) {
            this.match = match;
        }

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public List<DnsRecordType> getTypes() {
            return types;
        }

        public void setTypes(List<DnsRecordType> types) {
            this.types = types;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Grant that
                    && match == that.match
                    && Objects.equals(name, that.name)
                    && Objects.equals(types, that.types);
        }

        @Override
        public int hashCode() {
            return Objects.hash(match, name, types);
        }
    }
}
