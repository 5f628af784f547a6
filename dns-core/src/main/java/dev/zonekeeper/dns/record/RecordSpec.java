package dev.zonekeeper.dns.record;

import java.util.List;

/**
 * The DNS part of a {@code DnsRecord} manifest ({@code spec}), exactly as written by the user and not yet validated.
 *
 * @param name owner name, fully qualified; a trailing dot is optional and the name is absolute either way. May be a
 *     wildcard ({@code *.apps.example.test.}). {@code null} when absent.
 * @param type record type mnemonic, upper case ({@code A}, {@code MX}, ...). {@code null} when absent.
 * @param ttl seconds, or {@code null} for the default ({@value RecordSpecs#DEFAULT_TTL})
 * @param values RDATA of each record in zone-file presentation format. {@code null} when absent.
 */
public record RecordSpec(String name, String type, Long ttl, List<String> values) {}
