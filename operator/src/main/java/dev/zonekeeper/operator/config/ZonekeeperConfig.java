package dev.zonekeeper.operator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Operator settings under {@code zonekeeper.*} (environment {@code ZONEKEEPER_*}). Zone names are checked at start-up
 * by {@link ZoneSettings#parse}; an invalid one stops the operator with a message naming the key.
 */
@ConfigMapping(prefix = "zonekeeper")
public interface ZonekeeperConfig {

    /** The cluster domain; DnsRecords inside it must be under {@code <own-namespace>.svc.<domain>}. */
    @WithDefault("cluster.local")
    String clusterDomain();

    /** Extra zones served for DnsRecords. */
    Optional<List<String>> zones();

    /**
     * Zone name to the comma-separated namespaces allowed to write DnsRecords in it ({@code *} = every namespace). A zone
     * without an entry cannot be written by any namespace. Example: {@code zonekeeper.zone-writers."example.com"=team-a,team-b}.
     */
    Map<String, String> zoneWriters();

    /** TTL of the records built for the cluster domain (Services, Pods). */
    @WithDefault("5")
    int ttl();

    /**
     * Pod records ({@code <dashed-ip>.<namespace>.pod.<domain>}), as CoreDNS's {@code pods} option: {@code verified}
     * watches every Pod and answers for the live ones; {@code disabled} watches no Pod and has no pod records, which
     * saves the memory of one projection per Pod on big clusters (Services and headless Services do not need Pods:
     * their records come from EndpointSlices).
     */
    @WithDefault("verified")
    PodRecords pods();

    /** The values of {@link #pods()}. */
    enum PodRecords {
        VERIFIED,
        DISABLED
    }

    Tsig tsig();

    Transfer transfer();

    LeaderElection leaderElection();

    Updates updates();

    /** Dynamic updates (RFC 2136 + TSIG) on the transfer port, which the DNS server sidecar forwards UPDATEs to. */
    interface Updates {
        /**
         * Off: UPDATE is answered NOTIMP; DnsUpdatePolicies are not read (nor their Secrets) and get no status.
         * On, UPDATE is still refused until a DnsUpdatePolicy with a grant is Ready.
         */
        @WithDefault("true")
        boolean enabled();
    }

    /** TSIG key protecting zone transfers to the DNS server sidecar. */
    interface Tsig {
        /** File with {@code name:algorithm:base64secret}. */
        Optional<String> keyFile();
    }

    /** The zone-transfer endpoint (AXFR/IXFR over TCP). */
    interface Transfer {
        @WithDefault("127.0.0.1:5300")
        String listen();

        /** Where NOTIFY is sent on every zone change: the DNS server sidecar's {@code --notify-listen}. */
        @WithName("notify")
        @WithDefault("127.0.0.1:5354")
        List<String> notifyTargets();
    }

    /**
     * Only the holder of this Lease writes DnsRecord status and Events; every replica serves its zones regardless (see
     * {@link Leadership}). Losing the Lease never ends the process: the replica stops writing and competes again.
     */
    interface LeaderElection {
        /**
         * Off: this replica writes status without a Lease. Only for a single replica: with several, each would write.
         */
        @WithDefault("true")
        boolean enabled();

        @WithDefault("zonekeeper-operator")
        String leaseName();

        /** Namespace of the Lease; default: the namespace the operator runs in. */
        Optional<String> leaseNamespace();
    }
}
