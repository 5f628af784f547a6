package dev.zonekeeper.dns.zone;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

/** The generated apex that standalone mode and the operator both serve. */
class ZoneApexTest {

    @Test
    void soaAndNsNameTheBaseZonesServerAndHostmaster() throws Exception {
        Name origin = Name.fromString("example.test.");
        Name base = Name.fromString("cluster.local.");

        assertThat(ZoneApex.soa(origin, base, 5, 42).toString())
                .isEqualTo("example.test.\t\t5\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 42 7200 1800"
                        + " 86400 5");
        assertThat(ZoneApex.ns(origin, origin, 30).toString())
                .isEqualTo("example.test.\t\t30\tIN\tNS\tns.dns.example.test.");
    }
}
