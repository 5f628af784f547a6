package dev.zonekeeper.dns.transfer;

import static dev.zonekeeper.dns.transfer.TransferTesting.KEY;
import static dev.zonekeeper.dns.transfer.TransferTesting.ORIGIN;
import static dev.zonekeeper.dns.transfer.TransferTesting.exampleZone;
import static dev.zonekeeper.dns.transfer.TransferTesting.records;
import static dev.zonekeeper.testing.KnotSecondary.kdig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.testing.KnotSecondary;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

/**
 * The transfer server's dynamic-update hook: UPDATE over TCP and UDP reaches the {@link UpdateHandler} (a recording
 * stand-in here: what it does with the request is the UpdateService's business), UDP updates never hold up the UDP
 * loop and overflow is dropped and counted, and the key of an update policy transfers its own zone (kdig) and
 * nothing else, without ever shadowing the transfer key.
 */
@org.junit.jupiter.api.Tag("real") // starts real processes: runs in `verify`, see CONTRIBUTING.md
class TransferServerUpdatesTest {
    private static final String POLICY_SECRET = "cG9saWN5LWtleS1zZWNyZXQtcG9saWN5LWtleS1zZWNyZXQ=";
    private static final TSIG POLICY_KEY = TsigKeyFile.parse("acme-key:hmac-sha256:" + POLICY_SECRET);
    private static final Name OTHER = Name.fromConstantString("other.test.");

    /** Answers NOERROR, echoing the request's id and zone, after {@link #gate} opens. */
    private static final class Recording implements UpdateHandler {
        final List<Boolean> overTcp = new CopyOnWriteArrayList<>();
        volatile CountDownLatch gate = new CountDownLatch(0);
        volatile TSIG policyKeyNamedLikeTheTransferKey;
        volatile boolean silent;

        @Override
        public byte[] update(byte[] request, InetAddress client, boolean tcp) throws InterruptedException {
            gate.await();
            overTcp.add(tcp);
            if (silent) {
                return null;
            }
            try {
                Message m = new Message(request);
                Message answer = new Message(m.getHeader().getID());
                answer.getHeader().setFlag(org.xbill.DNS.Flags.QR);
                answer.getHeader().setOpcode(Opcode.UPDATE);
                answer.addRecord(m.getQuestion(), Section.ZONE);
                return answer.toWire();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Optional<TSIG> transferKey(Message request, byte[] wire) {
            Name keyName = request.getTSIG().getName();
            Name zone = request.getQuestion().getName();
            boolean inZone = zone.equals(ORIGIN)
                    || request.getQuestion().getType() == Type.SOA && zone.subdomain(ORIGIN); // as UpdateService
            if (keyName.equals(Name.fromConstantString("acme-key.")) && inZone) {
                return Optional.of(POLICY_KEY);
            }
            if (keyName.equals(Name.fromConstantString("zonekeeper-transfer."))
                    && policyKeyNamedLikeTheTransferKey != null) {
                return Optional.of(policyKeyNamedLikeTheTransferKey);
            }
            return Optional.empty();
        }
    }

    private PrimaryZones zones;
    private TransferServer server;
    private final Recording handler = new Recording();

    @BeforeEach
    void setUp() throws Exception {
        zones = new PrimaryZones();
        zones.put(exampleZone());
        zones.put(
                Zone.parse(
                        OTHER,
                        "@ 3600 IN SOA ns1.other.test. hostmaster.other.test. 1 3600 600 86400 30\n@ IN NS ns1\nns1 IN A 192.0.2.9\n"));
        server = TransferServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), zones, KEY);
    }

    @AfterEach
    void tearDown() {
        handler.gate = new CountDownLatch(0);
        server.close();
    }

    private String port() {
        return Integer.toString(server.address().getPort());
    }

    private static Update txtUpdate() throws Exception {
        Update update = new Update(ORIGIN);
        update.add(new TXTRecord(Name.fromString("_acme-challenge", ORIGIN), DClass.IN, 60, "token"));
        return update;
    }

