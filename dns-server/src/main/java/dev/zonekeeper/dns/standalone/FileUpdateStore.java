package dev.zonekeeper.dns.standalone;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.zonekeeper.dns.record.RecordSpecs;
import dev.zonekeeper.dns.update.ChangeSet;
import dev.zonekeeper.dns.update.RecordValues;
import dev.zonekeeper.dns.update.UpdatePolicy;
import dev.zonekeeper.dns.update.UpdateResult;
import dev.zonekeeper.dns.update.UpdateStore;
import dev.zonekeeper.dns.zone.Zone;
import dev.zonekeeper.dns.zone.ZoneApex;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * Standalone mode's {@link UpdateStore}: every RRset an update writes is one DnsRecord YAML file under
 * {@code --records/updates/}, named after the RRset ({@code _acme-challenge.example.test-TXT.yaml}), read by the
 * {@link ManifestDirectory} like any other manifest and editable by hand.
 *
 * <p>All or nothing, for the answers and across a crash. A commit runs on the {@link DirectoryWatcher}'s reload thread
 * ({@link DirectoryWatcher#exclusive}), so no reload sees it half done; it writes each new file to a hidden temporary
 * file (the loader skips names starting with {@code .}) and fsyncs it, then writes and fsyncs a journal
 * {@code updates/.commit} listing the renames and deletions, then performs them, fsyncs the directory, removes the
 * journal, and reloads. A crash before the journal is complete leaves only temporary files (removed at the next
 * start); a crash after it is rolled forward at the next start ({@link #recover}), before the first load. Once
 * reloaded the change must be served exactly; if the loader refused a file (a conflict with a hand-written one), the
 * previous files are put back and the update fails (SERVFAIL). {@link #commit} returns once the zone is served.
 *
 * <p>{@link #ownership}: names held by records in files outside {@code updates/} are never taken over
 * (OWNED_ELSEWHERE), nor the apex SOA and NS or the name server's address, which the server generates
 * (GENERATED_NAME).
 */
public final class FileUpdateStore implements UpdateStore {
    private static final Logger LOG = LoggerFactory.getLogger(FileUpdateStore.class);

    /** The subdirectory of {@code --records} that updates write. */
    public static final String DIRECTORY = "updates";

    static final String JOURNAL = ".commit";
    private static final String TEMP_PREFIX = ".tmp-";
    /** File names longer than this (of a long owner name) end in a hash instead (255 bytes is the usual limit). */
    private static final int MAX_BASE = 180;

    private static final Pattern PLAIN = Pattern.compile("[a-z0-9._-]+");
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .build());

    private final Path updates;
    private final Supplier<ZoneSet> served;
    private volatile DirectoryWatcher watcher;
    private volatile Index index = new Index(Set.of(), Map.of(), Map.of());

    /** What the last load says about who holds which names. */
    private record Index(Set<Name> handWritten, Map<RRsetKey, Path> updateFiles, Map<Path, Integer> rrsetsPerFile) {}

    private record RRsetKey(Name name, int type) {}

    /**
     * @param records the {@code --records} directory
     * @param served the zones served now
     */
    public FileUpdateStore(Path records, Supplier<ZoneSet> served) {
        this.updates = records.resolve(DIRECTORY);
        this.served = served;
    }

    /** Commits go through {@code watcher}'s reload thread; set before the first update. */
    public void watcher(DirectoryWatcher watcher) {
        this.watcher = watcher;
    }

    /** Every load of the directory, before its zones are served (on the reload thread). */
    public void loaded(LoadResult result) {
        Set<Name> handWritten = new HashSet<>();
        Map<RRsetKey, Path> files = new HashMap<>();
        Map<Path, Set<RRsetKey>> perFile = new HashMap<>();
        Path root = updates.getFileName();
        for (int i = 0; i < result.records().size() && i < result.recordFiles().size(); i++) {
            org.xbill.DNS.Record r = result.records().get(i);
            Path file = result.recordFiles().get(i);
            if (file.getNameCount() > 1 && file.getName(0).equals(root)) {
                RRsetKey key = new RRsetKey(r.getName(), r.getType());
                files.put(key, file);
                perFile.computeIfAbsent(file, f -> new HashSet<>()).add(key);
            } else {
                handWritten.add(r.getName());
            }
        }
        Map<Path, Integer> counts = new HashMap<>();
        perFile.forEach((f, keys) -> counts.put(f, keys.size()));
        index = new Index(Set.copyOf(handWritten), Map.copyOf(files), Map.copyOf(counts));
    }

    @Override
    public Optional<Zone> current(Name zone) {
        return Optional.ofNullable(served.get().get(zone));
    }

    @Override
    public Optional<Refusal> ownership(UpdatePolicy policy, Name name, int type) {
        Name zone = policy.zone();
        if (name.equals(zone) && (type == Type.SOA || type == Type.NS)) {
            return Optional.of(new Refusal(
                    UpdateResult.GENERATED_NAME, "the SOA and NS of the zone apex " + zone + " are generated"));
        }
        if (name.equals(ZoneApex.nameServer(zone))) {
            return Optional.of(
                    new Refusal(UpdateResult.GENERATED_NAME, name + " is the generated name server of " + zone));
        }
        if (index.handWritten().contains(name)) {
            return Optional.of(new Refusal(
                    UpdateResult.OWNED_ELSEWHERE,
                    name + " is held by a DnsRecord under --records that no update wrote"));
        }
        return Optional.empty();
    }

    @Override
    public void commit(UpdatePolicy policy, ChangeSet changes) throws UpdateStoreException, InterruptedException {
        if (changes.isEmpty()) {
            return;
        }
        DirectoryWatcher w = watcher;
        if (w == null) {
            throw new UpdateStoreException("the records directory is not loaded yet", null);
        }
        try {
            w.exclusive(() -> {
                apply(w, policy, changes);
                return null;
            });
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UpdateStoreException s) {
                throw s;
            }
            throw new UpdateStoreException("writing the update under --records failed: " + e.getCause(), e.getCause());
        } catch (IOException e) {
            throw new UpdateStoreException(e.getMessage(), e);
        }
    }

    /** One file operation of a commit: {@code temp} renamed to {@code target}, or {@code target} deleted (no temp). */
    private record Step(Path temp, Path target, byte[] previous) {}

    private void apply(DirectoryWatcher w, UpdatePolicy policy, ChangeSet changes) throws UpdateStoreException {
        List<Step> steps = new ArrayList<>();
        String nonce = Long.toHexString(ThreadLocalRandom.current().nextLong());
        try {
            Files.createDirectories(updates);
            Index idx = index;
            int n = 0;
            for (ChangeSet.RRsetChange c : changes.changes()) {
                Path target = target(idx, c.name(), c.type());
                byte[] previous = Files.exists(target) ? Files.readAllBytes(target) : null;
                Path temp = null;
                if (!c.deletes()) {
                    temp = updates.resolve(TEMP_PREFIX + nonce + "-" + n++ + ".yaml");
                    writeSynced(temp, yaml(policy, c, target));
                } else if (previous == null) {
                    continue; // nothing on disk (an RRset already gone)
                }
                steps.add(new Step(temp, target, previous));
            }
            StringBuilder journal = new StringBuilder();
            for (Step s : steps) {
                journal.append(s.temp() == null ? "D " : "R " + s.temp().getFileName() + " ")
                        .append(s.target().getFileName())
                        .append('\n');
            }
            writeSynced(updates.resolve(JOURNAL), journal.toString().getBytes(StandardCharsets.UTF_8));
            syncDirectory(updates);
        } catch (IOException e) {
            removeTemps(steps);
            deleteQuietly(updates.resolve(JOURNAL));
            throw new UpdateStoreException("cannot write the update under " + updates + ": " + e.getMessage(), e);
        }
        try {
            perform(steps);
            Files.delete(updates.resolve(JOURNAL));
            syncDirectory(updates);
        } catch (IOException e) {
            restore(steps);
            deleteQuietly(updates.resolve(JOURNAL));
            w.reloadNow();
            throw new UpdateStoreException("cannot write the update under " + updates + ": " + e.getMessage(), e);
        }
        w.reloadNow();
        String problem = notServed(changes);
        if (problem != null) {
            restore(steps);
            w.reloadNow();
            throw new UpdateStoreException("the records directory did not take the update: " + problem, null);
        }
    }

    private Path target(Index idx, Name name, int type) {
        Path existing = idx.updateFiles().get(new RRsetKey(name, type));
        if (existing != null && idx.rrsetsPerFile().getOrDefault(existing, 0) == 1) {
            return updates.getParent().resolve(existing); // a file edited by hand keeps its name
        }
        return updates.resolve(fileName(name, type));
    }

    /** {@code _acme-challenge.example.test-TXT.yaml}; a name with other characters, or a long one, ends in a hash. */
    static String fileName(Name name, int type) {
        String text = name.toString(true).toLowerCase(Locale.ROOT).replace("*", "_star_");
        String base = text;
        if (!PLAIN.matcher(text).matches() || text.length() > MAX_BASE || text.startsWith(".")) {
            String safe = text.replaceAll("[^a-z0-9._-]", "_");
            base = safe.substring(0, Math.min(safe.length(), MAX_BASE - 17)) + "-" + hash(name.toString());
            base = base.startsWith(".") ? "_" + base : base;
        }
        return base + "-" + Type.string(type) + ".yaml";
    }

    private static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The DnsRecord of one RRset after the update, labelled with the key and policy that wrote it. */
    private static byte[] yaml(UpdatePolicy policy, ChangeSet.RRsetChange c, Path target) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("apiVersion", ManifestDirectory.API_VERSION);
        doc.put("kind", ManifestDirectory.KIND);
        Map<String, Object> metadata = new LinkedHashMap<>();
        String file = target.getFileName().toString();
        metadata.put("name", "update-" + file.substring(0, file.length() - ".yaml".length()));
        metadata.put(
                "labels",
                Map.of(
                        "zonekeeper.dev/update-key", policy.keyName().toString(true),
                        "zonekeeper.dev/update-policy", policy.name()));
        doc.put("metadata", metadata);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", c.name().toString(true));
        spec.put("type", Type.string(c.type()));
        // a DnsRecord holds TTLs up to RecordSpecs.MAX_TTL; a larger one (legal in DNS) is served capped
        spec.put("ttl", Math.min(Math.max(0, c.ttl()), RecordSpecs.MAX_TTL));
        spec.put("values", RecordValues.values(c.after())); // TXT strings quoted: read back byte for byte
        doc.put("spec", spec);
        return ("# written by a dynamic update (RFC 2136); may be edited or deleted by hand\n"
                        + YAML.writeValueAsString(doc))
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Null when every changed RRset is served as the update left it, else what differs. */
    private String notServed(ChangeSet changes) {
        Zone zone = served.get().get(changes.zone());
        if (zone == null) {
            return "zone " + changes.zone() + " is not served";
        }
        for (ChangeSet.RRsetChange c : changes.changes()) {
            Set<org.xbill.DNS.Record> now = zone.rrset(c.name(), c.type());
            Set<org.xbill.DNS.Record> want = new HashSet<>(c.after());
            if (!(now == null ? Set.of() : new HashSet<>(now)).equals(want)) {
                return c.name() + " " + Type.string(c.type()) + " is not served as written (see the rejected files in "
                        + "the log)";
            }
        }
        return null;
    }

    private void perform(List<Step> steps) throws IOException {
        for (Step s : steps) {
            if (s.temp() == null) {
                Files.deleteIfExists(s.target());
            } else {
                Files.move(s.temp(), s.target(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        syncDirectory(updates);
    }

    /** Puts back the files as they were before a commit (best effort: each by its own atomic rename). */
    private void restore(List<Step> steps) {
        removeTemps(steps);
        for (Step s : steps) {
            try {
                if (s.previous() == null) {
                    Files.deleteIfExists(s.target());
                } else {
                    Path temp = updates.resolve(
                            TEMP_PREFIX + "restore-" + s.target().getFileName());
                    writeSynced(temp, s.previous());
                    Files.move(temp, s.target(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                LOG.error("cannot restore {} after a failed update: {}", s.target(), e.toString());
            }
        }
        try {
            syncDirectory(updates);
        } catch (IOException e) {
            LOG.warn("cannot sync {}: {}", updates, e.toString());
        }
    }

    private static void removeTemps(List<Step> steps) {
        for (Step s : steps) {
            if (s.temp() != null) {
                deleteQuietly(s.temp());
            }
        }
    }

    /**
     * Finishes or discards what a crash left in {@code records/updates}, before the directory is first loaded: a
     * complete journal is rolled forward (its temporary files are all fsynced before it is written), then every
     * temporary file left is removed.
     */
    public static void recover(Path records) throws IOException {
        Path dir = records.resolve(DIRECTORY);
        if (!Files.isDirectory(dir)) {
            return;
        }
        Path journal = dir.resolve(JOURNAL);
        if (Files.exists(journal)) {
            List<String> lines = Files.readAllLines(journal, StandardCharsets.UTF_8);
            for (String line : lines) {
                String[] f = line.split(" ");
                if (f.length == 2 && f[0].equals("D") && safe(f[1])) {
                    Files.deleteIfExists(dir.resolve(f[1]));
                } else if (f.length == 3 && f[0].equals("R") && safe(f[1]) && safe(f[2])) {
                    Path temp = dir.resolve(f[1]);
                    if (Files.exists(temp)) {
                        Files.move(
                                temp,
                                dir.resolve(f[2]),
                                StandardCopyOption.ATOMIC_MOVE,
                                StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            syncDirectory(dir);
            Files.delete(journal);
            LOG.info("finished an update that a stop interrupted ({} file operations in {})", lines.size(), dir);
        }
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, TEMP_PREFIX + "*")) {
            for (Path t : temps) {
                deleteQuietly(t);
            }
        }
        syncDirectory(dir);
    }

    /** A journal entry names a file in the directory itself, never a path elsewhere. */
    private static boolean safe(String fileName) {
        return !fileName.isEmpty() && !fileName.contains("/") && !fileName.equals("..") && !fileName.equals(".");
    }

    private static void writeSynced(Path file, byte[] content) throws IOException {
        try (FileChannel ch = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(content);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            if (!(e instanceof NoSuchFileException)) {
                LOG.debug("cannot fsync directory {}: {}", dir, e.toString()); // some file systems refuse it
            }
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.debug("cannot delete {}: {}", p, e.toString());
        }
    }
}
