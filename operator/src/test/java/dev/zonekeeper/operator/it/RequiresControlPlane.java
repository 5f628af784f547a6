package dev.zonekeeper.operator.it;

import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class only where the control-plane binaries exist: skipped with a message saying how to get them, and
 * an error under {@code CI=true}, where they must be present.
 */
public class RequiresControlPlane implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<String> missing = ControlPlane.missingBinaries();
        if (missing.isEmpty()) {
            return ConditionEvaluationResult.enabled("control-plane binaries present in " + ControlPlane.binaries());
        }
        if (ControlPlane.onCi()) {
            throw new IllegalStateException(missing.get());
        }
        System.err.println("SKIPPED " + context.getDisplayName() + ": " + missing.get());
        return ConditionEvaluationResult.disabled(missing.get());
    }
}
