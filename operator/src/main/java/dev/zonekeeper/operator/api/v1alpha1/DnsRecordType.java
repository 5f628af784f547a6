package dev.zonekeeper.operator.api.v1alpha1;

/** The DNS record types a {@link DnsRecord} may publish. */
public enum DnsRecordType {
    A,
    AAAA,
    CNAME,
    MX,
    TXT,
    SRV,
    NS,
    PTR,
    CAA
}
