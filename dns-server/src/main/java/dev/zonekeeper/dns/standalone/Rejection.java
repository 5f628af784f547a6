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

    /** The rejection as one log line, e.g. {@code records/web.yaml (www): ttl 90000 is outside 0-86400}. */
    public String toLogLine() {
        return document.isEmpty() ? file + ": " + reason : file + " (" + document + "): " + reason;
    }
}
