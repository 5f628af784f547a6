/**
 * <h2>forward</h2>
 *
 * <p>Forwards every query for a name outside the served zones to upstream DNS servers and caches the answers. This
 * is the resolver half of the DNS server; the server calls {@link dev.zonekeeper.dns.forward.Forwarder#forward} after
 * the authoritative zones declined a query, and sends the returned response with the client's ID, question and EDNS.
 *
 * <h3>Description</h3>
 * <ul>
 *   <li><b>Upstream queries</b> carry RD, a fresh 16-bit ID from {@link java.security.SecureRandom}, the client's CD,
 *       and EDNS (payload {@code ednsPayloadSize}, the client's DO) only when the client used EDNS. UDP queries go out
 *       from a bounded pool of {@code udpSockets} sockets per address family, each bound to port 0 (a random
 *       ephemeral port), picked at random per query and replaced by a socket on a new random port after
 *       {@code udpSocketUses} queries; the ID is random and unique on its socket. A datagram is accepted only with
 *       the ID of a query on that socket, from the address and port that query asked, and with the same question
 *       (name case-insensitively, type, class); anything else is dropped, counted as {@code MISMATCH} (or as a stray
 *       datagram when neither ID nor sender is known), and the query keeps waiting for the real answer until the
 *       timeout.</li>
 *   <li><b>Limits</b>: at most {@code maxConcurrent} distinct questions in flight, {@code maxWaiters} queries
 *       waiting for one and {@code maxWaiting} in all; beyond any a query gets REFUSED at once (CoreDNS's
 *       {@code max_concurrent}). Each question in flight has a deadline
 *       ({@link dev.zonekeeper.dns.forward.ForwarderConfig#requestDeadline}) after which its queries get SERVFAIL
 *       whatever the tries do, so the in-flight map cannot grow.</li>
 *   <li><b>Hostile answers</b>: an answer is scrubbed ({@code AnswerScrubber}: nothing for names in our served
 *       zones outside {@code fallthrough}, answer records only along the CNAME chain, authority NS/SOA/DS only for
 *       ancestors of the chain's end, additional only addresses of kept NS/MX/SRV targets). An answer that cannot be
 *       encoded for the cache is passed on uncached; one that cannot be encoded at all gets SERVFAIL; both are
 *       counted, every waiting query is answered and the next query asks upstream again.</li>
 *   <li><b>TC</b>: a truncated UDP answer makes the same question go to the same upstream over TCP (RFC 7766 framing,
 *       2-byte length prefix, up to 65,535 bytes); an answer still truncated over TCP fails the try
 *       ({@code TRUNCATED}).</li>
 *   <li><b>Failover</b>: on timeout, SERVFAIL, REFUSED or a socket error the next upstream is tried, in
 *       {@link dev.zonekeeper.dns.forward.UpstreamPolicy policy} order (sequential by default; random and round robin
 *       available), healthy upstreams first. After {@code maxFails} consecutive failures an upstream is unhealthy and
 *       goes to the end of the order; every {@code healthBackoff} one query's question is also sent to it in the
 *       background as a probe, and its first usable answer makes it healthy again. Client queries never wait for a
 *       probe.</li>
 *   <li><b>Cache</b> ({@link dev.zonekeeper.dns.forward.ResponseCache}): at most {@code cacheMaxEntries} responses
 *       and {@code cacheMaxBytes} estimated bytes, least recently used evicted first, keyed by lower-cased name,
 *       type, class, DO and CD, hashed with a per-process random key (names chosen to collide do not share a
 *       bucket). Positive answers live
 *       for the smallest TTL of the answer RRsets; NXDOMAIN and NODATA for min(SOA TTL, SOA MINIMUM) of the SOA in
 *       the authority section (RFC 2308), and are not cached without one; both bounded by {@code minTtl} and
 *       {@code maxTtl}. Truncated answers and SERVFAIL/REFUSED from upstreams are not cached; the SERVFAIL the
 *       forwarder itself answers when every upstream failed is cached for {@code servfailTtl} (default 0: not
 *       cached; RFC 2308 section 7 allows at most 5 minutes). Cached records are served with TTL min(own TTL, entry
 *       TTL) minus the entry's age in whole seconds. Each entry is also kept pre-encoded
 *       ({@link dev.zonekeeper.dns.forward.EncodedResponse}: the records after the question, with the offset of every
 *       TTL) in a lock-free index that {@link dev.zonekeeper.dns.forward.Forwarder#cachedResponse} searches straight
 *       from a query's bytes: the server answers fresh hits by copying bytes and rewriting the TTLs, without dnsjava.
 *       Such hits do not reorder the least-recently-used list; they mark the entry used, and eviction gives a used
 *       entry a second chance.</li>
 *   <li><b>Serve stale</b> (RFC 8767): entries are kept {@code staleWindow} (default 1 day) past expiry. When every
 *       upstream fails for a name with such an entry, the stale data is served with TTL {@code staleAnswerTtl}
 *       (default 30 s). The RFC's optional "client response timer" (answer stale early while still resolving) is not
 *       implemented: stale data is served only after all upstreams failed.</li>
 *   <li><b>Deduplication</b>: concurrent misses for the same cache key share one upstream resolution.</li>
 *   <li>The response has no OPT record and no AA; RA is set; AD is always clear: the forwarder does not validate
 *       DNSSEC, so it does not vouch for an upstream's AD (RFC 4035 section 3.2.3, RFC 6840 section 5.8).
 *       Truncating it for a UDP client is the caller's job. Non-QUERY opcodes get NOTIMP, a query without question
 *       FORMERR.</li>
 * </ul>
 *
 * <h3>Configuration</h3>
 * <p>{@link dev.zonekeeper.dns.forward.ForwarderConfig}, built with {@code ForwarderConfig.builder()}. Invalid values
 * fail at start-up with a message naming the setting. Without upstreams the builder reads the {@code nameserver}
 * lines of /etc/resolv.conf ({@link dev.zonekeeper.dns.forward.ResolvConf}), port 53.
 * <pre>
 * ForwarderConfig config = ForwarderConfig.builder()
 *         .upstreams(new InetSocketAddress("10.96.0.10", 53), new InetSocketAddress("9.9.9.9", 53))
 *         .timeout(Duration.ofSeconds(2))        // per try (UDP; the TCP retry gets its own)
 *         .cacheMaxEntries(10_000)
 *         .maxTtl(Duration.ofHours(1))
 *         .policy(UpstreamPolicy.named("random"))
 *         .build();
 * Forwarder forwarder = new Forwarder(config, eventLoopGroup, Transport.detect(), metrics);
 * forwarder.forward(query).thenAccept(response -&gt; { response.getHeader().setID(clientId); send(response); });
 * </pre>
 *
 * <h3>Metrics</h3>
 * <p>{@link dev.zonekeeper.dns.forward.ForwarderMetrics} (no-op by default): cache hits, misses (one per client
 * query, including ones that joined a resolution in flight), stale answers served, upstream latency per upstream,
 * upstream failures per upstream and {@link dev.zonekeeper.dns.forward.FailureReason reason}, health changes and TCP
 * retries.
 *
 * <h3>Threads</h3>
 * <p>{@code forward} never blocks. Upstream I/O runs on the given Netty event loop group, whose kind must match the
 * {@link dev.zonekeeper.dns.forward.Transport} (epoll where available, else NIO); returned futures complete on it, or
 * immediately on a cache hit.
 */
package dev.zonekeeper.dns.forward;