    private SimpleResolver resolver(boolean tcp) {
        SimpleResolver r = new SimpleResolver(server.address());
        r.setTCP(tcp);
        r.setTimeout(Duration.ofSeconds(5));
        return r;
    }

    @Test
    void updatesOverTcpAndUdpGoToTheHandler() throws Exception {
        server.updates(handler);

        Message overUdp = resolver(false).send(txtUpdate());
        Message overTcp = resolver(true).send(txtUpdate());

        assertThat(overUdp.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(overTcp.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(overTcp.getQuestion().getName()).isEqualTo(ORIGIN);
        assertThat(handler.overTcp).containsExactly(false, true);
        assertThat(server.stats().updates()).isEqualTo(2);
    }

    @Test
    void anUpdateTheHandlerLeavesUnansweredGetsNothingAndTheConnectionGoesOn() throws Exception {
        handler.silent = true; // e.g. a retransmission of an update still being applied
        server.updates(handler);
        Message soaQuery = Message.newQuery(Record.newRecord(ORIGIN, Type.SOA, DClass.IN));
        soaQuery.setTSIG(KEY);
        try (java.net.Socket s = new java.net.Socket(
                server.address().getAddress(), server.address().getPort())) {
            s.setSoTimeout(10_000);
            var out = new java.io.DataOutputStream(s.getOutputStream());
            var in = new java.io.DataInputStream(s.getInputStream());
            for (byte[] frame : List.of(txtUpdate().toWire(), soaQuery.toWire(65535))) {
                out.writeShort(frame.length);
                out.write(frame);
            }
            out.flush();
            byte[] answer = new byte[in.readUnsignedShort()];
            in.readFully(answer);
            Message first = new Message(answer);
            assertThat(first.getHeader().getID())
                    .as("the first answer on the connection is the SOA query's")
                    .isEqualTo(soaQuery.getHeader().getID());
            assertThat(first.getSection(Section.ANSWER)).hasSize(1);
        }
        assertThat(handler.overTcp).containsExactly(true);
    }

    @Test
    void withoutAHandlerUpdateIsNotImplemented() throws Exception {
        SimpleResolver r = resolver(true);
        r.setTSIGKey(KEY);
        Message answer = r.send(txtUpdate());
        assertThat(answer.getRcode()).isEqualTo(Rcode.NOTIMP);
        assertThat(server.stats().updates()).isZero();
    }

    @Test
    void udpUpdatesNeverHoldUpTheUdpLoopAndOverflowIsDropped() throws Exception {
        handler.gate = new CountDownLatch(1); // every update blocks, as one waiting for the API server would
        server.updates(handler);
        byte[] wire = txtUpdate().toWire();
        int sent = TransferServer.UDP_UPDATE_WORKERS + TransferServer.UDP_UPDATE_QUEUE + 20;
        try (DatagramSocket client = new DatagramSocket()) {
            // in batches, so the socket's receive buffer never overflows: the server, not the kernel, drops
            for (int i = 0; i < sent; i++) {
                client.send(new DatagramPacket(wire, wire.length, server.address()));
                if (i % 40 == 39 || i == sent - 1) {
                    long upTo = i + 1;
                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> server.stats().updates() == upTo);
                }
            }
        }
        assertThat(server.stats().updatesDropped()).isGreaterThanOrEqualTo(20);

        // the loop still answers while every update worker is blocked
        SimpleResolver r = resolver(false);
        r.setTSIGKey(KEY);
        Message soa = r.send(Message.newQuery(Record.newRecord(ORIGIN, Type.SOA, DClass.IN)));
        assertThat(soa.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(soa.getSection(Section.ANSWER)).hasSize(1);

        handler.gate.countDown();
        long answered = TransferServer.UDP_UPDATE_WORKERS + TransferServer.UDP_UPDATE_QUEUE;
        await().atMost(Duration.ofSeconds(30))
                .until(() -> handler.overTcp.size() == sent - server.stats().updatesDropped());
        assertThat((long) handler.overTcp.size()).isLessThanOrEqualTo(answered);
    }

    @Test
    void anUpdatePolicyKeyTransfersItsZone() throws Exception {
        server.updates(handler);
        KnotSecondary.Dig dig =
                kdig("-y", "hmac-sha256:acme-key:" + POLICY_SECRET, "@127.0.0.1", "-p", port(), "example.test", "AXFR");
        assertThat(dig.exitCode()).as(dig.output()).isZero();
        assertThat(dig.output()).doesNotContain("WARNING").doesNotContain("failed");
        assertThat(dig.records()).isEqualTo(records(zones.get(ORIGIN).zone()));
        assertThat(server.stats().updateKeyTransfers()).isEqualTo(1);
    }

    /**
     * nsupdate without a `zone` line asks `<first name> SOA`, signed with the policy key, and accepts only a signed
     * answer: an authoritative one from the enclosing zone, the SOA in the authority section below the apex.
     */
    @Test
    void aSignedSoaQueryBelowTheApexGetsASignedAuthoritativeAnswer() throws Exception {
        server.updates(handler);
        for (boolean tcp : new boolean[] {false, true}) {
            SimpleResolver r = resolver(tcp);
            r.setTSIGKey(POLICY_KEY);
            // name, rcode, SOA section
            Object[][] rows = {
                {"_acme-challenge.example.test.", Rcode.NXDOMAIN, Section.AUTHORITY},
                {"www.example.test.", Rcode.NOERROR, Section.AUTHORITY},
                {"example.test.", Rcode.NOERROR, Section.ANSWER},
            };
            for (Object[] row : rows) {
                Message m = r.send(
                        Message.newQuery(Record.newRecord(Name.fromString((String) row[0]), Type.SOA, DClass.IN)));
                String what = row[0] + " tcp " + tcp;
                assertThat(m.isSigned()).as(what).isTrue();
                assertThat(m.isVerified()).as(what).isTrue();
                assertThat(m.getRcode()).as(what).isEqualTo((int) row[1]);
                assertThat(m.getHeader().getFlag(org.xbill.DNS.Flags.AA))
                        .as(what)
                        .isTrue();
                assertThat(m.getSection((int) row[2]))
                        .as(what)
                        .containsExactly(zones.get(ORIGIN).zone().soa());
            }
        }
    }

    @Test
    void anUpdatePolicyKeyTransfersNoOtherZone() throws Exception {
        server.updates(handler);
        KnotSecondary.Dig dig =
                kdig("-y", "hmac-sha256:acme-key:" + POLICY_SECRET, "@127.0.0.1", "-p", port(), "other.test", "AXFR");
        assertThat(dig.output()).contains("BADKEY");
        assertThat(dig.records()).isEmpty();
        assertThat(server.stats().axfr()).isZero();
    }

    @Test
    void withoutAHandlerAnUpdatePolicyKeyTransfersNothing() throws Exception {
        KnotSecondary.Dig dig =
                kdig("-y", "hmac-sha256:acme-key:" + POLICY_SECRET, "@127.0.0.1", "-p", port(), "example.test", "AXFR");
        assertThat(dig.output()).contains("BADKEY");
        assertThat(dig.records()).isEmpty();
    }

    @Test
    void aPolicyKeyNamedLikeTheTransferKeyNeverShadowsIt() throws Exception {
        handler.policyKeyNamedLikeTheTransferKey =
                TsigKeyFile.parse("zonekeeper-transfer:hmac-sha256:" + POLICY_SECRET);
        server.updates(handler);
        ZoneTransferInCheck.axfr(server.address(), KEY, zones.get(ORIGIN).zone());
        assertThat(server.stats().updateKeyTransfers()).isZero();
    }

    /** dnsjava's AXFR client, which verifies every message's TSIG. */
    private static final class ZoneTransferInCheck {
        static void axfr(InetSocketAddress at, TSIG key, Zone zone) throws Exception {
            org.xbill.DNS.ZoneTransferIn xfr = org.xbill.DNS.ZoneTransferIn.newAXFR(ORIGIN, at, key);
            xfr.run();
            assertThat(xfr.getAXFR()).hasSize(zone.recordCount() + 1);
        }
    }
}
