package dev.zonekeeper.operator.informers;

import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.discovery.EndpointSliceInfo;
import dev.zonekeeper.operator.discovery.PodInfo;
import dev.zonekeeper.operator.discovery.ServiceInfo;
import dev.zonekeeper.operator.records.RecordClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * The {@link ProjectionStore.Stub}s of the kinds ClusterInformers watches: short-lived objects that stand for a cache
 * entry.
 */
final class Stubs {

    private Stubs() {}

    static final class ServiceStub extends Service implements ProjectionStore.Stub<ServiceInfo> {
        private final transient ServiceInfo projection;

        ServiceStub(ServiceInfo projection) {
            this.projection = projection;
        }

        @Override
        public ServiceInfo projection() {
            return projection;
        }
    }

    static final class EndpointSliceStub extends EndpointSlice implements ProjectionStore.Stub<EndpointSliceInfo> {
        private final transient EndpointSliceInfo projection;

        EndpointSliceStub(EndpointSliceInfo projection) {
            this.projection = projection;
        }

        @Override
        public EndpointSliceInfo projection() {
            return projection;
        }
    }

    static final class PodStub extends Pod implements ProjectionStore.Stub<PodInfo> {
        private final transient PodInfo projection;

        PodStub(PodInfo projection) {
            this.projection = projection;
        }

        @Override
        public PodInfo projection() {
            return projection;
        }
    }

    /** Annotated like {@link DnsRecord} (a custom resource's API version and kind come from its class). */
    @Group(DnsRecord.GROUP)
    @Version(DnsRecord.VERSION)
    @Kind("DnsRecord")
    static final class DnsRecordStub extends DnsRecord implements ProjectionStore.Stub<RecordClaim> {
        private final transient RecordClaim projection;

        DnsRecordStub(RecordClaim projection) {
            this.projection = projection;
        }

        @Override
        public RecordClaim projection() {
            return projection;
        }
    }
}
