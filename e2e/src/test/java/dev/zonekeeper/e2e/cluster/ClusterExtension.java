package dev.zonekeeper.e2e.cluster;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests the {@link TestCluster} selected with {@code -Dzonekeeper.e2e.cluster}, started once per test run:
 * {@code @ExtendWith(ClusterExtension.class)} and a {@code TestCluster} parameter (also in {@code @BeforeAll}).
 */
public final class ClusterExtension implements BeforeAllCallback, ParameterResolver {

    /** Starts the cluster before the class, so that a missing prerequisite skips the class instead of erroring. */
    @Override
    public void beforeAll(ExtensionContext context) {
        cluster(context);
    }

    public static TestCluster cluster(ExtensionContext context) {
        return Shared.get(context, TestCluster.class, () -> {
            TestCluster.Kind kind = TestCluster.Kind.selected();
            long started = System.nanoTime();
            TestCluster cluster = TestCluster.start(kind);
            System.err.printf("[zonekeeper e2e] %s ready in %.1f s%n", cluster, (System.nanoTime() - started) / 1e9);
            return cluster;
        });
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return cluster(context);
    }
}
