package dev.zonekeeper.dns.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

class TsigKeyFileTest {
    @Test
    void parsesTheContractFormatIntoAWorkingKey() throws Exception {
        TSIG key = TsigKeyFile.parse(TransferTesting.KEY_TEXT + "\n");
        Message m = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString("example.test."), Type.SOA, 1));
        key.apply(m, null);
        byte[] wire = m.toWire();
        // Same name, algorithm and secret as the hand-built key.
        TSIG same = new TSIG(
                TSIG.HMAC_SHA256,
                Name.fromString("zonekeeper-transfer."),
                java.util.Base64.getDecoder().decode(TransferTesting.SECRET));
        assertThat(same.verify(new Message(wire), wire, null)).isEqualTo(Rcode.NOERROR);
    }

    @Test
    void readsAKeyFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tsig.key");
        Files.writeString(f, TransferTesting.KEY_TEXT + "\n");
        assertThat(TsigKeyFile.read(f)).isNotNull();
        Files.writeString(f, "zonekeeper-transfer:hmac-sha256");
        assertThatThrownBy(() -> TsigKeyFile.read(f))
                .hasMessageContaining(f.toString())
                .hasMessageContaining("3 fields");
        Files.writeString(f, "acme:hmac-md5:" + TransferTesting.SECRET + "\n");
        assertThat(TsigKeyFile.readUpdateKey(f).name()).isEqualTo(Name.fromString("acme."));
        assertThatThrownBy(() -> TsigKeyFile.read(f))
                .hasMessageContaining(f.toString())
                .hasMessageContaining("hmac-md5");
    }

    @Test
    void rejectsBadKeysWithAClearMessage() {
        assertThatThrownBy(() -> TsigKeyFile.parse("")).hasMessageContaining("name:algorithm:base64secret");
        assertThatThrownBy(() -> TsigKeyFile.parse("k:hmac-sha999:c2VjcmV0")).hasMessageContaining("hmac-sha999");
        assertThatThrownBy(() -> TsigKeyFile.parse("k:hmac-md5:c2VjcmV0")).hasMessageContaining("hmac-md5");
        assertThatThrownBy(() -> TsigKeyFile.parse("k:hmac-sha256:not base64!"))
                .hasMessageContaining("base64")
                .hasMessageNotContaining("not base64!");
        assertThatThrownBy(() -> TsigKeyFile.parse("k:hmac-sha256:")).hasMessageContaining("empty");
        assertThatThrownBy(() -> TsigKeyFile.parse(":hmac-sha256:c2VjcmV0")).hasMessageContaining("name is empty");
    }

    @Test
    void updateKeysAcceptEveryAlgorithmClientsUseAndKeepTheirName() throws Exception {
        for (String algorithm : java.util.List.of(
                "hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512")) {
            TsigKeyFile.Key key =
                    TsigKeyFile.parseUpdateKey("Acme-Key:" + algorithm.toUpperCase() + ":" + TransferTesting.SECRET);
            assertThat(key.name()).isEqualTo(Name.fromString("acme-key."));
            assertThat(key.algorithm()).isEqualTo(TSIG.algorithmToName(algorithm));
            Message m = Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromString("example.test."), Type.SOA, 1));
            TSIG client = new TSIG(
                    TSIG.algorithmToName(algorithm),
                    Name.fromString("acme-key."),
                    java.util.Base64.getDecoder().decode(TransferTesting.SECRET));
            client.apply(m, null);
            byte[] wire = m.toWire();
            assertThat(key.tsig().verify(new Message(wire), wire, null))
                    .as(algorithm)
                    .isEqualTo(Rcode.NOERROR);
        }
        // transfer keys still refuse md5
        assertThatThrownBy(() -> TsigKeyFile.parse("k:hmac-md5:" + TransferTesting.SECRET))
                .hasMessageContaining("hmac-md5");
        assertThatThrownBy(() -> TsigKeyFile.parseUpdateKey("k:hmac-sha999:c2VjcmV0"))
                .hasMessageContaining("hmac-md5");
    }
}
