package dev.zonekeeper.dns.standalone;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.zonekeeper.dns.record.RecordSpec;
import dev.zonekeeper.dns.record.RecordSpecs;
import dev.zonekeeper.dns.record.SetCheck;
import dev.zonekeeper.dns.record.SpecResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.Name;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Loads {@code DnsRecord} manifests from a directory tree: standalone mode's record source.
 *
 * <ul>
 *   <li>Every {@code *.yaml} and {@code *.yml} file under the directory, recursively, in sorted path order. Files and
 *       directories whose name starts with {@code .} are skipped: that hides editor files and the {@code ..data}
 *       copies of a mounted Kubernetes ConfigMap, which would otherwise be read twice. Symbolic links to files are
 *       read; symbolic links to directories are not followed.</li>
 *   <li>Every YAML document in a file ({@code ---} separated). Documents that are not {@code apiVersion:
 *       zonekeeper.dev/v1alpha1}, {@code kind: DnsRecord} are counted and skipped; empty documents are skipped.
 *       {@code kind: DnsUpdatePolicy} documents are read as the update keys' grants ({@link PolicyDocuments}).</li>
 *   <li>A DnsRecord is refused, as a whole, when its spec is invalid ({@link RecordSpecs#validate}), when its name
 *       lies outside every served zone, when it is a CNAME at a zone apex, or when it conflicts with a DnsRecord that
 *       comes earlier in path order (same name and type, or a CNAME beside other data).</li>
 *   <li>A file that is not valid YAML is refused as a whole, with the parser's message and position; the rest of the
 *       directory still loads.</li>
 *   <li>Limits ({@link Limits}), so that a hostile or mistaken file cannot exhaust the server's memory: a file over
 *       {@link Limits#maxFileBytes()} is refused without being read (its size is checked first, and it is read
 *       through a bounded stream in case it grows meanwhile); once the records accepted so far and a file's own are
 *       over {@link Limits#maxRecords()}, that file and every later one in path order are refused. YAML is parsed
 *       with bounded nesting and document size; YAML aliases ({@code *name}) are refused.</li>
 * </ul>
 *
 * Instances are immutable and {@link #load()} may be called from any thread.
 */
public final class ManifestDirectory {

    public static final String API_VERSION = "zonekeeper.dev/v1alpha1";
    public static final String KIND = "DnsRecord";
    private static final Set<String> SPEC_FIELDS = Set.of("name", "type", "ttl", "values");

    /** Deeper YAML than this is refused: a DnsRecord needs 3 levels, and deep nesting costs stack and memory. */
    static final int MAX_NESTING_DEPTH = 32;
    /** Anchors and aliases are not expanded by the parser; this bounds them anyway (SnakeYAML's own guard). */
    static final int MAX_ALIASES = 16;
    /** Rejections one load keeps (and logs); the rest are counted in one more. */
    static final int MAX_REJECTIONS = 1000;

    /**
     * Bounds on what one load reads.
     *
     * @param maxFileBytes a manifest file larger than this is refused unread ({@code --records-max-file-bytes})
     * @param maxRecords the records one load accepts; a file that would take the total over it is refused, and so is
     *     every file after it in path order ({@code --records-max-records})
     */
    public record Limits(long maxFileBytes, int maxRecords) {
        /** 1 MiB: some thousand DnsRecords per file, far more than a hand-written file holds. */
        public static final long DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
        /** Keeps the zones and the load's garbage well inside the chart's memory limit. */
        public static final int DEFAULT_MAX_RECORDS = 10_000;

        public static final Limits DEFAULT = new Limits(DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_RECORDS);

        public Limits {
            if (maxFileBytes < 1 || maxFileBytes > Integer.MAX_VALUE - 8 || maxRecords < 0) {
                throw new IllegalArgumentException(
                        "records limits out of range: " + maxFileBytes + " bytes, " + maxRecords + " records");
            }
        }
    }

    private final Path directory;
    private final Set<Name> zones;
    private final Limits limits;
    private final ObjectMapper yaml;

    /**
     * @param directory the directory to load; relative paths stay relative in {@link Rejection#file()}
     * @param zones origins of the served zones, absolute
     */
    public ManifestDirectory(Path directory, Set<Name> zones) {
        this(directory, zones, Limits.DEFAULT);
    }

    /**
     * @param directory the directory to load; relative paths stay relative in {@link Rejection#file()}
     * @param zones origins of the served zones, absolute
     * @param limits bounds on file size and record count
     */
    public ManifestDirectory(Path directory, Set<Name> zones, Limits limits) {
        this.directory = directory;
        for (Name zone : zones) {
            if (!zone.isAbsolute()) {
                throw new IllegalArgumentException("served zone " + zone + " is not an absolute name");
            }
        }
        this.zones = Set.copyOf(zones);
        this.limits = limits;
        this.yaml = mapper(limits.maxFileBytes());
    }

    /**
     * The YAML reader of manifests, hardened against hostile input: bounded nesting, document length and aliases.
     * Also used by the fuzz tests, so they exercise exactly these settings.
     */
    static ObjectMapper mapper(long maxBytes) {
        LoaderOptions loader = new LoaderOptions();
        loader.setMaxAliasesForCollections(MAX_ALIASES);
        loader.setNestingDepthLimit(MAX_NESTING_DEPTH);
        loader.setAllowRecursiveKeys(false);
        // A code point takes at least one byte, so this never refuses a file the size limit lets through.
        loader.setCodePointLimit((int) Math.min(Integer.MAX_VALUE, maxBytes + 1));
        YAMLFactory factory = YAMLFactory.builder()
                .loaderOptions(loader)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .maxDocumentLength(maxBytes + 1)
                        .maxStringLength((int) Math.min(Integer.MAX_VALUE, maxBytes + 1))
                        .maxNameLength((int) Math.min(Integer.MAX_VALUE, maxBytes + 1))
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        return new ObjectMapper(factory);
    }

    public Limits limits() {
        return limits;
    }

    public Path directory() {
        return directory;
    }

    /**
     * Reads the directory now.
     *
     * @throws UncheckedIOException when the directory itself cannot be read (missing, not a directory, no
     *     permission). Problems with single files are {@linkplain Rejection rejections} instead.
     */
    public LoadResult load() {
        CappedRejections rejections = new CappedRejections();
        List<Path> files = listFiles(rejections);
        List<Candidate> candidates = new ArrayList<>();
        int ignored = 0;
        List<PolicyDocument> policies = new ArrayList<>();
        int policiesRejected = 0;
        int tooLarge = 0;
        int overLimit = 0;
        long acceptedRecords = 0;
        boolean full = false;
        for (Path relative : files) {
            Path file = directory.resolve(relative);
            if (full) {
                rejections.add(new Rejection(file, "", overRecordLimit()));
                overLimit++;
                continue;
            }
            List<JsonNode> documents;
            try {
                documents = readDocuments(file);
            } catch (NoSuchFileException e) {
                continue; // deleted while we were loading; the next load will not see it either
            } catch (TooLargeException e) {
                rejections.add(new Rejection(
                        file,
                        "",
                        "refused: " + e.getMessage() + " bytes, over the limit of " + limits.maxFileBytes()
                                + " bytes (--records-max-file-bytes)"));
                tooLarge++;
                continue;
            } catch (JsonProcessingException e) {
                rejections.add(new Rejection(file, "", yamlError(e)));
                continue;
            } catch (IOException e) {
                rejections.add(new Rejection(file, "", "cannot be read: " + e));
                continue;
            }
            int candidatesBefore = candidates.size();
            int rejectionsBefore = rejections.size();
            int ignoredBefore = ignored;
            long fileRecords = 0;
            for (int i = 0; i < documents.size(); i++) {
                JsonNode document = documents.get(i);
                if (isEmpty(document)) {
                    continue;
                }
                if (PolicyDocuments.isPolicy(document) && PolicyDocuments.isClusterPolicy(document)) {
                    ignored++;
                    continue;
                }
                if (PolicyDocuments.isPolicy(document)) {
                    List<String> errors = new ArrayList<>();
                    PolicyDocument policy = policies.size() >= PolicyDocuments.MAX_POLICIES
                            ? null
                            : PolicyDocuments.parse(document, file, zones, errors);
                    if (policy != null) {
                        policies.add(policy);
                    } else {
                        policiesRejected++;
                        rejections.add(new Rejection(
                                file,
                                label(document, i + 1),
                                errors.isEmpty()
                                        ? "refused: more than " + PolicyDocuments.MAX_POLICIES
                                                + " DnsUpdatePolicy documents"
                                        : String.join("; ", errors)));
                    }
                    continue;
                }
                if (!isDnsRecord(document)) {
                    ignored++;
                    continue;
                }
                String label = label(document, i + 1);
                List<String> errors = new ArrayList<>();
                RecordSpec spec = bind(document, errors);
                if (errors.isEmpty()) {
                    SpecResult result = RecordSpecs.validate(spec);
                    errors.addAll(result.errors());
                    if (result.isValid()) {
                        org.xbill.DNS.Record first = result.records().get(0);
                        RecordSpecs.zoneProblem(first.getName(), first.getType(), zones)
                                .ifPresent(errors::add);
                        if (errors.isEmpty()) {
                            candidates.add(new Candidate(file, relative, label, result.records()));
                            fileRecords += result.records().size();
                        }
                    }
                }
                if (!errors.isEmpty()) {
                    rejections.add(new Rejection(file, label, String.join("; ", errors)));
                }
            }
            if (acceptedRecords + fileRecords > limits.maxRecords()) {
                // The whole file goes, not the records past the limit: which records are served never depends on
                // where inside a file a count happens to end.
                candidates.subList(candidatesBefore, candidates.size()).clear();
                rejections.subList(rejectionsBefore, rejections.size()).clear();
                ignored = ignoredBefore;
                rejections.add(new Rejection(file, "", overRecordLimit()));
                overLimit++;
                full = true;
                continue;
            }
            acceptedRecords += fileRecords;
        }

        SetCheck<Candidate> check =
                RecordSpecs.checkSet(candidates, Candidate::records, c -> c.relative() + " (" + c.label() + ")");
        for (SetCheck.Conflict<Candidate> conflict : check.conflicts()) {
            rejections.add(new Rejection(conflict.item().file(), conflict.item().label(), conflict.reason()));
        }
        List<org.xbill.DNS.Record> records = new ArrayList<>();
        List<Path> recordFiles = new ArrayList<>();
        for (Candidate c : check.accepted()) {
            records.addAll(c.records());
            c.records().forEach(r -> recordFiles.add(c.relative()));
        }
        // Keep rejections in path order even though conflicts are found last.
        List<Rejection> ordered = new ArrayList<>(rejections);
        ordered.sort(Comparator.comparing(
                (Rejection r) -> directory.relativize(r.file()).toString()));
        if (rejections.unlisted > 0) {
            ordered.add(new Rejection(
                    directory,
                    "",
                    rejections.unlisted + " more rejections not listed (at most " + MAX_REJECTIONS
                            + " are kept per load)"));
        }
        return new LoadResult(records, ordered, ignored, tooLarge, overLimit, recordFiles, policies, policiesRejected);
    }

    private String overRecordLimit() {
        return "refused: the records directory is over the limit of " + limits.maxRecords()
                + " records (--records-max-records); files are taken in path order";
    }

    /**
     * The rejections of one load, at most {@link #MAX_REJECTIONS}: a directory of files full of invalid documents
     * would otherwise keep one rejection (and its log line) per document, without bound.
     */
    private static final class CappedRejections extends ArrayList<Rejection> {
        int unlisted;

        @Override
        public boolean add(Rejection rejection) {
            if (size() >= MAX_REJECTIONS) {
                unlisted++;
                return false;
            }
            return super.add(rejection);
        }
    }

    /** A file over the size limit; the message is its size as far as it is known. */
    private static final class TooLargeException extends IOException {
        TooLargeException(String size) {
            super(size);
        }
    }

    /** The files a load reads, relative to the directory, sorted. */
    List<Path> listFiles(List<Rejection> rejections) {
        if (!Files.isDirectory(directory)) {
            throw new UncheckedIOException(new NoSuchFileException(
                    directory.toString(), null, "records directory does not exist or is not a directory"));
        }
        List<Path> files = new ArrayList<>();
        try {
            Files.walkFileTree(directory, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return !dir.equals(directory) && isHidden(dir)
                            ? FileVisitResult.SKIP_SUBTREE
                            : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (isManifestFile(file) && Files.isRegularFile(file)) {
                        files.add(directory.relativize(file));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (file.equals(directory)) {
                        throw e;
                    }
                    if (!(e instanceof NoSuchFileException) && (isManifestFile(file) || !isHidden(file))) {
                        rejections.add(new Rejection(file, "", "cannot be read: " + e));
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read records directory " + directory, e);
        }
        files.sort(Comparator.comparing(Path::toString));
        return files;
    }

    static boolean isHidden(Path path) {
        Path name = path.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    static boolean isManifestFile(Path path) {
        String name = path.getFileName().toString();
        return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"));
    }

    private List<JsonNode> readDocuments(Path file) throws IOException {
        long max = limits.maxFileBytes();
        long size = Files.size(file);
        if (size > max) {
            throw new TooLargeException(String.valueOf(size)); // not opened at all
        }
        byte[] content;
        try (InputStream in = Files.newInputStream(file)) {
            // At most one byte over the limit, in case the file grew since its size was read.
            content = in.readNBytes((int) max + 1);
        }
        if (content.length > max) {
            throw new TooLargeException("more than " + max);
        }
        return parseDocuments(yaml, content);
    }

    /** Every YAML document of {@code content}; aliases are refused. Package-private for the fuzz tests. */
    static List<JsonNode> parseDocuments(ObjectMapper yaml, byte[] content) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        try (JsonParser parser = new NoAliases((YAMLParser) yaml.getFactory().createParser(content));
                MappingIterator<JsonNode> iterator =
                        yaml.readerFor(JsonNode.class).readValues(parser)) {
            while (iterator.hasNextValue()) {
                documents.add(iterator.nextValue());
            }
        }
        return documents;
    }

    /**
     * Refuses YAML aliases ({@code *name}). The YAML parser does not expand them (so no alias bomb can grow), it
     * reads an alias as the anchor's name instead: {@code values: [*ip]} would quietly become the value "ip". Every
     * way the reader asks for the next token goes through {@link #nextToken()}.
     */
    private static final class NoAliases extends JsonParserDelegate {
        private final YAMLParser yaml;

        NoAliases(YAMLParser yaml) {
            super(yaml);
            this.yaml = yaml;
        }

        @Override
        public JsonToken nextToken() throws IOException {
            JsonToken token = super.nextToken();
            if (yaml.isCurrentAlias()) {
                throw new JsonParseException(
                        this,
                        "YAML aliases are not supported (*" + yaml.getText() + "): write the value out",
                        yaml.currentTokenLocation());
            }
            return token;
        }

        @Override
        public JsonToken nextValue() throws IOException {
            JsonToken token = nextToken();
            return token == JsonToken.FIELD_NAME ? nextToken() : token;
        }

        @Override
        public String nextFieldName() throws IOException {
            return nextToken() == JsonToken.FIELD_NAME ? currentName() : null;
        }

        @Override
        public boolean nextFieldName(SerializableString name) throws IOException {
            return nextToken() == JsonToken.FIELD_NAME && name.getValue().equals(currentName());
        }

        @Override
        public String nextTextValue() throws IOException {
            return nextToken() == JsonToken.VALUE_STRING ? getText() : null;
        }

        @Override
        public int nextIntValue(int defaultValue) throws IOException {
            return nextToken() == JsonToken.VALUE_NUMBER_INT ? getIntValue() : defaultValue;
        }

        @Override
        public long nextLongValue(long defaultValue) throws IOException {
            return nextToken() == JsonToken.VALUE_NUMBER_INT ? getLongValue() : defaultValue;
        }

        @Override
        public Boolean nextBooleanValue() throws IOException {
            JsonToken token = nextToken();
            return token == JsonToken.VALUE_TRUE ? Boolean.TRUE : token == JsonToken.VALUE_FALSE ? Boolean.FALSE : null;
        }
    }

    private static String yamlError(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException marked && marked.getProblem() != null) {
            // SnakeYAML's own parts, without the multi-line excerpt of the file its message carries.
            String problem = marked.getContext() == null
                    ? marked.getProblem()
                    : marked.getContext() + ": " + marked.getProblem();
            if (marked.getContext() != null && marked.getContext().contains("alias")) {
                problem += " (a value starting with '*' or '&', such as a wildcard name, must be quoted)";
            }
            Mark mark = marked.getProblemMark() != null ? marked.getProblemMark() : marked.getContextMark();
            return mark == null
                    ? "not valid YAML: " + problem
                    : "not valid YAML: " + problem + " (line " + (mark.getLine() + 1) + ", column "
                            + (mark.getColumn() + 1) + ")";
        }
        String message = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        String firstLine = message.lines().findFirst().orElse(message).strip();
        JsonLocation location = e.getLocation();
        if (location != null && location.getLineNr() > 0) {
            return "not valid YAML: " + firstLine + " (line " + location.getLineNr() + ", column "
                    + location.getColumnNr() + ")";
        }
        return "not valid YAML: " + firstLine;
    }

    /** An empty document (between two {@code ---}) reads as null or as an empty string. */
    private static boolean isEmpty(JsonNode document) {
        return document == null
                || document.isMissingNode()
                || document.isNull()
                || (document.isTextual() && document.asText().isBlank());
    }

    private static boolean isDnsRecord(JsonNode document) {
        return document.isObject()
                && API_VERSION.equals(document.path("apiVersion").asText(null))
                && KIND.equals(document.path("kind").asText(null));
    }

    private static String label(JsonNode document, int index) {
        JsonNode metadata = document.path("metadata");
        JsonNode name = metadata.path("name");
        if (!name.isTextual() || name.asText().isBlank()) {
            return "document " + index;
        }
        JsonNode namespace = metadata.path("namespace");
        return namespace.isTextual() && !namespace.asText().isBlank()
                ? namespace.asText() + "/" + name.asText()
                : name.asText();
    }

    /** Reads {@code metadata} and {@code spec} of a DnsRecord document, noting structural problems in errors. */
    private static RecordSpec bind(JsonNode document, List<String> errors) {
        JsonNode metadata = document.path("metadata");
        if (!metadata.isObject()) {
            errors.add("metadata.name is required");
        } else if (!metadata.path("name").isTextual()
                || metadata.path("name").asText().isBlank()) {
            errors.add("metadata.name is required");
        }
        JsonNode spec = document.path("spec");
        if (spec.isMissingNode() || spec.isNull()) {
            errors.add("spec is required");
            return null;
        }
        if (!spec.isObject()) {
            errors.add("spec must be a mapping with name, type, ttl and values");
            return null;
        }
        for (Map.Entry<String, JsonNode> entry : spec.properties()) {
            String field = entry.getKey();
            if (!SPEC_FIELDS.contains(field)) {
                errors.add("spec." + field + " is not a known field (name, type, ttl, values)");
            }
        }
        String name = text(spec.path("name"), "name", errors);
        String type = text(spec.path("type"), "type", errors);
        Long ttl = null;
        JsonNode ttlNode = spec.path("ttl");
        if (ttlNode.isIntegralNumber() && ttlNode.canConvertToLong()) {
            ttl = ttlNode.asLong();
        } else if (ttlNode.isIntegralNumber()) {
            errors.add("ttl " + ttlNode.asText() + " is outside 0-" + RecordSpecs.MAX_TTL);
        } else if (!ttlNode.isMissingNode() && !ttlNode.isNull()) {
            errors.add("ttl must be a whole number of seconds, got '" + ttlNode.asText() + "'");
        }
        List<String> values = null;
        JsonNode valuesNode = spec.path("values");
        if (valuesNode.isArray()) {
            values = new ArrayList<>();
            for (int i = 0; i < valuesNode.size(); i++) {
                JsonNode value = valuesNode.get(i);
                if (value.isTextual()) {
                    values.add(value.asText());
                } else if (value.isNull()) {
                    values.add(null);
                } else {
                    errors.add("values[" + i + "] must be a string (quote it in YAML)");
                }
            }
        } else if (!valuesNode.isMissingNode() && !valuesNode.isNull()) {
            errors.add("values must be a list of strings");
        }
        return new RecordSpec(name, type, ttl, values);
    }

    private static String text(JsonNode node, String field, List<String> errors) {
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            errors.add(field + " must be a string");
            return null;
        }
        return node.asText();
    }

    private record Candidate(Path file, Path relative, String label, List<org.xbill.DNS.Record> records) {}

    /** Origins of the served zones. */
    public Set<Name> zones() {
        return zones;
    }
}
