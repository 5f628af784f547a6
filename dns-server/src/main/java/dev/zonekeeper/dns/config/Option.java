package dev.zonekeeper.dns.config;

import java.util.List;
import java.util.Locale;

/**
 * One row of the DNS server's option table ({@link ServerConfig#OPTIONS}), which is the only description of an
 * option: the parser, {@code --help}, the environment variable and the README's option table all come from it.
 *
 * @param name       {@code --listen}
 * @param arg        the value's placeholder in {@code --help}, {@code HOST:PORT}
 * @param defaultDoc the README's default column
 * @param help       the {@code --help} text, one string per line of at most 78 characters with the option
 * @param doc        the README's meaning column
 * @param repeatable whether the option may be given several times (a comma-separated list in the environment)
 * @param setter     applies one value to the parse under way
 */
public record Option(
        String name, String arg, String defaultDoc, List<String> help, String doc, boolean repeatable, Setter setter) {

    /** Where {@code --help} starts an option's text. */
    private static final int HELP_COLUMN = 27;

    /** Applies a value of the option, or names what is wrong with it. */
    @FunctionalInterface
    interface Setter {
        void apply(ServerConfig.Builder b, String option, String value) throws ServerConfig.ConfigException;
    }

    /** {@code --listen} is {@code ZONEKEEPER_LISTEN}: the prefix, the name upper-case, dashes as underscores. */
    public String env() {
        return "ZONEKEEPER_" + name.substring(2).toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The option's lines of {@code --help}. */
    String usage() {
        StringBuilder sb = new StringBuilder();
        String head = "  " + name + " " + arg;
        sb.append(head)
                .append(" ".repeat(Math.max(2, HELP_COLUMN - head.length())))
                .append(help.getFirst());
        for (String line : help.subList(1, help.size())) {
            sb.append('\n').append(" ".repeat(HELP_COLUMN)).append(line);
        }
        return sb.toString();
    }

    /** The option's row of the README's table. */
    String markdownRow() {
        return "| `" + name + " " + arg + "` | `" + env() + "` | " + defaultDoc + " | " + doc + " |";
    }
}
