package dev.zonekeeper.operator.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordSpec;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordStatus;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicy;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicySpec;
import dev.zonekeeper.operator.api.v1alpha1.DnsUpdatePolicyStatus;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Generates the DnsRecord and DnsUpdatePolicy CRDs from the API classes with Fabric8's CRD generator (the engine of
 * crd-generator-maven-plugin). The generator sorts printer columns by JSON path; a post-processor restores the order
 * in which the {@link AdditionalPrinterColumn} annotations are declared, which is the order {@code kubectl get} prints,
 * and adds the {@link JsonClassDescription}s of the resource, spec and status, which the generator leaves out.
 */
public final class CrdGeneration {

    /** File name of the DnsRecord CRD, in crds/ and in the chart. */
    public static final String DNSRECORD_CRD = "dnsrecords.zonekeeper.dev-v1.yml";

    /** File name of the DnsUpdatePolicy CRD, in crds/ and in the chart. */
    public static final String DNSUPDATEPOLICY_CRD = "dnsupdatepolicies.zonekeeper.dev-v1.yml";

    /** Every CRD file, in crds/ and in the chart. */
    public static final List<String> CRDS = List.of(DNSRECORD_CRD, DNSUPDATEPOLICY_CRD);

    private CrdGeneration() {}

    /** Writes the CRDs into {@code outputDir} and returns their paths, in the order of {@link #CRDS}. */
    public static List<Path> generate(Path outputDir) throws IOException {
        Files.createDirectories(outputDir);
        generate(outputDir, DnsRecord.class, DnsRecordSpec.class, DnsRecordStatus.class);
        generate(outputDir, DnsUpdatePolicy.class, DnsUpdatePolicySpec.class, DnsUpdatePolicyStatus.class);
        return CRDS.stream().map(outputDir::resolve).toList();
    }

    private static void generate(Path outputDir, Class<?> resource, Class<?> spec, Class<?> status) {
        @SuppressWarnings("unchecked")
        Class<? extends HasMetadata> kind = (Class<? extends HasMetadata>) resource;
        int generated = new CRDGenerator()
                .customResourceClasses(kind)
                .forCRDVersions("v1")
                .withMinQuotes(true)
                .withParallelGenerationEnabled(false)
                .withPostProcessor(new ColumnOrderAndDescriptions(resource, spec, status))
                .inOutputDir(outputDir.toFile())
                .generate();
        if (generated != 1) {
            throw new IllegalStateException(
                    "expected one CRD for " + resource.getSimpleName() + ", generated " + generated);
        }
    }

    private static String describe(Class<?> type) {
        JsonClassDescription description = type.getAnnotation(JsonClassDescription.class);
        if (description == null) {
            throw new IllegalStateException(type.getName() + " needs a @JsonClassDescription");
        }
        return description.value();
    }

    /** Orders printer columns as their annotations are declared; adds the class descriptions. */
    static final class ColumnOrderAndDescriptions implements CRDPostProcessor {
        private final List<String> names;
        private final Class<?> resource;
        private final Class<?> spec;
        private final Class<?> status;

        ColumnOrderAndDescriptions(Class<?> resource, Class<?> spec, Class<?> status) {
            this.resource = resource;
            this.spec = spec;
            this.status = status;
            this.names = Arrays.stream(resource.getAnnotationsByType(AdditionalPrinterColumn.class))
                    .map(AdditionalPrinterColumn::name)
                    .toList();
        }

        @Override
        public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
            CustomResourceDefinition definition = (CustomResourceDefinition) crd;
            definition.getSpec().getVersions().forEach(version -> {
                List<CustomResourceColumnDefinition> columns = version.getAdditionalPrinterColumns();
                if (columns != null) {
                    columns.sort(Comparator.comparingInt(c -> names.indexOf(c.getName())));
                }
                // the generator ignores @JsonClassDescription; kubectl explain shows these for the kind, spec and
                // status
                JSONSchemaProps root = version.getSchema().getOpenAPIV3Schema();
                root.setDescription(describe(resource));
                root.getProperties().get("spec").setDescription(describe(spec));
                root.getProperties().get("status").setDescription(describe(status));
            });
            return definition;
        }
    }
}
