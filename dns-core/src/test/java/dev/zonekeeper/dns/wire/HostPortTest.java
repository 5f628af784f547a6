package dev.zonekeeper.dns.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The one HOST:PORT parser of the DNS server's options and the operator's settings. */
class HostPortTest {

    @Test
    void ipv4AndNamesWithAPort() {
        assertThat(HostPort.parse("192.0.2.1:53")).isEqualTo(new HostPort("192.0.2.1", 53));
        assertThat(HostPort.parse(" localhost:5353 ")).isEqualTo(new HostPort("localhost", 5353));
        assertThat(HostPort.parse("127.0.0.1:0").port()).isZero();
        assertThat(HostPort.parse("localhost:5353").resolve())
                .isEqualTo(new InetSocketAddress(InetAddress.getLoopbackAddress(), 5353));
    }

    @Test
    void ipv6InBracketsOrBareWithTheDefaultPort() {
        assertThat(HostPort.parse("[2001:db8::1]:5300")).isEqualTo(new HostPort("2001:db8::1", 5300));
        assertThat(HostPort.parse("[::1]", 53)).isEqualTo(new HostPort("::1", 53));
        assertThat(HostPort.parse("2001:db8::1", 53))
                .as("a bare IPv6 address never carries a port")
                .isEqualTo(new HostPort("2001:db8::1", 53));
        assertThat(HostPort.parse("::1:53", 53)).isEqualTo(new HostPort("::1:53", 53));
        assertThat(HostPort.parse("192.0.2.1", 53)).isEqualTo(new HostPort("192.0.2.1", 53));
        assertThat(HostPort.parse("[2001:db8::1]:5300").literal())
                .isEqualTo(new InetSocketAddress("2001:db8::1", 5300));
        assertThat(new HostPort("2001:db8::1", 53)).hasToString("[2001:db8::1]:53");
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> HostPort.parse("127.0.0.1")).hasMessage("'127.0.0.1' has no port (HOST:PORT)");
        assertThatThrownBy(() -> HostPort.parse("::1")).hasMessage("'::1' has no port (HOST:PORT)");
        assertThatThrownBy(() -> HostPort.parse(":53")).hasMessage("':53' has no host");
        assertThatThrownBy(() -> HostPort.parse("[::1")).hasMessage("'[::1' is not HOST:PORT");
        assertThatThrownBy(() -> HostPort.parse("[::1]53")).hasMessage("'[::1]53' is not HOST:PORT");
        assertThatThrownBy(() -> HostPort.parse("127.0.0.1:dns")).hasMessage("port 'dns' is not a number");
        assertThatThrownBy(() -> HostPort.parse("127.0.0.1:65536")).hasMessage("port 65536 is outside 0-65535");
        assertThatThrownBy(() -> HostPort.parse("127.0.0.1:-1")).hasMessage("port -1 is outside 0-65535");
        assertThatThrownBy(() -> HostPort.parse("no-such-host.invalid:53").resolve())
                .hasMessage("unknown host 'no-such-host.invalid'");
        assertThatThrownBy(() -> HostPort.parse("localhost:53").literal())
                .as("where no lookup is wanted (the operator's settings), a name is refused")
                .hasMessage("host 'localhost' is not an IP address");
    }
}
