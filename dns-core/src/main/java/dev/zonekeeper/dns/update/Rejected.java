package dev.zonekeeper.dns.update;

/** Ends the handling of a request early with {@code result}; {@code getMessage()} is the detail for the outcome. */
final class Rejected extends Exception {
    private final UpdateResult result;

    Rejected(UpdateResult result, String detail) {
        super(detail, null, false, false); // control flow, not a fault: no stack trace
        this.result = result;
    }

    UpdateResult result() {
        return result;
    }
}
