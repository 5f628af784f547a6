package dev.zonekeeper.operator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * operator/README.md's {@code zonekeeper.*} table documents exactly the keys of {@link ZonekeeperConfig}, each with its
 * {@code @WithDefault}: a key added to the mapping without a row (or a row left for a key gone) fails here, as a CRD
 * left behind its API classes fails {@code CrdUpToDateTest}.
 */
class ConfigTableUpToDateTest {
    private static final Pattern ROW = Pattern.compile("^\\| `(zonekeeper\\.[^`]+)` \\|([^|]*)\\|", Pattern.MULTILINE);

    @Test
    void readmeTableHasEveryKeyOfTheMappingWithItsDefault() throws IOException {
        Map<String, String> mapping = new LinkedHashMap<>();
        keys("zonekeeper", ZonekeeperConfig.class, mapping);
        assertThat(mapping)
                .containsKeys(
                        "zonekeeper.cluster-domain",
                        "zonekeeper.transfer.notify",
                        "zonekeeper.zone-writers.\"<zone>\"",
                        "zonekeeper.leader-election.lease-namespace");

        Path readme = Path.of(System.getProperty("zonekeeper.operator-readme", "README.md"));
        Map<String, String> documented = new LinkedHashMap<>();
        Matcher m = ROW.matcher(Files.readString(readme, StandardCharsets.UTF_8));
        while (m.find()) {
            documented.put(m.group(1), m.group(2).trim());
        }

        List<String> problems = new ArrayList<>();
        mapping.forEach((key, dflt) -> {
            if (!documented.containsKey(key)) {
                problems.add(
                        "missing row: | `" + key + "` | " + (dflt == null ? "" : "`" + dflt + "`") + " | <meaning> |");
            } else if (dflt != null && !documented.get(key).contains("`" + dflt + "`")) {
                problems.add("`" + key + "`: the default column says '" + documented.get(key) + "', the mapping `"
                        + dflt + "`");
            }
        });
        documented.keySet().stream()
                .filter(k -> !mapping.containsKey(k))
                .forEach(k -> problems.add("row for a key the mapping does not have: `" + k + "`"));
        if (!problems.isEmpty()) {
            fail(readme.toAbsolutePath().normalize()
                    + "'s configuration table differs from ZonekeeperConfig; edit the table"
                    + " (the key, its @WithDefault in backticks, what it does):\n  " + String.join("\n  ", problems));
        }
    }

    /** The keys under {@code prefix} of a {@code @ConfigMapping} interface, each with its default (null: none). */
    private static void keys(String prefix, Class<?> mapping, Map<String, String> out) {
        Method[] methods = mapping.getDeclaredMethods();
        Arrays.sort(methods, Comparator.comparing(Method::getName));
        for (Method method : methods) {
            if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers()) || method.isDefault()) {
                continue;
            }
            WithName name = method.getAnnotation(WithName.class);
            String key = prefix + "." + (name != null ? name.value() : kebab(method.getName()));
            Class<?> type = method.getReturnType();
            if (type.isInterface() && type.getEnclosingClass() == ZonekeeperConfig.class) {
                keys(key, type, out);
            } else if (type == Map.class) {
                out.put(key + ".\"<zone>\"", null);
            } else {
                WithDefault dflt = method.getAnnotation(WithDefault.class);
                out.put(key, dflt == null ? null : dflt.value());
            }
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }
}
