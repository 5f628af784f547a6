package dev.zonekeeper.dns;

import dev.zonekeeper.dns.server.UpdateHandler;
import dev.zonekeeper.dns.zone.ZoneSet;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Set;
import org.xbill.DNS.Name;

/**
 * Where the served zones come from: the standalone directory of DnsRecord manifests ({@link DirectoryZoneSource}) or
 * the operator as primary of a sidecar secondary ({@link SecondaryZoneSource}). The {@link DnsServer} serves whatever
 * a source hands its {@link Sink}; it knows nothing else of the source.
 */
interface ZoneSource extends AutoCloseable {

    /** Receives each new version of the zones, on the source's thread, one at a time. */
    @FunctionalInterface
    interface Sink {
        /**
         * {@code zones} is served from now on; names in {@code pending} (zones without a first version yet) are
         * answered SERVFAIL, and the server is not ready while it is not empty.
         */
        void zones(ZoneSet zones, Set<Name> pending);
    }

    /** The zones that cannot be answered before the source's first version of them (before {@link #open}). */
    Set<Name> pending();

    /**
     * Loads what can be served before the DNS port opens (standalone: the whole directory; sidecar: the valid
     * snapshots), handing it to {@code sink}, which the source keeps current from then on.
     */
    void open(Sink sink) throws IOException, InterruptedException;

    /** Whether the warm-up may run on the served zones (loaded by {@link #open}) rather than a throwaway one only. */
    boolean warmsServedZones();

    /** The DNS port is open: a sidecar starts transferring. */
    void serving();

    /** What {@code /ready} says while every zone is served. */
    String servingText(ZoneSet zones);

    /** What {@code /ready} says while zones are pending their first version. */
    String pendingText(Set<Name> pending);

    /**
     * Where dynamic updates and TSIG-signed AXFRs on the DNS port go once {@link #open} has run (sidecar: relayed to
     * the primary; standalone: applied here); null: UPDATE answered NOTIMP, as before there were any.
     */
    default UpdateHandler updates() {
        return null;
    }

    /** Where NOTIFY is received (sidecar mode); null otherwise. */
    default InetSocketAddress notifyAddress() {
        return null;
    }

    @Override
    void close();
}
