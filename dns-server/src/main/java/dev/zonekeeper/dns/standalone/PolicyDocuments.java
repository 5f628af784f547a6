package dev.zonekeeper.dns.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zonekeeper.dns.record.RecordSpecs;
import dev.zonekeeper.dns.transfer.TsigKeyFile;
import dev.zonekeeper.dns.update.Grant;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Reads {@code kind: DnsUpdatePolicy} documents of standalone mode, the same shape as the cluster's resource:
 *
 * <pre>{@code
 * apiVersion: zonekeeper.dev/v1alpha1
 * kind: DnsUpdatePolicy
 * metadata: {name: acme}
 * spec:
 *   zone: example.test
 *   keyFile: acme.key        # name:algorithm:base64secret; relative to the manifest's directory
 *   grants:
 *     - {match: subdomain, name: _acme-challenge.example.test, types: [TXT]}
 * }</pre>
 *
 * Hostile input is bounded: at most {@link #MAX_GRANTS} grants of {@link #MAX_TYPES} types each, a key file of at most
 * {@link #MAX_KEY_FILE_BYTES}; anything else is refused with a message naming the field (never the secret).
 */
final class PolicyDocuments {
    static final String KIND = "DnsUpdatePolicy";
    static final int MAX_GRANTS = 64;
    static final int MAX_TYPES = 16;
    static final int MAX_KEY_FILE_BYTES = 4096;
    /** Policies one load accepts: each is a key the server checks updates against. */
    static final int MAX_POLICIES = 256;

    private static final Set<String> SPEC_FIELDS = Set.of("zone", "keyFile", "keySecretRef", "grants");
    private static final Set<String> GRANT_FIELDS = Set.of("match", "name", "types");

    private PolicyDocuments() {}

    static boolean isPolicy(JsonNode document) {
        return document.isObject()
                && ManifestDirectory.API_VERSION.equals(
                        document.path("apiVersion").asText(null))
                && KIND.equals(document.path("kind").asText(null));
    }

    /**
     * A policy for a cluster only: its key in a Secret ({@code keySecretRef}), no {@code keyFile}. Standalone mode has
     * no Secrets, so it skips such a document like any other cluster manifest instead of refusing it: one directory
     * (examples/) holds manifests for both modes.
     */
    static boolean isClusterOnly(JsonNode document) {
        JsonNode spec = document.path("spec");
        return spec.has("keySecretRef") && !spec.has("keyFile");
    }

    /** The policy in {@code document} of {@code file}, or null with the reasons in {@code errors}. */
    static PolicyDocument parse(JsonNode document, Path file, Set<Name> zones, List<String> errors) {
        JsonNode nameNode = document.path("metadata").path("name");
        String name = nameNode.isTextual() ? nameNode.asText().strip() : "";
        if (name.isEmpty() || name.length() > 253) {
            errors.add("metadata.name is required (at most 253 characters)");
        }
        JsonNode spec = document.path("spec");
        if (!spec.isObject()) {
            errors.add("spec must be a mapping with zone, keyFile and grants");
            return null;
        }
        for (Map.Entry<String, JsonNode> e : spec.properties()) {
            if (!SPEC_FIELDS.contains(e.getKey())) {
                errors.add("spec." + e.getKey() + " is not a known field (zone, keyFile, keySecretRef, grants)");
            }
        }
        Name zone = name(spec.path("zone"), "spec.zone", errors);
        if (zone != null && !zones.contains(zone)) {
            errors.add("spec.zone " + zone + " is not a served zone (--zone)");
        }
        Key key = null;
        JsonNode keyFile = spec.path("keyFile");
        if (!keyFile.isTextual() || keyFile.asText().isBlank()) {
            errors.add("spec.keyFile is required in standalone mode (a file holding name:algorithm:base64secret)");
        } else {
            Path keyPath = Path.of(keyFile.asText());
            Path parent = file.toAbsolutePath().getParent();
            if (!keyPath.isAbsolute() && parent != null) {
                keyPath = parent.resolve(keyPath);
            }
            try {
                key = parseKey(readKeyFile(keyPath));
            } catch (IOException | IllegalArgumentException e) {
                errors.add("spec.keyFile: " + e.getMessage());
            }
        }
        List<Grant> grants = new ArrayList<>();
        JsonNode grantsNode = spec.path("grants");
        if (!grantsNode.isArray() || grantsNode.isEmpty()) {
            errors.add("spec.grants must list at least one grant ({match, name, types})");
        } else if (grantsNode.size() > MAX_GRANTS) {
            errors.add("spec.grants has " + grantsNode.size() + " grants, more than " + MAX_GRANTS);
        } else {
            for (int i = 0; i < grantsNode.size(); i++) {
                Grant g = grant(grantsNode.get(i), "spec.grants[" + i + "]", zone, errors);
                if (g != null) {
                    grants.add(g);
                }
            }
        }
        if (!errors.isEmpty() || key == null) {
            return null;
        }
        return new PolicyDocument(file, name, zone, key.name(), key.algorithm(), key.secret(), grants);
    }

    private static Grant grant(JsonNode node, String field, Name zone, List<String> errors) {
        if (!node.isObject()) {
            errors.add(field + " must be a mapping {match, name, types}");
            return null;
        }
        int before = errors.size();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!GRANT_FIELDS.contains(e.getKey())) {
                errors.add(field + "." + e.getKey() + " is not a known field (match, name, types)");
            }
        }
        String matchText = node.path("match").asText("");
        Grant.Match match = switch (matchText) {
            case "name" -> Grant.Match.NAME;
            case "subdomain" -> Grant.Match.SUBDOMAIN;
            case "wildcard" -> Grant.Match.WILDCARD;
            case "acme-challenge" -> Grant.Match.ACME_CHALLENGE;
            default -> {
                errors.add(field + ".match must be name, subdomain, wildcard or acme-challenge");
                yield null;
            }
        };
        Name name = name(node.path("name"), field + ".name", errors);
        if (name != null && zone != null && match != null) {
            Grant.problem(match, name, zone).ifPresent(problem -> errors.add(field + "." + problem));
        }
        Set<Integer> types = new LinkedHashSet<>();
        JsonNode typesNode = node.path("types");
        if (typesNode.isArray()) {
            if (typesNode.size() > MAX_TYPES) {
                errors.add(field + ".types lists " + typesNode.size() + " types, more than " + MAX_TYPES);
            } else {
                for (JsonNode t : typesNode) {
                    String type = t.asText("").toUpperCase(Locale.ROOT);
                    if (!t.isTextual() || !RecordSpecs.SUPPORTED_TYPES.contains(type)) {
                        errors.add(field + ".types: '" + abbreviate(t.asText("")) + "' is not one of "
                                + RecordSpecs.SUPPORTED_TYPES);
                    } else {
                        types.add(Type.value(type));
                    }
                }
            }
        } else if (!typesNode.isMissingNode() && !typesNode.isNull()) {
            errors.add(field + ".types must be a list of record types");
        }
        return errors.size() == before ? new Grant(match, name, types) : null;
    }

    private static Name name(JsonNode node, String field, List<String> errors) {
        if (!node.isTextual() || node.asText().isBlank()) {
            errors.add(field + " is required");
            return null;
        }
        String text = node.asText().strip();
        if (text.length() > 255) {
            errors.add(field + " is longer than 255 characters");
            return null;
        }
        try {
            return Name.fromString(text, Name.root).canonicalize();
        } catch (TextParseException e) {
            errors.add(field + " '" + abbreviate(text) + "' is not a domain name: " + e.getMessage());
            return null;
        }
    }

    private static String readKeyFile(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] b = in.readNBytes(MAX_KEY_FILE_BYTES + 1);
            if (b.length > MAX_KEY_FILE_BYTES) {
                throw new IOException(path + " is over " + MAX_KEY_FILE_BYTES + " bytes: not a key file");
            }
            return new String(b, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException(path + " does not exist", e);
        }
    }

    /** A key file's content: its name, algorithm and base64 secret (checked). */
    record Key(Name name, Name algorithm, String secret) {
        @Override
        public String toString() {
            return name + " " + algorithm;
        }
    }

    /** A key file's content, checked by {@link TsigKeyFile#parseUpdateKey} (hmac-md5 too: cert-manager's default). */
    static Key parseKey(String text) {
        TsigKeyFile.Key key = TsigKeyFile.parseUpdateKey(text);
        String line = text.strip();
        return new Key(
                key.name(),
                key.algorithm(),
                line.substring(line.lastIndexOf(':') + 1).strip());
    }

    private static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
