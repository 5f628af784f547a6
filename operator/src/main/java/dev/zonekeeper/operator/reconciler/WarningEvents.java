package dev.zonekeeper.operator.reconciler;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.jboss.logging.Logger;

/** Emits core/v1 Events of type Warning on an object, as {@code kubectl describe} shows them. */
final class WarningEvents {

    static final String COMPONENT = "zonekeeper-operator";

    private static final Logger LOG = Logger.getLogger(WarningEvents.class);

    private WarningEvents() {}

    static void warn(KubernetesClient client, HasMetadata about, String reason, String message) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        var meta = about.getMetadata();
        var event = new EventBuilder()
                .withNewMetadata()
                .withGenerateName(meta.getName() + ".")
                .withNamespace(meta.getNamespace())
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder()
                        .withApiVersion(about.getApiVersion())
                        .withKind(about.getKind())
                        .withNamespace(meta.getNamespace())
                        .withName(meta.getName())
                        .withUid(meta.getUid())
                        .withResourceVersion(meta.getResourceVersion())
                        .build())
                .withType("Warning")
                .withReason(reason)
                .withMessage(message)
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .withNewSource()
                .withComponent(COMPONENT)
                .endSource()
                .withReportingComponent(COMPONENT)
                .build();
        try {
            client.v1()
                    .events()
                    .inNamespace(meta.getNamespace())
                    .resource(event)
                    .create();
        } catch (KubernetesClientException e) {
            // an event is a courtesy: the status carries the same information
            LOG.warnf(
                    "could not record %s event on %s/%s: %s",
                    reason, meta.getNamespace(), meta.getName(), e.getMessage());
        }
    }
}
