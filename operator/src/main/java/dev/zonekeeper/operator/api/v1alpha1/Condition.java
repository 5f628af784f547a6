package dev.zonekeeper.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import java.util.Objects;

/** A condition in the shape of Kubernetes metav1.Condition. */
@JsonClassDescription("A condition in the shape of Kubernetes metav1.Condition.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Condition {

    @Required
    @JsonPropertyDescription("Type of the condition, e.g. Ready.")
    private String type;

    @Required
    @JsonPropertyDescription("Status of the condition: True, False or Unknown.")
    private String status;

    @Required
    @JsonPropertyDescription("Machine-readable CamelCase reason for the last transition: Serving, InvalidValue, "
            + "Conflict, ZoneNotServed, NotAllowed, ZoneApexNS or NameOwnedByService.")
    private String reason;

    @JsonPropertyDescription("Human-readable explanation, saying what to fix when the record is not served.")
    private String message;

    @Required
    @JsonPropertyDescription("When the condition last changed status, RFC 3339.")
    private String lastTransitionTime;

    @JsonPropertyDescription("The metadata.generation the condition was set for.")
    private Long observedGeneration;

    public Condition() {}

    public Condition(
            String type,
            String status,
            String reason,
            String message,
            String lastTransitionTime,
            Long observedGeneration) {
        this.type = type;
        this.status = status;
        this.reason = reason;
        this.message = message;
        this.lastTransitionTime = lastTransitionTime;
        this.observedGeneration = observedGeneration;
    }

    public String getType() {
        return type;
    }

    public void setType(String type) {
        this.type = type;
    }

    public String getStatus() {
        return status;
    }

    public void setStatus(String status) {
        this.status = status;
    }

    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    public String getLastTransitionTime() {
        return lastTransitionTime;
    }

    public void setLastTransitionTime(String lastTransitionTime) {
        this.lastTransitionTime = lastTransitionTime;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Condition)) {
            return false;
        }
        Condition that = (Condition) o;
        return Objects.equals(type, that.type)
                && Objects.equals(status, that.status)
                && Objects.equals(reason, that.reason)
                && Objects.equals(message, that.message)
                && Objects.equals(lastTransitionTime, that.lastTransitionTime)
                && Objects.equals(observedGeneration, that.observedGeneration);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, status, reason, message, lastTransitionTime, observedGeneration);
    }

    @Override
    public String toString() {
        return "Condition{type=" + type + ", status=" + status + ", reason=" + reason + ", message=" + message
                + ", lastTransitionTime=" + lastTransitionTime + ", observedGeneration=" + observedGeneration + '}';
    }
}
