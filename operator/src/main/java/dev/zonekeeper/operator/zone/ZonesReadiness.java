package dev.zonekeeper.operator.zone;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the zones are served, i.e. after the first full sync of the informers. */
@Readiness
@ApplicationScoped
public class ZonesReadiness implements HealthCheck {

  @Inject
  ZonePublisher publisher;

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("zones")
        .status(publisher.published())
        .withData("zones", publisher.origins().toString())
        .build();
  }
}
