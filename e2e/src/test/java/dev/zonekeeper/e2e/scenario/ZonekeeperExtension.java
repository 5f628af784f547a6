package dev.zonekeeper.e2e.scenario;

import dev.zonekeeper.e2e.cluster.ClusterExtension;
import dev.zonekeeper.e2e.cluster.Prerequisites;
import dev.zonekeeper.e2e.cluster.Shared;
import dev.zonekeeper.e2e.cluster.TestCluster;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves {@link TestCluster}, {@link OperatorFixture} (chart installed, operator running as the chart's
 * ServiceAccount) and {@link Sidecar} (the DNS server transferring from it, on 127.0.0.1) parameters; each is made
 * once per run and shared by the scenarios.
 */
final class ZonekeeperExtension implements BeforeAllCallback, ParameterResolver {

    /**
     * Makes the cluster and checks for helm before the class runs: a missing prerequisite then skips (or, under
     * CI=true, fails) the class, where a parameter resolver could only report an error.
     */
    @Override
    public void beforeAll(ExtensionContext context) {
        ClusterExtension.cluster(context);
        Prerequisites.helm();
    }

    /** The sidecar that every scenario shares; PodResolutionScenario starts its own on the veth address. */
    static final class SharedSidecar implements AutoCloseable {
        final Sidecar sidecar;

        SharedSidecar(Sidecar sidecar) {
            this.sidecar = sidecar;
        }

        @Override
        public void close() {
            sidecar.close();
        }
    }

    static OperatorFixture operator(ExtensionContext context) {
        TestCluster cluster = ClusterExtension.cluster(context);
        return Shared.get(context, OperatorFixture.class, () -> OperatorFixture.start(cluster));
    }

    static Sidecar sidecar(ExtensionContext context) {
        OperatorFixture operator = operator(context);
        return Shared.get(
                        context,
                        SharedSidecar.class,
                        () -> new SharedSidecar(Sidecar.start(
                                "dns-sidecar",
                                operator,
                                new InetSocketAddress("127.0.0.1", Ports.free()),
                                new InetSocketAddress("127.0.0.1", operator.notifyPort),
                                List.of())))
                .sidecar;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == TestCluster.class || type == OperatorFixture.class || type == Sidecar.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        if (type == TestCluster.class) {
            return ClusterExtension.cluster(context);
        }
        if (type == OperatorFixture.class) {
            return operator(context);
        }
        return sidecar(context);
    }
}
