package dev.zonekeeper.dns.query;

import java.util.List;

/**
 * The sections of an authoritative response, before the transport adds header, question and EDNS.
 *
 * @param rcode         a {@link org.xbill.DNS.Rcode} value
 * @param authoritative whether AA is set (false for referrals)
 */
public record Answer(
        int rcode,
        boolean authoritative,
        List<org.xbill.DNS.Record> answer,
        List<org.xbill.DNS.Record> authority,
        List<org.xbill.DNS.Record> additional) {}
