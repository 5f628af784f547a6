package dev.zonekeeper.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What Zonekeeper made of the record: whether it is served, under which name, since which zone serial. */
@JsonClassDescription("Observed state: whether the records are served, under which name and since which zone serial.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DnsRecordStatus {

    /** The condition type every DnsRecord carries. */
    public static final String READY = "Ready";

    @JsonPropertyDescription(
            "Conditions of the record; \"Ready\" is True with reason Serving when the records are served, "
                    + "otherwise False with reason InvalidValue, Conflict, ZoneNotServed, NotAllowed, ZoneApexNS or NameOwnedByService "
                    + "and a message saying what to fix.")
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("The absolute owner name the records are served under, lower case with a trailing dot.")
    private String fqdn;

    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("The SOA serial of the zone version that first served the current records.")
    private Long servedSerial;

    @JsonPropertyDescription(
            "The metadata.resourceVersion Zonekeeper first saw this DnsRecord at (its creation, unless "
                    + "it was changed before), recorded once: DnsRecords at one name created in the same second (creationTimestamp "
                    + "has a resolution of one second) are owned in this order.")
    private String claimRevision;

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public String getFqdn() {
        return fqdn;
    }

    public void setFqdn(String fqdn) {
        this.fqdn = fqdn;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public Long getServedSerial() {
        return servedSerial;
    }

    public void setServedSerial(Long servedSerial) {
        this.servedSerial = servedSerial;
    }

    public String getClaimRevision() {
        return claimRevision;
    }

    public void setClaimRevision(String claimRevision) {
        this.claimRevision = claimRevision;
    }

    /** The condition of the given type, if present. */
    @JsonIgnore
    public Optional<Condition> condition(String type) {
        if (conditions == null) {
            return Optional.empty();
        }
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof DnsRecordStatus)) {
            return false;
        }
        DnsRecordStatus that = (DnsRecordStatus) o;
        return Objects.equals(conditions, that.conditions)
                && Objects.equals(fqdn, that.fqdn)
                && Objects.equals(observedGeneration, that.observedGeneration)
                && Objects.equals(servedSerial, that.servedSerial)
                && Objects.equals(claimRevision, that.claimRevision);
    }

    @Override
    public int hashCode() {
        return Objects.hash(conditions, fqdn, observedGeneration, servedSerial, claimRevision);
    }

    @Override
    public String toString() {
        return "DnsRecordStatus{conditions=" + conditions + ", fqdn=" + fqdn + ", observedGeneration="
                + observedGeneration + ", servedSerial=" + servedSerial + ", claimRevision=" + claimRevision + '}';
    }
}
