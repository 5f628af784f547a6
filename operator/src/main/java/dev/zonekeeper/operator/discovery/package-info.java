/**
 * Kubernetes DNS-Based Service Discovery (specification 1.1.0) as pure Java: slim projections of Services,
 * EndpointSlices and Pods in, DNS records (dnsjava) out. Nothing here talks to Kubernetes or to the network; the
 * informer layer turns API objects into {@link dev.zonekeeper.operator.discovery.ServiceInfo},
 * {@link dev.zonekeeper.operator.discovery.EndpointSliceInfo} and {@link dev.zonekeeper.operator.discovery.PodInfo},
 * and feeds them to {@link dev.zonekeeper.operator.discovery.ClusterZoneState}, whose deltas go into the journaled
 * zone.
 *
 * <h2>What the specification requires, and we produce</h2>
 *
 * <ul>
 *   <li>{@code dns-version.<zone>. TXT "1.1.0"}.
 *   <li>A Service with cluster IPs (types ClusterIP, NodePort, LoadBalancer): {@code <svc>.<ns>.svc.<zone>} A and/or
 *       AAAA per entry of {@code clusterIPs} (dual-stack); for each <em>named</em> port
 *       {@code _<port>._<proto>.<svc>.<ns>.svc.<zone>. SRV 0 100 <port> <svc>.<ns>.svc.<zone>.}; a PTR per cluster
 *       IP ({@code in-addr.arpa} or nibble {@code ip6.arpa}) to the service name.
 *   <li>A headless Service: A/AAAA at the service name for every published endpoint address; A/AAAA at
 *       {@code <hostname>.<svc>.<ns>.svc.<zone>}; for each named port an SRV per published endpoint to its
 *       hostname name; a PTR per endpoint address to its hostname name. No published endpoint: no record, so the
 *       name is NXDOMAIN, as the specification asks.
 *   <li>An ExternalName Service: {@code <svc>.<ns>.svc.<zone>. CNAME <externalName>.}, nothing else.
 *   <li>The (deprecated but required) pod records {@code <a>-<b>-<c>-<d>.<ns>.pod.<zone>} A.
 * </ul>
 *
 * <h2>Where the specification leaves room, and what we chose (following CoreDNS's kubernetes plugin)</h2>
 *
 * <ul>
 *   <li><b>TTL</b>: one TTL for every record, 5 s by default (CoreDNS's default for the kubernetes plugin).
 *   <li><b>SOA and NS</b>: the SOA as CoreDNS's: {@code <zone>. SOA ns.dns.<zone>. hostmaster.<zone>. <serial> 7200
 *       1800 86400 <ttl>}; the serial is the caller's (the journal's). Always {@code <zone>. NS ns.dns.<zone>.}, with
 *       A/AAAA for {@code ns.dns.<zone>} when the DNS service's addresses are given. CoreDNS differs here: it looks
 *       for its own (non-loopback) address among the endpoints and names itself by that Service ({@code NS
 *       kube-dns.kube-system.svc.<zone>.}), falling back to {@code ns.dns.<zone>} with its interface addresses,
 *       and publishing no NS at all when it has none (as when it listens on loopback only).
 *   <li><b>SRV priority and weight</b> (not prescribed): priority 0, and, as CoreDNS computes it for its answers,
 *       weight {@code floor(100 / N)} (at least 1) where N counts the (address, port) entries behind the RRset
 *       before identical records collapse: each cluster IP or endpoint address once per matching port. So a
 *       single-stack ClusterIP service's {@code _port._proto} SRV has {@code 0 100}, a dual-stack one's
 *       {@code 0 50}; a headless target with an IPv4 and an IPv6 address counts twice, as does an address listed
 *       in two slices, or two ports with one number (53/UDP and 53/TCP at the service name). (CoreDNS's zone
 *       transfer divides by the address count of one slice instead; we follow its query answers, which clients
 *       actually see.)
 *   <li><b>SRV at the service name itself</b> (an extension the specification allows, section 3): CoreDNS answers
 *       {@code SRV <svc>.<ns>.svc.<zone>} with every port, named or not (used by peer-finder and StatefulSet
 *       bootstrap scripts); we publish those records too. Unnamed ports never get a {@code _port._proto} name.
 *   <li><b>Port names and protocols</b> are lower-cased in owner names ({@code _http._tcp}), as CoreDNS does; a port
 *       name that is not a DNS label gets no {@code _port._proto} record.
 *   <li><b>Headless SRV ports</b> are the EndpointSlice's ports (the target ports the pods listen on), as CoreDNS;
 *       a ClusterIP service's SRV carries the service port.
 *   <li><b>Which endpoints are published</b>: the specification says "ready". We publish an endpoint whose
 *       {@code conditions.ready} is true or unknown ({@code null}, which the API says to read as ready) and that is
 *       not terminating; when the Service sets {@code publishNotReadyAddresses}, every endpoint. This equals
 *       CoreDNS's default (it reads only {@code ready}, which the EndpointSlice controller sets false for
 *       terminating pods unless {@code publishNotReadyAddresses}), and stays right for hand-written slices.
 *   <li><b>Endpoint hostname</b> when an endpoint has none (the specification asks for "a unique, system-assigned
 *       identifier"): CoreDNS's default, the address with dashes: {@code 10-1-2-3}; for IPv6 the RFC 5952 text with
 *       {@code :} replaced by {@code -}, and {@code 0} appended when it would end with a dash ({@code fd00--0}). An
 *       endpoint hostname that is not a DNS-1123 label is treated as absent. CoreDNS's optional
 *       {@code endpoint_pod_names} mode (pod name instead of the address) is not offered.
 *   <li><b>ClusterIP services and their endpoints</b>: CoreDNS's query path also answers
 *       {@code <endpoint>.<svc>.<ns>.svc.<zone>} and endpoint PTRs for services that have a cluster IP; its zone
 *       transfer does not, nor does the specification. We follow the specification and the transfer: a service with
 *       a cluster IP produces records from the Service alone, so EndpointSlice churn behind it changes nothing.
 *   <li><b>ExternalName with an IP address</b>: CoreDNS publishes nothing (its CNAME is only for host names), and
 *       neither do we; the name is then NXDOMAIN.
 *   <li><b>Pods</b>: CoreDNS's {@code pods verified} mode: records only for pods that exist, are not being
 *       deleted, and whose phase is not {@code Succeeded}, {@code Failed} or {@code Unknown} (CoreDNS's watch filter;
 *       a terminated pod's address may already be another pod's). One record per entry of {@code status.podIPs}
 *       (dual-stack pods get A and AAAA, the IPv6 name dashed as above), where CoreDNS knows only
 *       {@code status.podIP}, so a dual-stack pod's second address resolves only with us. No PTR for pods (CoreDNS
 *       has none either).
 *   <li><b>Reverse records</b> are returned with the forward ones; {@link
 *       dev.zonekeeper.operator.discovery.ClusterZoneBuilder#isReverse} tells them apart, and the caller routes each
 *       into the configured reverse zone that contains it (e.g. the service CIDR's), dropping the others. When a pod
 *       backs several headless services, its address has one PTR per service, as in CoreDNS.
 *   <li><b>Not published</b>: LoadBalancer ingress and {@code externalIPs} (CoreDNS serves those only through its
 *       separate {@code k8s_external} plugin); FQDN EndpointSlices; wildcard queries (deprecated in CoreDNS).
 * </ul>
 *
 * <h2>Measured against CoreDNS</h2>
 *
 * <p>{@code CoreDnsParityTest} (operator tests, package {@code discovery.parity}) runs CoreDNS 1.12.1's kubernetes
 * plugin ({@code pods verified}) and the dns-server fed from {@link
 * dev.zonekeeper.operator.discovery.ClusterZoneState} against one real API server holding the same objects, and
 * compares rcode, answers (TTL aside) and the authority's SOA/NS owners for every name of either side times A,
 * AAAA, SRV, PTR, TXT, CNAME, NS and SOA. Besides the choices above (endpoint names behind a cluster IP, the NS
 * record, the IPv6 names of dual-stack pods), the answers differ only where CoreDNS's query path synthesizes
 * answers a zone cannot hold or breaks RFC semantics; we keep the standard behaviour there:
 *
 * <ul>
 *   <li>A name that exists but lacks the type asked (the apex for TXT, a namespace name for TXT, an empty
 *       non-terminal such as {@code _tcp.<svc>...} or {@code 10.in-addr.arpa.}, a reverse name for anything but
 *       PTR, {@code dns-version} for anything but TXT): CoreDNS says NXDOMAIN, we say NODATA (RFC 8020).
 *   <li>An SOA query below the apex for a name that does not exist: CoreDNS says NODATA, we say NXDOMAIN.
 *   <li>SRV at a name that has only addresses (an endpoint's host name, a pod name): CoreDNS makes up SRV
 *       records pointing at the name itself (with port 0 for pods); we say NODATA.
 *   <li>A/AAAA at {@code _<port>._<proto>.<svc>}: CoreDNS answers the service's addresses; we have only the
 *       specification's SRV there and say NODATA.
 *   <li>An ExternalName service asked for a type other than A, AAAA or CNAME: CoreDNS says NODATA; the served
 *       CNAME answers every type, as RFC 1034 section 3.6.2 requires of an alias.
 * </ul>
 *
 * <h2>Change tracking</h2>
 *
 * <p>The projections are records, so {@code equals} compares exactly the DNS-relevant fields (CoreDNS's
 * {@code endpointsEquivalent} idea): the informer layer can drop an update whose projection did not change.
 * {@link dev.zonekeeper.operator.discovery.ClusterZoneState} goes further: it recomputes only the records of the
 * object touched and returns the records that entered or left the zone, so an update that changes a projection but
 * no record (an endpoint moving node, a reordered list) also yields an empty delta. Records shared by several
 * objects are reference-counted.
 */
package dev.zonekeeper.operator.discovery;
