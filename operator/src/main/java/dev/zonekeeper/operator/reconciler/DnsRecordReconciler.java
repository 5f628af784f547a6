package dev.zonekeeper.operator.reconciler;

import dev.zonekeeper.operator.api.v1alpha1.Condition;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecord;
import dev.zonekeeper.operator.api.v1alpha1.DnsRecordStatus;
import dev.zonekeeper.operator.config.Leadership;
import dev.zonekeeper.operator.config.ZoneSettings;
import dev.zonekeeper.operator.zone.ZonePublisher;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Writes each DnsRecord's {@code status} (the {@code Ready} condition, {@code fqdn}, {@code observedGeneration},
 * {@code servedSerial}, {@code claimRevision}) and a Warning Event for every rejection. Writes only while this replica
 * holds the Lease ({@link Leadership}); JOSDK runs it on every replica. What is served is decided
 * on every replica by {@link DnsRecordServing} from its own informer, with the same {@link DnsRecordPolicy}; this
 * reconciler decides the same way from the peers' informer, so status and zone agree.
 *
 * <p>Whether a DnsRecord is served depends on the others at the same name, so a change to one DnsRecord also
 * reconciles the DnsRecords at its old and new name. When the zone publisher first serves a DnsRecord's records, the
 * DnsRecord is reconciled again to write {@code servedSerial}.
 */
@ControllerConfiguration(name = DnsRecordReconciler.NAME)
public class DnsRecordReconciler implements Reconciler<DnsRecord> {

  public static final String NAME = "dnsrecord";

  /** The informer on all DnsRecords whose changes reconcile the records sharing a name. */
  static final String PEERS = "dnsrecord-peers";

  /**
   * Index of the DnsRecord caches by owner name ({@link PeerMapper#normalisedName}), so that a reconciliation or a
   * mapped event looks at the DnsRecords at one name instead of listing every DnsRecord.
   */
  static final String BY_NAME = "by-owner-name";

  private static final Logger LOG = Logger.getLogger(DnsRecordReconciler.class);

  /** Status patches and Events written, by kind ({@code status}, {@code event}): only the Lease holder writes. */
  public static final String WRITES_METRIC = "zonekeeper.dnsrecord.writes";

  private final DnsRecordPolicy policy;
  private final ZonePublisher publisher;
  private final Leadership leadership;
  private final Counter statusWrites;
  private final Counter eventWrites;
  /**
   * Triggered when the publisher first serves a DnsRecord's records (to write servedSerial), when a Service takes a
   * DnsRecord's name or gives it back, and for every DnsRecord when this replica comes to hold the Lease.
   */
  private final SimpleInboundEventSource<DnsRecord> served = new SimpleInboundEventSource<>("dnsrecord-served");
  private volatile IndexerResourceCache<DnsRecord> primaries;

  @Inject
  public DnsRecordReconciler(ZoneSettings zones, ZonePublisher publisher, Leadership leadership,
      MeterRegistry meters) {
    this.policy = new DnsRecordPolicy(zones);
    this.publisher = publisher;
    this.leadership = leadership;
    this.statusWrites = Counter.builder(WRITES_METRIC).tag("kind", "status")
        .description("DnsRecord status patches and Warning Events written by this replica (the Lease holder)")
        .register(meters);
    this.eventWrites = Counter.builder(WRITES_METRIC).tag("kind", "event")
        .description("DnsRecord status patches and Warning Events written by this replica (the Lease holder)")
        .register(meters);
    publisher.addServedListener((namespace, name, serial) -> trigger(namespace, name));
    publisher.addShadowListener(this::trigger);
    // another replica may have written while this one did not hold the Lease: look at every DnsRecord again
    leadership.addGainListener(() -> {
      IndexerResourceCache<DnsRecord> cache = primaries;
      if (cache != null) {
        cache.list().forEach(r -> trigger(r.getMetadata().getNamespace(), r.getMetadata().getName()));
      }
    });
  }

  private void trigger(String namespace, String name) {
    if (served.isRunning()) {
      served.propagateEvent(new ResourceID(name, namespace));
    }
  }

  @Override
  public List<EventSource<?, DnsRecord>> prepareEventSources(EventSourceContext<DnsRecord> context) {
    var peers = new PeerMapper(context);
    var config = InformerEventSourceConfiguration.from(DnsRecord.class, DnsRecord.class)
        .withName(PEERS)
        .withNamespacesInheritedFromController()
        .withSecondaryToPrimaryMapper(peers::primariesSharingName)
        .build();
    var informer = new InformerEventSource<>(config, context) {
      @Override
      public void onDelete(DnsRecord deleted, boolean deletedFinalStateUnknown) {
        super.onDelete(deleted, deletedFinalStateUnknown);
        peers.forget(ResourceID.fromResource(deleted));
      }
    };
    informer.addIndexer(BY_NAME, PeerMapper::nameIndex);
    context.getPrimaryCache().addIndexer(BY_NAME, PeerMapper::nameIndex);
    primaries = context.getPrimaryCache();
    return List.of(informer, served);
  }

