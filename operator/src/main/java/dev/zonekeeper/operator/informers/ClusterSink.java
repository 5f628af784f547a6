package dev.zonekeeper.operator.informers;

import dev.zonekeeper.operator.discovery.EndpointSliceInfo;
import dev.zonekeeper.operator.discovery.PodInfo;
import dev.zonekeeper.operator.discovery.ServiceInfo;

/**
 * Where {@link ClusterInformers} delivers the cluster's state, as projections. Calls come from several informer
 * threads; implementations serialise them. {@code receivedNanos} is {@link System#nanoTime()} when the informer event
 * that caused the call arrived.
 */
public interface ClusterSink {

    void upsertService(ServiceInfo service, long receivedNanos);

    void deleteService(String namespace, String name, long receivedNanos);

    void upsertEndpointSlice(EndpointSliceInfo slice, long receivedNanos);

    void deleteEndpointSlice(String namespace, String name, long receivedNanos);

    void upsertPod(PodInfo pod, long receivedNanos);

    void deletePod(String namespace, String name, long receivedNanos);

    /**
     * Every informer has listed its resources once and everything listed has been delivered. Called once, after which
     * the state delivered is complete (and stays so: informers keep their caches while the API server is away).
     */
    void synced();
}
