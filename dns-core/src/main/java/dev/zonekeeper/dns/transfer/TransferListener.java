package dev.zonekeeper.dns.transfer;

import org.xbill.DNS.Name;

/** What a secondary reports about its transfers, for metrics and logs. Called on the transfer thread. */
public interface TransferListener {
    /** How a new version arrived. */
    enum Kind {
        AXFR,
        IXFR
    }

    /** A listener that ignores everything. */
    TransferListener NONE = new TransferListener() {
        @Override
        public void onTransfer(Name zone, Kind kind, long serial, int recordsChanged) {}

        @Override
        public void onFailure(Name zone, Exception cause) {}
    };

    /**
     * A new version of {@code zone} was transferred and is now served.
     *
     * @param recordsChanged records of the new zone (AXFR) or records removed plus added (IXFR), SOAs not counted
     */
    void onTransfer(Name zone, Kind kind, long serial, int recordsChanged);

    /** A transfer (or refresh check) of {@code zone} failed; the last good version stays served. */
    void onFailure(Name zone, Exception cause);

    /** The primary answered that {@code zone} at {@code serial} is current. */
    default void onUpToDate(Name zone, long serial) {}
}
