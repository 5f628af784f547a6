package dev.zonekeeper.dns.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.zonekeeper.dns.config.ServerConfig.ConfigException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The --rrl-* options: off by default, every value parsed, mistakes named, all in --help. */
class RrlOptionsTest {
    private static ServerConfig parse(String... args) throws ConfigException {
        return ServerConfig.parse(args, List.of());
    }

    @Test
    void offByDefaultWithBindsDefaults() throws ConfigException {
        assertThat(parse().rrl()).isEqualTo(new ServerConfig.Rrl(0, 2, 24, 56, 15));
    }

    @Test
    void everyOptionIsRead() throws ConfigException {
        assertThat(parse(
                                "--rrl-rate",
                                "2000",
                                "--rrl-slip=3",
                                "--rrl-ipv4-prefix",
                                "32",
                                "--rrl-ipv6-prefix",
                                "64",
                                "--rrl-window",
                                "30")
                        .rrl())
                .isEqualTo(new ServerConfig.Rrl(2000, 3, 32, 64, 30));
    }

    @Test
    void badValuesAreNamed() {
        assertThatThrownBy(() -> parse("--rrl-rate", "-1"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--rrl-rate");
        assertThatThrownBy(() -> parse("--rrl-ipv4-prefix", "33")).hasMessageContaining("--rrl-ipv4-prefix");
        assertThatThrownBy(() -> parse("--rrl-ipv6-prefix", "129")).hasMessageContaining("--rrl-ipv6-prefix");
        assertThatThrownBy(() -> parse("--rrl-window", "0")).hasMessageContaining("--rrl-window");
        assertThatThrownBy(() -> parse("--rrl-slip", "x")).hasMessageContaining("--rrl-slip");
    }

    @Test
    void helpListsThem() {
        for (String option :
                List.of("--rrl-rate", "--rrl-slip", "--rrl-ipv4-prefix", "--rrl-ipv6-prefix", "--rrl-window")) {
            assertThat(ServerConfig.USAGE).contains(option);
        }
    }
}
