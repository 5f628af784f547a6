package dev.zonekeeper.e2e.chart;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Checks a pod spec against the Pod Security Standard "restricted" (which includes "baseline"), as the
 * PodSecurity admission controller evaluates it, plus this project's own rules: user 65532 and a read-only
 * root filesystem.
 */
final class PodSecurity {

    private static final Set<String> RESTRICTED_VOLUME_TYPES = Set.of(
            "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret");

    private PodSecurity() {}

    /** Every rule the pod breaks, as "where: what" lines; empty if it passes. */
    static List<String> restrictedViolations(JsonNode podSpec) {
        List<String> violations = new ArrayList<>();
        for (String hostField : List.of("hostNetwork", "hostPID", "hostIPC")) {
            if (podSpec.path(hostField).asBoolean(false)) {
                violations.add("pod: " + hostField + " is true");
            }
        }
        for (JsonNode volume : podSpec.path("volumes")) {
            volume.fieldNames().forEachRemaining(field -> {
                if (!field.equals("name") && !RESTRICTED_VOLUME_TYPES.contains(field)) {
                    violations.add("volume " + volume.path("name").asText() + ": type " + field + " not allowed");
                }
            });
        }
        JsonNode podContext = podSpec.path("securityContext");
        if (podContext.path("runAsUser").isNumber()
                && podContext.path("runAsUser").asLong() == 0) {
            violations.add("pod: runAsUser 0");
        }
        if (podContext.path("sysctls").size() > 0) {
            violations.add("pod: sysctls set");
        }
        List<JsonNode> containers = new ArrayList<>();
        podSpec.path("initContainers").forEach(containers::add);
        podSpec.path("containers").forEach(containers::add);
        if (containers.isEmpty()) {
            violations.add("pod: no containers");
        }
        for (JsonNode container : containers) {
            checkContainer(container, podContext, violations);
        }
        return violations;
    }

    private static void checkContainer(JsonNode container, JsonNode podContext, List<String> violations) {
        String where = "container " + container.path("name").asText() + ": ";
        JsonNode context = container.path("securityContext");
        if (context.path("privileged").asBoolean(false)) {
            violations.add(where + "privileged");
        }
        if (!context.path("allowPrivilegeEscalation").isBoolean()
                || context.path("allowPrivilegeEscalation").asBoolean()) {
            violations.add(where + "allowPrivilegeEscalation must be false");
        }
        boolean runAsNonRoot = context.has("runAsNonRoot")
                ? context.path("runAsNonRoot").asBoolean(false)
                : podContext.path("runAsNonRoot").asBoolean(false);
        if (!runAsNonRoot) {
            violations.add(where + "runAsNonRoot must be true");
        }
        JsonNode user = context.has("runAsUser") ? context.path("runAsUser") : podContext.path("runAsUser");
        if (!user.isNumber() || user.asLong() != 65532) {
            violations.add(where + "runAsUser must be 65532, is " + user);
        }
        JsonNode seccomp =
                context.has("seccompProfile") ? context.path("seccompProfile") : podContext.path("seccompProfile");
        String seccompType = seccomp.path("type").asText("");
        if (!seccompType.equals("RuntimeDefault") && !seccompType.equals("Localhost")) {
            violations.add(where + "seccompProfile.type must be RuntimeDefault or Localhost, is '" + seccompType + "'");
        }
        List<String> dropped = Manifests.texts(context.path("capabilities").path("drop"));
        if (!dropped.contains("ALL")) {
            violations.add(where + "capabilities.drop must contain ALL, is " + dropped);
        }
        for (String added : Manifests.texts(context.path("capabilities").path("add"))) {
            if (!added.equals("NET_BIND_SERVICE")) {
                violations.add(where + "capability " + added + " added");
            }
        }
        if (!context.path("readOnlyRootFilesystem").asBoolean(false)) {
            violations.add(where + "readOnlyRootFilesystem must be true");
        }
        String procMount = context.path("procMount").asText("Default");
        if (!procMount.equals("Default")) {
            violations.add(where + "procMount " + procMount);
        }
        for (JsonNode port : container.path("ports")) {
            if (port.path("hostPort").asInt(0) != 0) {
                violations.add(where + "hostPort " + port.path("hostPort").asInt());
            }
        }
    }
}
