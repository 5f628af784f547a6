package dev.zonekeeper.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpAddressesTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "10.1.2.3, 10-1-2-3",
        "fd00::1, fd00--1",
        "FD00:0:0:0:0:0:0:1, fd00--1",
        "2001:db8:0:0:1:0:0:1, 2001-db8--1-0-0-1",
        "2001:db8:0:1:1:1:1:1, 2001-db8-0-1-1-1-1-1",
        "fd00::, fd00--0",
        "::1, --1",
    })
    void dashedLabelFollowsCoreDns(String ip, String label) {
        assertThat(IpAddresses.dashed(IpAddresses.parse(ip))).isEqualTo(label);
    }

    @ParameterizedTest
    @CsvSource({"kube-dns", "10.0.0", "256.1.1.1", "fd00:::1", "''"})
    void nonLiteralsAreNotAddressesAndAreNeverResolved(String s) {
        assertThat(IpAddresses.parse(s)).isNull();
    }
}
