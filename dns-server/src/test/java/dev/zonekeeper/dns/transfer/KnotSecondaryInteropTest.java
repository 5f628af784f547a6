package dev.zonekeeper.dns.transfer;

import static dev.zonekeeper.dns.transfer.TransferTesting.KEY;
import static dev.zonekeeper.dns.transfer.TransferTesting.ORIGIN;
import static dev.zonekeeper.dns.transfer.TransferTesting.SECRET;
import static dev.zonekeeper.dns.transfer.TransferTesting.exampleZone;
import static dev.zonekeeper.dns.transfer.TransferTesting.records;
import static dev.zonekeeper.dns.transfer.TransferTesting.rr;
import static dev.zonekeeper.testing.KnotSecondary.kdig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.testing.KnotSecondary;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real Knot DNS as secondary of our primary: AXFR at start, IXFR after each NOTIFY. */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class KnotSecondaryInteropTest {
    private static final String KEY_ARG = "hmac-sha256:zonekeeper-transfer:" + SECRET;

    @TempDir
    Path dir;

    private TransferServer server;
    private NotifySender notifier;
    private KnotSecondary knot;

    @AfterEach
    void tearDown() {
        if (knot != null) {
            knot.close();
        }
        if (notifier != null) {
            notifier.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static String config(int primaryPort) {
        return String.join(
                "\n",
                "server:",
                "    rundir: \"${DIR}\"",
                "    listen: 127.0.0.1@${PORT}",
                "control:",
                "    listen: \"${DIR}/knot.sock\"",
                "database:",
                "    storage: \"${DIR}/db\"",
                "log:",
                "  - target: \"${DIR}/knot.log\"",
                "    any: info",
                "key:",
                "  - id: zonekeeper-transfer",
                "    algorithm: hmac-sha256",
                "    secret: " + SECRET,
                "remote:",
                "  - id: zonekeeper",
                "    address: 127.0.0.1@" + primaryPort,
                "    key: zonekeeper-transfer",
                "acl:",
                "  - id: from-zonekeeper",
                "    address: 127.0.0.1",
                "    key: zonekeeper-transfer",
                "    action: [notify, transfer]",
                "template:",
                "  - id: default",
                "    storage: \"${DIR}/zones\"",
                "    zonefile-sync: -1",
                "    zonefile-load: none",
                // In memory only: with "changes" and no zone file, Knot 3.2 fails to journal the first IXFR
                // ("failed to store changes (not exists)") and falls back to AXFR.
                "    journal-content: none",
                "zone:",
                "  - domain: example.test",
                "    master: zonekeeper",
                "    acl: from-zonekeeper",
                "");
    }

    private long knotSerial() throws Exception {
        KnotSecondary.Dig soa =
                kdig("@127.0.0.1", "-p", Integer.toString(knot.port()), "+short", "example.test", "SOA");
        String[] f = soa.output().strip().split("\\s+");
        return f.length == 7 ? Long.parseLong(f[2]) : -1;
    }

    private void assertKnotServesOurZone(PrimaryZones zones) throws Exception {
        KnotSecondary.Dig axfr =
                kdig("-y", KEY_ARG, "@127.0.0.1", "-p", Integer.toString(knot.port()), "example.test", "AXFR");
        assertThat(axfr.exitCode()).as(axfr.output()).isZero();
        assertThat(axfr.records()).isEqualTo(records(zones.get(ORIGIN).zone()));
    }

    @Test
    void knotFollowsOurPrimaryByAxfrThenIxfr() throws Exception {
        PrimaryZones zones = new PrimaryZones();
        zones.put(exampleZone());
        server = TransferServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), zones, KEY);
        knot = KnotSecondary.start(dir, config(server.address().getPort()));

        await().atMost(Duration.ofSeconds(30))
                .until(() -> knotSerial() == zones.get(ORIGIN).serial());
        assertKnotServesOurZone(zones);
        assertThat(server.stats().axfr()).isGreaterThanOrEqualTo(1);
        assertThat(knot.log()).contains("AXFR, incoming");

        notifier = new NotifySender(List.of(knot.address()), KEY, NotifySender.Options.DEFAULT);
        zones.addListener(notifier);
        long before = zones.get(ORIGIN).serial();
        long after = zones.change(
                ORIGIN,
                List.of(rr("www.example.test. 300 IN A 192.0.2.11")),
                List.of(rr("www.example.test. 300 IN A 192.0.2.77"), rr("knot.example.test. 60 IN TXT \"follows\"")));

        await().atMost(Duration.ofSeconds(30)).until(() -> knotSerial() == after);
        assertKnotServesOurZone(zones);
        KnotSecondary.Dig txt =
                kdig("@127.0.0.1", "-p", Integer.toString(knot.port()), "+short", "knot.example.test", "TXT");
        assertThat(txt.output().strip()).isEqualTo("\"follows\"");
        await().untilAsserted(() -> assertThat(knot.log()).contains("IXFR, incoming"));
        assertThat(knot.log())
                .contains("serial " + before + " -> " + after)
                .contains("notify, incoming, remote 127.0.0.1")
                .doesNotContain("fallback to AXFR")
                .doesNotContain("failed");
        assertThat(server.stats().ixfr()).isEqualTo(1);
        assertThat(server.stats().tsigFailures()).isZero();
        await().until(() -> notifier.acknowledged() == 1);
    }
}
