package dev.zonekeeper.dns.transfer;

import dev.zonekeeper.dns.zone.Zone;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;

/**
 * The sidecar's last-known zones on disk ({@code --snapshot-dir}, an {@code emptyDir} in the chart, so they survive a
 * restart of the container but not of the pod): one file per zone, rewritten after every transfer that changed it,
 * and read at start so that a sidecar restarted while the primary is away serves its zones at once instead of
 * SERVFAIL.
 *
 * <p>File format (version 1): header lines {@code key value} in US-ASCII, ending with an empty line:
 * <pre>
 * zonekeeper-snapshot 1
 * zone example.test.
 * serial 42
 * primary 127.0.0.1:5300
 * key &lt;SHA-256 hex of the TSIG key, or "none"&gt;
 * written 2026-12-07T19:00:00Z
 * records 5
 * </pre>
 * then each record in uncompressed wire form after a 2-byte length, SOA first; then the trailer
 * {@code sha256 <hex>\n}, the SHA-256 of everything before it. Written to a temporary file, fsynced, renamed over the
 * old one, and the directory fsynced: a crash leaves the old or the new snapshot, never half of one.
 *
 * <p>Every byte read is treated as hostile: a file over {@link #maxBytes}, cut short, with a wrong checksum or header,
 * records that do not parse or do not make a valid zone, is refused ({@link Refusal}); so is a snapshot of another
 * zone, primary or TSIG key (foreign), or one the primary last confirmed longer than {@code maxAge} ago (expired).
 * Refusals are logged and reported to the {@link Listener}; nothing here throws at the caller.
 *
 * <p>The age of a snapshot is the time since the primary last confirmed its content: the file's modification time,
 * set when it is written and touched ({@link #confirm}) whenever the primary answers that the zone is current.
 */
