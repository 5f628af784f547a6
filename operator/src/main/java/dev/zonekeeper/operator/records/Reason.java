package dev.zonekeeper.operator.records;

/** Reasons of a DnsRecord's {@code Ready} condition. */
public enum Reason {
    /** The records are valid, allowed and owned: they are served. */
    Serving,
    /** A value is not valid presentation format for the type, or the name/type combination is impossible. */
    InvalidValue,
    /** An older DnsRecord owns the same name and type, or a CNAME and other data would share a name. */
    Conflict,
    /** The name lies in no zone Zonekeeper serves. */
    ZoneNotServed,
    /** The namespace may not write this name. */
    NotAllowed,
    /** NS records at a zone apex: the zone's own NS records are generated, more would change its delegation. */
    ZoneApexNS,
    /** A Service owns the name (it is the Service's name or lies below it): the Service's records are served. */
    NameOwnedByService
}
