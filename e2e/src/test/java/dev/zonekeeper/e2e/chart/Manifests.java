package dev.zonekeeper.e2e.chart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The objects of one {@code helm template} output, looked up by kind and name. */
final class Manifests {

    private static final YAMLMapper YAML = new YAMLMapper();

    private final List<JsonNode> objects;

    private Manifests(List<JsonNode> objects) {
        this.objects = List.copyOf(objects);
    }

    static Manifests parse(String multiDocumentYaml) {
        List<JsonNode> objects = new ArrayList<>();
        try (JsonParser parser = YAML.createParser(multiDocumentYaml);
                MappingIterator<JsonNode> documents = YAML.readValues(parser, JsonNode.class)) {
            while (documents.hasNextValue()) {
                JsonNode document = documents.nextValue();
                if (document != null && document.isObject() && document.has("kind")) {
                    objects.add(document);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("helm template printed invalid YAML", e);
        }
        return new Manifests(objects);
    }

    List<JsonNode> all() {
        return objects;
    }

    List<JsonNode> ofKind(String kind) {
        return objects.stream()
                .filter(o -> kind.equals(o.path("kind").asText()))
                .collect(Collectors.toList());
    }

    Optional<JsonNode> find(String kind, String name) {
        return ofKind(kind).stream()
                .filter(o -> name.equals(o.path("metadata").path("name").asText()))
                .findFirst();
    }

    JsonNode get(String kind, String name) {
        Optional<JsonNode> found = find(kind, name);
        assertThat(found)
                .as("%s %s in the rendered chart; rendered: %s", kind, name, summary())
                .isPresent();
        return found.get();
    }

    /** "Kind/name" of every object, for failure messages. */
    List<String> summary() {
        return objects.stream()
                .map(o -> o.path("kind").asText() + "/"
                        + o.path("metadata").path("name").asText())
                .collect(Collectors.toList());
    }

    static JsonNode container(JsonNode podSpec, String name) {
        for (JsonNode container : podSpec.path("containers")) {
            if (name.equals(container.path("name").asText())) {
                return container;
            }
        }
        throw new AssertionError("no container " + name + " in " + podSpec);
    }

    static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    /** Value of the environment variable {@code name} of a container, if set with a literal value. */
    /** The argument following {@code option} in the container's args; fails when the option is absent. */
    static String argAfter(JsonNode container, String option) {
        List<String> args = texts(container.path("args"));
        int i = args.indexOf(option);
        if (i < 0 || i + 1 >= args.size()) {
            throw new AssertionError("no " + option + " VALUE in the args " + args);
        }
        return args.get(i + 1);
    }

    static Optional<String> env(JsonNode container, String name) {
        for (JsonNode env : container.path("env")) {
            if (name.equals(env.path("name").asText()) && env.has("value")) {
                return Optional.of(env.path("value").asText());
            }
        }
        return Optional.empty();
    }
}
