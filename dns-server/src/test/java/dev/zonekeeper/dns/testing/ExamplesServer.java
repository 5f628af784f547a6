package dev.zonekeeper.dns.testing;

import dev.zonekeeper.dns.DnsServer;
import dev.zonekeeper.testing.RawDns;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real server in-process serving the repository's {@code examples/} as zone {@code example.test} without an
 * upstream, started once for a test class: {@code @RegisterExtension static final ExamplesServer EXAMPLES = new
 * ExamplesServer(extra options...)}.
 */
public final class ExamplesServer implements BeforeAllCallback, AfterAllCallback {
    private final String[] options;
    private DnsServer server;

    /** {@code extraOptions} go after {@code --records examples --zone example.test --upstream none}. */
    public ExamplesServer(String... extraOptions) {
        List<String> all = new ArrayList<>(List.of(
                "--records",
                InProcessServer.exampleRecords().toString(),
                "--zone",
                "example.test",
                "--upstream",
                "none"));
        all.addAll(Arrays.asList(extraOptions));
        this.options = all.toArray(new String[0]);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server = InProcessServer.start(options);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    public DnsServer server() {
        return server;
    }

    /** Where it answers DNS (UDP and TCP). */
    public InetSocketAddress dns() {
        return InProcessServer.dns(server);
    }

    public byte[] udp(byte[] query) throws IOException {
        return RawDns.udp(dns(), query);
    }

    public byte[] tcp(byte[] query) throws IOException {
        return RawDns.tcp(dns(), query);
    }
}
