package dev.zonekeeper.dns.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class WireBytesTest {

    @Test
    void lower4LowerCasesEachOfItsFourBytesAsLowerDoes() {
        // every byte value in every position, beside every value of a neighbour (whose carries must not leak)
        for (int v = 0; v < 256; v++) {
            for (int other = 0; other < 256; other++) {
                for (int pos = 0; pos < 4; pos++) {
                    byte[] b = {(byte) other, (byte) other, (byte) other, (byte) other};
                    b[pos] = (byte) v;
                    int w = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
                    byte[] lowered = ByteBuffer.allocate(4)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putInt(WireBytes.lower4(w))
                            .array();
                    for (int i = 0; i < 4; i++) {
                        assertThat(lowered[i])
                                .as("byte %d of %s", i, java.util.Arrays.toString(b))
                                .isEqualTo(WireBytes.lower(b[i]));
                    }
                }
            }
        }
    }

    @Test
    void questionHashIsTheSameForAnyCaseAndAnyOffset() {
        byte[] name = "\u0003WwW\u0007ExAmPlE\u0004TeSt\u0000".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] lower = "\u0003www\u0007example\u0004test\u0000".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        int expected = WireBytes.questionHash(lower, 0, lower.length, 0x10001);
        for (int offset = 0; offset < 7; offset++) {
            byte[] packet = new byte[offset + name.length + 3];
            System.arraycopy(name, 0, packet, offset, name.length);
            assertThat(WireBytes.questionHash(packet, offset, name.length, 0x10001))
                    .isEqualTo(expected);
        }
        assertThat(WireBytes.questionHash(lower, 0, lower.length, 0x1C0001)).isNotEqualTo(expected);
    }
}
