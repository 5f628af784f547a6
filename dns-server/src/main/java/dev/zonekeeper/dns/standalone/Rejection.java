package dev.zonekeeper.dns.standalone;

import java.nio.file.Path;

/**
 * A manifest, or a whole file, that was not loaded.
 *
 * @param file the file, as a path under the directory that was loaded
 * @param document which document in the file: its {@code metadata.name} ({@code namespace/name} when a namespace is
 *     given), {@code document N} (1-based) when it has none, or the empty string when the whole file was refused
 * @param reason why, in one line; several problems with one document are separated by {@code ; }
 */
public record Rejection(Path file, String document, String reason) {

    /**
     * The rejection as one log line, e.g. {@code records/web.yaml (www): ttl 90000 is outside 0-86400}. Control
     * characters (from a file name, a value, or the YAML parser quoting the character it choked on) are escaped, so
     * whoever writes a records file cannot forge further log lines.
     */
    public String toLogLine() {
        return escape(document.isEmpty() ? file + ": " + reason : file + " (" + document + "): " + reason);
    }

    private static String escape(String line) {
        StringBuilder sb = null;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            boolean control = c < 0x20 || c == 0x7F || c == 0x85 || c == 0x2028 || c == 0x2029;
            if (control && sb == null) {
                sb = new StringBuilder(line.length() + 16).append(line, 0, i);
            }
            if (control) {
                switch (c) {
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> sb.append(String.format("\\u%04x", (int) c));
                }
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? line : sb.toString();
    }
}
