package dev.zonekeeper.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Whether the policy is in force. */
@JsonClassDescription("Observed state: whether the policy is in force, under which key name, with how many grants.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DnsUpdatePolicyStatus {

    /** The condition type every DnsUpdatePolicy carries. */
    public static final String READY = "Ready";

    @JsonPropertyDescription("Conditions of the policy; \"Ready\" is True with reason Active when updates signed "
            + "with the key are accepted under the grants, otherwise False with reason SecretNotFound, KeyInvalid, "
            + "KeyFileNotSupported, GrantInvalid, ZoneNotServed or NotAllowed and a message saying what to fix.")
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("The TSIG key name clients sign with (never the secret).")
    private String keyName;

    @JsonPropertyDescription("The number of grants in force.")
    private Integer grants;

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public String getKeyName() {
        return keyName;
    }

    public void setKeyName(String keyName) {
        this.keyName = keyName;
    }

    public Integer getGrants() {
        return grants;
    }

    public void setGrants(Integer grants) {
        this.grants = grants;
    }

    /** The condition of {@code type}, if present. */
    @JsonIgnore
    public Optional<Condition> condition(String type) {
        return conditions == null
                ? Optional.empty()
                : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DnsUpdatePolicyStatus that
                && Objects.equals(conditions, that.conditions)
                && Objects.equals(observedGeneration, that.observedGeneration)
                && Objects.equals(keyName, that.keyName)
                && Objects.equals(grants, that.grants);
    }

    @Override
    public int hashCode() {
        return Objects.hash(conditions, observedGeneration, keyName, grants);
    }
}
