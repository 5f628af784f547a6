package dev.zonekeeper.e2e.scenario;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** DnsRecord custom resources through the generic client (the e2e module does not depend on the operator's classes). */
final class DnsRecords {

    static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder()
            .withGroup("zonekeeper.dev")
            .withVersion("v1alpha1")
            .withKind("DnsRecord")
            .withPlural("dnsrecords")
            .withNamespaced(true)
            .build();

    private DnsRecords() {}

    static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>>
            api(KubernetesClient client) {
        return client.genericKubernetesResources(CONTEXT);
    }

    static GenericKubernetesResource of(String namespace, String name, String fqdn, String type, List<String> values) {
        GenericKubernetesResource resource = new GenericKubernetesResourceBuilder()
                .withApiVersion("zonekeeper.dev/v1alpha1")
                .withKind("DnsRecord")
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .build();
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", fqdn);
        spec.put("type", type);
        spec.put("values", values);
        resource.setAdditionalProperty("spec", spec);
        return resource;
    }

    /** The Ready condition: status, reason, message, or empty while the operator has not written one. */
    record Ready(String status, String reason, String message) {}

    @SuppressWarnings("unchecked")
    static Optional<Ready> ready(GenericKubernetesResource resource) {
        if (resource == null || !(resource.getAdditionalProperties().get("status") instanceof Map)) {
            return Optional.empty();
        }
        Object conditions =
                ((Map<String, Object>) resource.getAdditionalProperties().get("status")).get("conditions");
        if (!(conditions instanceof List)) {
            return Optional.empty();
        }
        for (Object c : (List<Object>) conditions) {
            Map<String, Object> condition = (Map<String, Object>) c;
            if ("Ready".equals(condition.get("type"))) {
                return Optional.of(new Ready(
                        String.valueOf(condition.get("status")),
                        String.valueOf(condition.get("reason")),
                        String.valueOf(condition.get("message"))));
            }
        }
        return Optional.empty();
    }

    @SuppressWarnings("unchecked")
    static Object status(GenericKubernetesResource resource, String field) {
        Object status = resource.getAdditionalProperties().get("status");
        return status instanceof Map ? ((Map<String, Object>) status).get(field) : null;
    }
}
