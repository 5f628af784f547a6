package dev.zonekeeper.dns.transfer;

import static dev.zonekeeper.dns.transfer.TransferTesting.KEY;
import static dev.zonekeeper.dns.transfer.TransferTesting.ORIGIN;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/** NOTIFY reception over UDP, sent with dnsjava's resolver. */
class NotifyListenerTest {
    private final List<Long> notified = new CopyOnWriteArrayList<>();
    private NotifyListener listener;

    @BeforeEach
    void setUp() throws Exception {
        listener = NotifyListener.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), KEY, (zone, serial) -> {
                    if (!zone.equals(ORIGIN)) {
                        return false;
                    }
                    notified.add(serial);
                    return true;
                });
    }

    @AfterEach
    void tearDown() {
        listener.close();
    }

    private Message send(Name zone, TSIG key) throws Exception {
        Message notify = new Message();
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        notify.getHeader().setFlag(Flags.AA);
        notify.addRecord(org.xbill.DNS.Record.newRecord(zone, Type.SOA, 1), Section.QUESTION);
        notify.addRecord(TransferTesting.exampleZone().soa(), Section.ANSWER);
        SimpleResolver resolver = new SimpleResolver(listener.address());
        resolver.setTimeout(Duration.ofSeconds(5));
        if (key != null) {
            resolver.setTSIGKey(key);
        }
        return resolver.send(notify);
    }

    @Test
    void signedNotifyIsAcknowledgedSignedAndHandedOn() throws Exception {
        Message reply = send(ORIGIN, KEY);
        assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(reply.getHeader().getOpcode()).isEqualTo(Opcode.NOTIFY);
        assertThat(reply.isVerified()).isTrue(); // the resolver verified the reply's TSIG
        assertThat(notified).containsExactly(1L);
        assertThat(listener.accepted()).isEqualTo(1);
    }

    @Test
    void unsignedNotifyIsRefusedAndIgnored() throws Exception {
        Message reply = send(ORIGIN, null);
        assertThat(reply.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(notified).isEmpty();
        assertThat(listener.rejected()).isEqualTo(1);
    }

    @Test
    void notifyWithAnotherKeyIsNotAuthorized() throws Exception {
        Message reply = send(ORIGIN, TsigKeyFile.parse("zonekeeper-transfer:hmac-sha256:b3RoZXItc2VjcmV0"));
        assertThat(reply.getRcode()).isEqualTo(Rcode.NOTAUTH);
        assertThat(reply.getTSIG().getError()).isEqualTo(Rcode.BADSIG);
        assertThat(notified).isEmpty();
    }

    @Test
    void notifyForAZoneNotKeptHereIsNotAuthoritative() throws Exception {
        Message reply = send(Name.fromString("other.test."), KEY);
        assertThat(reply.getRcode()).isEqualTo(Rcode.NOTAUTH);
        assertThat(notified).isEmpty();
    }
}
