package dev.zonekeeper.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The server cookies of RFC 9018's test vectors (Appendix A), and validity over time and secret changes. */
class CookiesTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] SECRET = HEX.parseHex("e5e973e5a6b2a43f48e7dc849e37bfcf");
    private static final byte[] CLIENT_IP = {(byte) 198, 51, 100, 100};

    private static String serverCookie(Cookies c, byte[] clientCookie, long now) {
        byte[] out = new byte[Cookies.SERVER_COOKIE_LENGTH];
        c.serverCookie(clientCookie, 0, CLIENT_IP, 4, now, new byte[40], out, 0);
        return HEX.formatHex(out);
    }

    @Test
    void rfc9018A1LearningANewServerCookie() {
        Cookies c = new Cookies(SECRET, () -> 1559731985L);
        byte[] query = HEX.parseHex("2464c4abcf10c957");
        assertThat(c.check(query, 0, 8, CLIENT_IP, 4, 1559731985L, new byte[40]))
                .isEqualTo(Cookies.CLIENT_ONLY);
        assertThat("2464c4abcf10c957" + serverCookie(c, query, 1559731985L))
                .isEqualTo("2464c4abcf10c957010000005cf79f111f8130c3eee29480");
    }

    @Test
    void rfc9018A2TheSameClientLearningARenewedServerCookie() {
        Cookies c = new Cookies(SECRET, () -> 1559734385L);
        byte[] query = HEX.parseHex("2464c4abcf10c957010000005cf79f111f8130c3eee29480");
        assertThat(c.check(query, 0, 24, CLIENT_IP, 4, 1559734385L, new byte[40]))
                .isEqualTo(Cookies.VALID);
        assertThat("2464c4abcf10c957" + serverCookie(c, query, 1559734385L))
                .isEqualTo("2464c4abcf10c957010000005cf7a871d4a564a1442aca77");
    }

    @Test
    void anotherAddressATamperedHashOrAnOldCookieIsInvalid() {
        Cookies c = new Cookies(SECRET, () -> 1559731985L);
        byte[] query = HEX.parseHex("2464c4abcf10c957010000005cf79f111f8130c3eee29480");
        byte[] work = new byte[40];
        assertThat(c.check(query, 0, 24, CLIENT_IP, 4, 1559731985L, work)).isEqualTo(Cookies.VALID);
        assertThat(c.check(query, 0, 24, new byte[] {(byte) 198, 51, 100, 101}, 4, 1559731985L, work))
                .isEqualTo(Cookies.INVALID);
        byte[] tampered = query.clone();
        tampered[23] ^= 1;
        assertThat(c.check(tampered, 0, 24, CLIENT_IP, 4, 1559731985L, work)).isEqualTo(Cookies.INVALID);
        assertThat(c.check(query, 0, 24, CLIENT_IP, 4, 1559731985L + 3601, work))
                .as("over an hour old")
                .isEqualTo(Cookies.INVALID);
        assertThat(c.check(query, 0, 24, CLIENT_IP, 4, 1559731985L - 301, work))
                .as("over 5 minutes ahead")
                .isEqualTo(Cookies.INVALID);
    }

    @Test
    void aCookieSurvivesOneSecretChangeNotTwo() {
        AtomicLong now = new AtomicLong(1_800_000_000L);
        Cookies c = new Cookies(600, now::get);
        byte[] query = new byte[24];
        query[0] = 42;
        byte[] work = new byte[40];
        c.serverCookie(query, 0, CLIENT_IP, 4, now.get(), work, query, 8);
        assertThat(c.check(query, 0, 24, CLIENT_IP, 4, now.get(), work)).isEqualTo(Cookies.VALID);
        now.addAndGet(600); // a new secret; the previous one still validates
        assertThat(c.check(query, 0, 24, CLIENT_IP, 4, now.get(), work)).isEqualTo(Cookies.VALID);
        now.addAndGet(600); // another: the cookie's secret is gone
        assertThat(c.check(query, 0, 24, CLIENT_IP, 4, now.get(), work)).isEqualTo(Cookies.INVALID);
    }
}
