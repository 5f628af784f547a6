package dev.zonekeeper.dns.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zonekeeper.dns.config.ServerConfig.ConfigException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

/** Every option can come from its environment variable, as a container is configured; the command line wins. */
class EnvironmentOptionsTest {

    private static ServerConfig parse(Map<String, String> env, String... args) throws ConfigException {
        return ServerConfig.parse(args, env, List.of());
    }

    @Test
    void aVariableSetsItsOption() throws ConfigException {
        ServerConfig c = parse(Map.of(
                "ZONEKEEPER_LISTEN",
                "0.0.0.0:53",
                "ZONEKEEPER_RRL_RATE",
                "2000",
                "ZONEKEEPER_CACHE_BYTES",
                "64m",
                "ZONEKEEPER_UDP_SOCKETS",
                "2"));
        assertThat(c.listen()).isEqualTo(new InetSocketAddress("0.0.0.0", 53));
        assertThat(c.rrl().rate()).isEqualTo(2000);
        assertThat(c.cacheBytes()).isEqualTo(64L << 20);
        assertThat(c.udpSockets()).isEqualTo(2);
    }

    @Test
    void theCommandLineWinsOverTheVariable() throws ConfigException {
        ServerConfig c = parse(
                Map.of("ZONEKEEPER_LISTEN", "0.0.0.0:53", "ZONEKEEPER_ZONE", "a.test,b.test"),
                "--listen",
                "127.0.0.1:5353",
                "--zone",
                "c.test");
        assertThat(c.listen()).isEqualTo(new InetSocketAddress("127.0.0.1", 5353));
        assertThat(c.zones())
                .as("a repeatable option given on the command line ignores its variable entirely")
                .containsExactly(Name.fromConstantString("c.test."));
    }

    @Test
    void aRepeatableOptionsVariableIsACommaSeparatedList() throws ConfigException {
        ServerConfig c = parse(Map.of(
                "ZONEKEEPER_ZONE",
                "example.test, in-addr.arpa",
                "ZONEKEEPER_UPSTREAM",
                "192.0.2.1,[2001:db8::1]:5300",
                "ZONEKEEPER_PRIMARY",
                "127.0.0.1:5300"));
        assertThat(c.zones())
                .containsExactly(Name.fromConstantString("example.test."), Name.fromConstantString("in-addr.arpa."));
        assertThat(c.upstreams())
                .containsExactly(new InetSocketAddress("192.0.2.1", 53), new InetSocketAddress("2001:db8::1", 5300));
        assertThat(c.sidecar()).isTrue();
        assertThat(parse(Map.of("ZONEKEEPER_UPSTREAM", "none")).forwarding()).isFalse();
    }

    @Test
    void aBlankVariableIsNotSetAndOthersAreIgnored() throws ConfigException {
        ServerConfig c =
                parse(Map.of("ZONEKEEPER_LISTEN", " ", "ZONEKEEPER_ZONES", "operator.test", "ZONEKEEPER_TTL", "5"));
        assertThat(c).isEqualTo(parse(Map.of()));
    }

    @Test
    void anInvalidValueNamesTheVariable() {
        assertThatThrownBy(() -> parse(Map.of("ZONEKEEPER_LISTEN", "127.0.0.1")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("environment ZONEKEEPER_LISTEN: option --listen: '127.0.0.1' has no port (HOST:PORT)");
        assertThatThrownBy(() -> parse(Map.of("ZONEKEEPER_ZONE_TTL", "soon")))
                .hasMessage("environment ZONEKEEPER_ZONE_TTL: option --zone-ttl: 'soon' is not a whole number");
        assertThatThrownBy(() -> parse(Map.of("ZONEKEEPER_SNAPSHOT_DIR", "/tmp/s")))
                .as("the rules between options hold whichever way the options came")
                .hasMessageContaining("option --snapshot-dir needs --primary");
    }

    @Test
    void theVariablesAreTheOptionsNames() {
        assertThat(ServerConfig.OPTIONS)
                .allSatisfy(o -> assertThat(o.env())
                        .isEqualTo("ZONEKEEPER_"
                                + o.name().substring(2).toUpperCase().replace('-', '_')));
        assertThat(ServerConfig.OPTIONS.stream().map(Option::env))
                .contains("ZONEKEEPER_LISTEN", "ZONEKEEPER_TCP_IDLE_TIMEOUT", "ZONEKEEPER_WARMUP_ROUNDS")
                .doesNotHaveDuplicates();
    }
}