public final class ZoneSnapshots implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(ZoneSnapshots.class);
    static final String MAGIC = "zonekeeper-snapshot";
    static final int VERSION = 1;
    /** Default bound of one snapshot file: a zone of several hundred thousand records. */
    public static final long DEFAULT_MAX_BYTES = 32L << 20;

    private static final int MAX_LINE = 1024;
    private static final int MAX_HEADER_LINES = 32;
    /** The smallest record on the wire: the root name (1 byte), type, class, TTL, RDLENGTH. */
    private static final int MIN_RECORD_BYTES = 11;

    private static final String SUFFIX = ".snapshot";
    /** Shortest time between two writes of one zone's snapshot. */
    static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

    /** Why a snapshot was not loaded; the metric label is the lower-case name. */
    public enum Refusal {
        /** Bad checksum, header, records, or not a valid zone. */
        CORRUPT,
        /** The file ends before the records or the trailer. */
        TRUNCATED,
        /** Another zone, primary or TSIG key. */
        FOREIGN,
        /** Larger than the bound. */
        TOO_LARGE,
        /** Last confirmed by the primary longer than the maximum age ago. */
        EXPIRED,
        /** Cannot be read (permissions, I/O error). */
        UNREADABLE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Told of refusals and writes (on the caller's or the writer's thread); must not block. */
    public interface Listener {
        Listener NONE = new Listener() {};

        default void refused(Name zone, Refusal reason) {}

        default void written(Name zone, long serial) {}

        default void writeFailed(Name zone) {}
    }

    /** A snapshot loaded: the zone, and when the primary last confirmed it. */
    public record Loaded(Zone zone, Instant confirmed) {}

    private final Path dir;
    private final String primary;
    private final String keyId;
    private final Duration maxAge;
    private final long maxBytes;
    private final Clock clock;
    private final Listener listener;
    private final Map<Name, Zone> toWrite = new ConcurrentHashMap<>();
    private final Map<Name, Boolean> failing = new ConcurrentHashMap<>();
    /** System.nanoTime() of each zone's last write (writer thread only). */
    private final Map<Name, Long> lastWrite = new ConcurrentHashMap<>();

    private final ScheduledExecutorService writer;

    /**
     * @param primary the primary's address as text: a snapshot of another primary is foreign
     * @param keyId   {@link #keyId} of the TSIG key in use: a snapshot of another key is foreign
     */
    public ZoneSnapshots(
            Path dir, String primary, String keyId, Duration maxAge, long maxBytes, Clock clock, Listener listener) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.primary = Objects.requireNonNull(primary, "primary");
        this.keyId = Objects.requireNonNull(keyId, "keyId");
        this.maxAge = Objects.requireNonNull(maxAge, "maxAge");
        this.maxBytes = maxBytes;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.writer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "zone-snapshots");
            t.setDaemon(true);
            return t;
        });
        try {
            Files.createDirectories(dir);
            removeLeftovers();
        } catch (IOException e) {
            LOG.warn("snapshot directory {} is not usable: {}", dir, e.toString());
        }
    }

    /** The identity of a TSIG key line ({@code name:algorithm:secret}) in snapshot headers: a SHA-256, never the secret. */
    public static String keyId(String keyLine) {
        if (keyLine == null) {
            return "none";
        }
        return sha256Hex(("zonekeeper-snapshot-key\n" + keyLine.strip()).getBytes(StandardCharsets.UTF_8));
    }

    /** The file of {@code origin}'s snapshot. */
    public Path file(Name origin) {
        String n = origin.toString().toLowerCase(Locale.ROOT);
        n = n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
        if (!n.matches("[a-z0-9][a-z0-9._-]{0,200}")) {
            n = "zone-" + sha256Hex(origin.toString().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        }
        return dir.resolve(n + SUFFIX);
    }

    // --- reading --------------------------------------------------------------------------------------------------

    /** The valid snapshot of {@code origin}, or null when there is none or it is refused (logged and reported). */
    public Loaded load(Name origin) {
        Path file = file(origin);
        try {
            long size;
            FileTime modified;
            try {
                if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    if (!Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        throw new NoSuchFileException(file.toString());
                    }
                    // a FIFO would block the start, a link could point anywhere
                    return refuse(origin, file, Refusal.UNREADABLE, "not a regular file");
                }
                size = Files.size(file);
                modified = Files.getLastModifiedTime(file, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                LOG.info("no snapshot of {} in {}", origin, dir);
                return null;
            }
            if (size > maxBytes) {
                return refuse(origin, file, Refusal.TOO_LARGE, size + " bytes, more than the bound of " + maxBytes);
            }
            Instant confirmed = modified.toInstant();
            Duration age = Duration.between(confirmed, clock.instant());
            if (age.compareTo(maxAge) > 0) {
                return refuse(
                        origin,
                        file,
                        Refusal.EXPIRED,
                        "last confirmed by the primary " + age.toSeconds() + " s ago, longer than --snapshot-max-age "
                                + maxAge.toSeconds() + " s");
            }
            if (confirmed.isAfter(clock.instant())) {
                confirmed = clock.instant(); // a modification time in the future must not extend its life
            }
            Zone zone;
            try (InputStream in =
                    new Limited(Files.newInputStream(file, java.nio.file.LinkOption.NOFOLLOW_LINKS), size)) {
                zone = read(origin, in, size); // never more than the size checked, even if the file grows meanwhile
            }
            return new Loaded(zone, confirmed);
        } catch (Refused r) {
            return refuse(origin, file, r.reason, r.getMessage());
        } catch (IOException | RuntimeException e) {
            return refuse(origin, file, Refusal.UNREADABLE, e.toString());
        }
    }

    private Loaded refuse(Name origin, Path file, Refusal reason, String why) {
        LOG.warn("snapshot {} of {} refused ({}): {}", file, origin, reason.label(), why);
        try {
            listener.refused(origin, reason);
        } catch (RuntimeException e) {
            LOG.warn("snapshot listener failed", e);
        }
        return null;
    }

    private static final class Refused extends Exception {
        final Refusal reason;

        Refused(Refusal reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }

    /** Reads and checks a snapshot of {@code origin} of {@code size} bytes. */
    private Zone read(Name origin, InputStream raw, long size) throws IOException, Refused {
        MessageDigest sha = sha256();
        DigestInputStream digest = new DigestInputStream(new BufferedInputStream(raw, 65_536), sha);
        DataInputStream in = new DataInputStream(digest);
        try {
            Map<String, String> header = new LinkedHashMap<>();
            String first = line(in);
            if (!first.equals(MAGIC + " " + VERSION)) {
                throw new Refused(
                        Refusal.CORRUPT,
                        "not a version " + VERSION + " snapshot (first line '" + printable(first) + "')");
            }
            for (int i = 0; ; i++) {
                String l = line(in);
                if (l.isEmpty()) {
                    break;
                }
                if (i >= MAX_HEADER_LINES) {
                    throw new Refused(Refusal.CORRUPT, "header has more than " + MAX_HEADER_LINES + " lines");
                }
                int sp = l.indexOf(' ');
                if (sp <= 0) {
                    throw new Refused(Refusal.CORRUPT, "header line '" + printable(l) + "' is not 'key value'");
                }
                header.put(l.substring(0, sp), l.substring(sp + 1));
            }
            long count = number(header, "records", 1, size / MIN_RECORD_BYTES);
            long serial = number(header, "serial", 0, 0xFFFF_FFFFL);
            List<byte[]> wires = new ArrayList<>((int) Math.min(count, 65_536));
            for (long i = 0; i < count; i++) {
                int len = in.readUnsignedShort();
                if (len < MIN_RECORD_BYTES) {
                    throw new Refused(Refusal.CORRUPT, "record " + i + " has a length of " + len + " bytes");
                }
                byte[] w = new byte[len];
                in.readFully(w);
                wires.add(w);
            }
            digest.on(false);
            String trailer = line(in);
            if (in.read() != -1) {
                throw new Refused(Refusal.CORRUPT, "bytes after the trailer");
            }
            String expected = "sha256 " + HexFormat.of().formatHex(sha.digest());
            if (!trailer.equals(expected)) {
                throw new Refused(Refusal.CORRUPT, "checksum does not match (" + printable(trailer) + ")");
            }
            // From here the content is as written; whose it is decides whether it may be served.
            String zoneName = header.getOrDefault("zone", "");
            if (!zoneName.equalsIgnoreCase(origin.toString())) {
                throw new Refused(Refusal.FOREIGN, "a snapshot of zone '" + printable(zoneName) + "'");
            }
            if (!primary.equals(header.get("primary"))) {
                throw new Refused(
                        Refusal.FOREIGN,
                        "written for primary " + printable(header.get("primary")) + ", not " + primary);
            }
            if (!keyId.equals(header.get("key"))) {
                throw new Refused(Refusal.FOREIGN, "written with another TSIG key");
            }
            List<org.xbill.DNS.Record> records = new ArrayList<>(wires.size());
            for (byte[] w : wires) {
                org.xbill.DNS.Record r;
                try {
                    r = org.xbill.DNS.Record.fromWire(w, Section.ANSWER);
                } catch (IOException | RuntimeException e) {
                    throw new Refused(Refusal.CORRUPT, "a record does not parse: " + e.getMessage());
                }
                if (!r.getName().subdomain(origin)) {
                    throw new Refused(Refusal.CORRUPT, "a record outside the zone: " + r.getName());
                }
                records.add(r);
            }
            wires.clear();
            Zone zone;
            try {
                zone = Zone.of(origin, records);
            } catch (RuntimeException e) {
                throw new Refused(Refusal.CORRUPT, "not a valid zone: " + e.getMessage());
            }
            if (zone.serial() != serial) {
                throw new Refused(Refusal.CORRUPT, "header serial " + serial + " but the SOA has " + zone.serial());
            }
            return zone;
        } catch (EOFException e) {
            throw new Refused(Refusal.TRUNCATED, "the file ends early (" + size + " bytes)");
        }
    }

    private static long number(Map<String, String> header, String key, long min, long max) throws Refused {
        String v = header.get(key);
        try {
            long n = Long.parseLong(v == null ? "" : v);
            if (n < min || n > max) {
                throw new Refused(Refusal.CORRUPT, "header " + key + " " + n + " is outside " + min + "-" + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new Refused(Refusal.CORRUPT, "header " + key + " '" + printable(v) + "' is not a number");
        }
    }

    /** One line of at most {@link #MAX_LINE} bytes, without its newline; EOFException at the end of the file. */
    private static String line(DataInputStream in) throws IOException, Refused {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        while (true) {
            int c = in.read();
            if (c == -1) {
                throw new EOFException();
            }
            if (c == '\n') {
                return b.toString(StandardCharsets.US_ASCII);
            }
            if (b.size() >= MAX_LINE) {
                throw new Refused(Refusal.CORRUPT, "a header line is longer than " + MAX_LINE + " bytes");
            }
            b.write(c);
        }
    }

    private static String printable(String s) {
        if (s == null) {
            return "(none)";
        }
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }

    // --- writing --------------------------------------------------------------------------------------------------

    /**
     * Writes {@code zone} in the background, at most once per {@link #MIN_INTERVAL} per zone; a newer version given
     * before the write starts replaces it, so a burst of changes costs one write (the whole zone is rewritten each
     * time, and the transfer thread never waits for the disk).
     */
    public void save(Zone zone) {
        Name origin = zone.origin();
        if (toWrite.put(origin, zone) == null) {
            try {
                Long last = lastWrite.get(origin);
                long wait = last == null ? 0 : Math.max(0, last + MIN_INTERVAL.toNanos() - System.nanoTime());
                writer.schedule(
                        () -> {
                            Zone z = toWrite.remove(origin);
                            if (z != null) {
                                lastWrite.put(origin, System.nanoTime());
                                writeQuietly(z);
                            }
                        },
                        wait,
                        TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                toWrite.remove(origin); // closed
            }
        }
    }

    /** The primary confirmed that the zone written last is current: the snapshot's age starts again. */
    public void confirm(Name origin) {
        try {
            writer.execute(() -> {
                try {
                    Files.setLastModifiedTime(file(origin), FileTime.from(clock.instant()));
                } catch (NoSuchFileException e) {
                    // not written (yet): nothing to confirm
                } catch (IOException e) {
                    LOG.debug("touching the snapshot of {} failed: {}", origin, e.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed
        }
    }

    private void writeQuietly(Zone zone) {
        try {
            write(zone);
            if (failing.remove(zone.origin()) != null) {
                LOG.info("snapshot of {} written again (serial {})", zone.origin(), zone.serial());
            }
            listener.written(zone.origin(), zone.serial());
        } catch (IOException | RuntimeException e) {
            // Logged once until it works again: a full disk must not flood the log at every change.
            if (failing.put(zone.origin(), Boolean.TRUE) == null) {
                LOG.warn(
                        "writing the snapshot of {} to {} failed (the zone is still served; a restart while the "
                                + "primary is away would find an older snapshot or none): {}",
                        zone.origin(),
                        dir,
                        e.toString());
            }
            listener.writeFailed(zone.origin());
        }
    }

    /** Writes {@code zone}'s snapshot now: temporary file, fsync, rename, fsync of the directory. */
    void write(Zone zone) throws IOException {
        Path target = file(zone.origin());
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try {
            // A new file, never through a link or into whatever is left at that name.
            Files.deleteIfExists(tmp);
            try (FileChannel ch = FileChannel.open(
                    tmp,
                    StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                MessageDigest sha = sha256();
                CountingOutputStream counting = new CountingOutputStream(
                        new BufferedOutputStream(Channels.newOutputStream(ch), 65_536), maxBytes);
                DigestOutputStream digest = new DigestOutputStream(counting, sha);
                DataOutputStream out = new DataOutputStream(digest);
                List<org.xbill.DNS.Record> records = zone.records();
                StringBuilder h = new StringBuilder()
                        .append(MAGIC)
                        .append(' ')
                        .append(VERSION)
                        .append('\n')
                        .append("zone ")
                        .append(zone.origin())
                        .append('\n')
                        .append("serial ")
                        .append(zone.serial())
                        .append('\n')
                        .append("primary ")
                        .append(primary)
                        .append('\n')
                        .append("key ")
                        .append(keyId)
                        .append('\n')
                        .append("written ")
                        .append(clock.instant())
                        .append('\n')
                        .append("records ")
                        .append(records.size())
                        .append('\n')
                        .append('\n');
                out.write(h.toString().getBytes(StandardCharsets.US_ASCII));
                for (org.xbill.DNS.Record r : records) {
                    byte[] w = r.toWire(Section.ANSWER);
                    out.writeShort(w.length);
                    out.write(w);
                }
                out.flush();
                digest.on(false);
                out.write(("sha256 " + HexFormat.of().formatHex(sha.digest()) + "\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // the rename itself survives a crash of the node
        } catch (IOException e) {
            LOG.debug("fsync of {} failed: {}", dir, e.toString());
        }
    }

    /** Temporary files of a write a crash interrupted. */
    private void removeLeftovers() throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "." + "*" + SUFFIX + ".tmp")) {
            for (Path p : s) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Writes what is waiting for its turn now, and waits (at most {@code timeout}) for the writes asked for so far. */
    public void flush(Duration timeout) {
        try {
            writer.submit(() -> {
                        for (Name origin : List.copyOf(toWrite.keySet())) {
                            Zone z = toWrite.remove(origin);
                            if (z != null) {
                                lastWrite.put(origin, System.nanoTime());
                                writeQuietly(z);
                            }
                        }
                    })
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException
                | java.util.concurrent.TimeoutException
                | java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("snapshot writes not flushed: {}", e.toString());
        }
    }

    /** Finishes the writes asked for (waiting a few seconds at most), then stops. */
    @Override
    public void close() {
        flush(Duration.ofSeconds(5));
        writer.shutdownNow();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256Hex(byte[] b) {
        return HexFormat.of().formatHex(sha256().digest(b));
    }

    /** Reads at most {@code limit} bytes, then reports the end of the file. */
    private static final class Limited extends java.io.FilterInputStream {
        private long left;

        Limited(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }

    /** Fails a write that would pass the bound, so a zone grown too big never fills the volume. */
    private static final class CountingOutputStream extends java.io.FilterOutputStream {
        private final long max;
        private long count;

        CountingOutputStream(OutputStream out, long max) {
            super(out);
            this.max = max;
        }

        @Override
        public void write(int b) throws IOException {
            add(1);
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            add(len);
            out.write(b, off, len);
        }

        private void add(long n) throws IOException {
            count += n;
            if (count > max) {
                throw new IOException("the snapshot would be larger than the bound of " + max + " bytes");
            }
        }
    }
}
