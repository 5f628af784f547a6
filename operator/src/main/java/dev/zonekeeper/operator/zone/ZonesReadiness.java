package dev.zonekeeper.operator.zone;

import dev.zonekeeper.operator.config.Leadership;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the zones are served, i.e. after the first full sync of the informers, and from then on: through an API
 * server outage the last zones are served. Whether this replica holds the Lease (writes status) is shown, not required.
 */
@Readiness
@ApplicationScoped
public class ZonesReadiness implements HealthCheck {

    @Inject
    ZonePublisher publisher;

    @Inject
    Leadership leadership;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("zones")
                .status(publisher.published())
                .withData("zones", publisher.origins().toString())
                .withData("leaseHolder", leadership.isLeader())
                .build();
    }
}
