package dev.zonekeeper.operator.reconciler;

import dev.zonekeeper.operator.config.Leadership;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.util.List;

/**
 * What makes a status-writing reconciler look at a resource again besides the resource's own changes: a decision made
 * elsewhere changed ({@link #trigger}), and, for every resource, this replica coming to hold the Lease (another replica
 * may have written while this one did not).
 */
final class Triggers<R extends HasMetadata> {

    private final SimpleInboundEventSource<R> source;
    private volatile IndexerResourceCache<R> primaries;

    Triggers(String name, Leadership leadership) {
        this.source = new SimpleInboundEventSource<>(name);
        leadership.addGainListener(() -> {
            IndexerResourceCache<R> cache = primaries;
            if (cache != null) {
                cache.list()
                        .forEach(r -> trigger(
                                r.getMetadata().getNamespace(), r.getMetadata().getName()));
            }
        });
    }

    void trigger(String namespace, String name) {
        if (source.isRunning()) {
            source.propagateEvent(new ResourceID(name, namespace));
        }
    }

    /** The reconciler's event sources: these triggers (it keeps the primary cache for the Lease's gain). */
    List<EventSource<?, R>> eventSources(EventSourceContext<R> context) {
        primaries = context.getPrimaryCache();
        return List.of(source);
    }
}