  @Override
  public UpdateControl<DnsRecord> reconcile(DnsRecord resource, Context<DnsRecord> context) {
    if (!leadership.isLeader()) {
      return UpdateControl.noUpdate(); // the Lease holder writes; this replica looks at everything again on gaining it
    }
    var meta = resource.getMetadata();
    // the peers' informer: when its event triggered this reconciliation, its cache already holds the change
    @SuppressWarnings("unchecked")
    var peers = (InformerEventSource<DnsRecord, DnsRecord>) context.eventSourceRetriever()
        .getEventSourceFor(DnsRecord.class, PEERS);
    // only the DnsRecords at the same name can contend with this one (the policy ignores the others)
    String name = PeerMapper.normalisedName(resource);
    List<RecordClaim> all = name == null ? List.of()
        : peers.byIndex(BY_NAME, name).stream().map(RecordClaim::of).collect(Collectors.toList());
    Decision decided = policy.decide(RecordClaim.of(resource), all);
    // Services win over DnsRecords in the zone (ZonePublisher): say so rather than "serving"
    Decision decision = decided.fqdn().filter(n -> decided.serving())
        .flatMap(publisher::serviceOwning)
        .map(service -> DnsRecordPolicy.ownedByService(decided, service))
        .orElse(decided);

    DnsRecordStatus previous = resource.getStatus();
    // recorded once, from the first reconciliation on: the version this DnsRecord is ordered by (RecordClaim)
    String claimRevision = previous != null && previous.getClaimRevision() != null ? previous.getClaimRevision()
        : meta.getResourceVersion();
    DnsRecordStatus next = statusFor(decision, previous, meta.getGeneration(),
        publisher.servedSerial(meta.getNamespace(), meta.getName()), claimRevision);
    if (next.equals(previous)) {
      return UpdateControl.noUpdate();
    }
    Optional<Condition> before = previous == null ? Optional.empty() : previous.condition(DnsRecordStatus.READY);
    boolean conditionChanged = before.map(c -> !decision.reason().name().equals(c.getReason())
        || !decision.message().equals(c.getMessage())).orElse(true);
    if (!decision.serving() && conditionChanged) {
      LOG.infof("DnsRecord %s/%s not served: %s: %s", meta.getNamespace(), meta.getName(), decision.reason(),
          decision.message());
      WarningEvents.warn(context.getClient(), resource, decision.reason().name(), decision.message());
      eventWrites.increment();
    }
    statusWrites.increment();
    DnsRecord patch = new DnsRecord();
    patch.setMetadata(new ObjectMetaBuilder().withName(meta.getName()).withNamespace(meta.getNamespace()).build());
    patch.setStatus(next);
    return UpdateControl.patchStatus(patch);
  }

  /**
   * The status for a decision; keeps lastTransitionTime while Ready's status stays. {@code servedSerial} is the serial
   * at which this replica's zones first served the current records; while they are not served yet, the one written
   * before is kept if the decision still serves (the served listener brings the new one).
   */
  static DnsRecordStatus statusFor(Decision decision, DnsRecordStatus previous, Long generation,
      OptionalLong servedSerial, String claimRevision) {
    String readyStatus = decision.serving() ? "True" : "False";
    Optional<Condition> before = previous == null ? Optional.empty() : previous.condition(DnsRecordStatus.READY);
    String since = before.filter(c -> readyStatus.equals(c.getStatus()))
        .map(Condition::getLastTransitionTime)
        .orElseGet(() -> Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    DnsRecordStatus status = new DnsRecordStatus();
    status.setConditions(List.of(new Condition(DnsRecordStatus.READY, readyStatus, decision.reason().name(),
        decision.message(), since, generation)));
    status.setFqdn(decision.fqdn().map(n -> n.toString()).orElse(null));
    status.setObservedGeneration(generation);
    status.setClaimRevision(claimRevision);
    if (decision.serving()) {
      if (servedSerial.isPresent()) {
        status.setServedSerial(servedSerial.getAsLong());
      } else if (previous != null) {
        status.setServedSerial(previous.getServedSerial());
      }
    }
    return status;
  }

  /**
   * Maps a change of one DnsRecord to itself and the other DnsRecords at the name it has now and the name it had
   * before, since their ownership may change with it.
   */
  static final class PeerMapper {
    private final EventSourceContext<DnsRecord> context;
    private final Map<ResourceID, String> lastName = new ConcurrentHashMap<>();

    PeerMapper(EventSourceContext<DnsRecord> context) {
      this.context = context;
    }

    Set<ResourceID> primariesSharingName(DnsRecord changed) {
      ResourceID changedId = ResourceID.fromResource(changed);
      String name = normalisedName(changed);
      String before = name == null ? lastName.remove(changedId) : lastName.put(changedId, name);
      Set<String> names = new HashSet<>();
      if (name != null) {
        names.add(name);
      }
      if (before != null) {
        names.add(before);
      }
      Set<ResourceID> affected = new HashSet<>();
      if (changed.getMetadata().getDeletionTimestamp() == null) {
        affected.add(changedId);
      }
      for (String n : names) {
        for (DnsRecord r : context.getPrimaryCache().byIndex(BY_NAME, n)) {
          affected.add(ResourceID.fromResource(r));
        }
      }
      return affected;
    }

    /** Drops what was remembered about a deleted DnsRecord (after its peers were mapped). */
    void forget(ResourceID deleted) {
      lastName.remove(deleted);
    }

    static List<String> nameIndex(DnsRecord record) {
      String name = normalisedName(record);
      return name == null ? List.of() : List.of(name);
    }

    /**
     * The owner name as {@link DnsRecordPolicy} compares it (absolute, canonical), so that DnsRecords the policy sees
     * at one name share one key; a name that does not parse (the policy rejects it) is only lower-cased.
     */
    static String normalisedName(DnsRecord record) {
      if (record.getSpec() == null || record.getSpec().getName() == null) {
        return null;
      }
      String trimmed = record.getSpec().getName().trim();
      try {
        return org.xbill.DNS.Name.fromString(trimmed, org.xbill.DNS.Name.root).canonicalize().toString();
      } catch (org.xbill.DNS.TextParseException e) {
        String name = trimmed.toLowerCase(Locale.ROOT);
        return name.endsWith(".") ? name : name + ".";
      }
    }
  }
}
