#!/usr/bin/env python3
"""The objects of the side-by-side benchmark (issue 6), in three equivalent forms, plus the dnsperf query mix.

Objects: S ClusterIP Services svcN.nsM (each with a port named http/TCP 80 and an EndpointSlice of P pods), H
headless Services hlN.nsM with 5 ready pods each, R DnsRecords recN.example.test (A). Namespaces ns0..ns(S/100-1).

Written to OUT:
  cluster.local.zone, example.test.zone   zone files with what a cluster DNS answers for those objects
                                          (Service A, SRV _http._tcp, headless A set; DnsRecord A)
  queries.txt                             100,000 queries: ../shared/bench/genzone.py's mix (45% A hit, 15% AAAA
                                          NODATA, 20% search-path NXDOMAIN, 10% SRV, 10% headless) for 95% of the
                                          queries, and 5% DnsRecord lookups (recN.example.test A)
  --k8s: k8s/*.json                       the API objects (Namespaces, Services, EndpointSlices, Pods with their
                                          status.podIP, DnsRecords) for k8sload.py, one JSON document per line

Addresses: Service N gets ClusterIP 10.96.0.0 + 256 + N (inside a 10.96.0.0/12 service range); pods get
10.128.0.0 + k (a 10.128.0.0/9 pod range, room for 8M pods); DnsRecord N gets 192.0.2.0/24-like 10.200.x.y.

Usage: genk8s.py OUT [--services 10000] [--headless 1000] [--pods-per-service 1] [--records 1000] [--k8s]
"""
import argparse, ipaddress, json, os, random

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--services", type=int, default=10000)
ap.add_argument("--headless", type=int, default=1000)
ap.add_argument("--pods-per-service", type=int, default=1)
ap.add_argument("--pods-per-headless", type=int, default=5)
ap.add_argument("--records", type=int, default=1000)
ap.add_argument("--queries", type=int, default=100000)
ap.add_argument("--k8s", action="store_true", help="also write the API objects under OUT/k8s")
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)

ns_count = max(1, a.services // 100)
svc_base = int(ipaddress.IPv4Address("10.96.1.0"))
pod_base = int(ipaddress.IPv4Address("10.128.0.0"))
rec_base = int(ipaddress.IPv4Address("10.200.0.0"))
ip = lambda n: str(ipaddress.IPv4Address(n))
svc_ip = lambda i: ip(svc_base + i)
svc_ns = lambda i: f"ns{i % ns_count}"
hl_ns = lambda i: f"ns{i % ns_count}"
# pod numbering: the pods of Service i are i*P .. i*P+P-1, then the headless pods follow
svc_pod = lambda i, p: i * a.pods_per_service + p
hl_pod = lambda i, p: a.services * a.pods_per_service + i * a.pods_per_headless + p
pod_ip = lambda k: ip(pod_base + k)
rec_ip = lambda i: ip(rec_base + i)

# --- zone files
z = ["$ORIGIN cluster.local.", "$TTL 5",
     "@ IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5",
     "@ IN NS ns.dns.cluster.local.", "ns.dns IN A 10.96.0.10"]
for i in range(a.services):
    n, s = svc_ns(i), f"svc{i}"
    z.append(f"{s}.{n}.svc IN A {svc_ip(i)}")
    z.append(f"_http._tcp.{s}.{n}.svc IN SRV 0 100 80 {s}.{n}.svc.cluster.local.")
for i in range(a.headless):
    for p in range(a.pods_per_headless):
        z.append(f"hl{i}.{hl_ns(i)}.svc IN A {pod_ip(hl_pod(i, p))}")
open(os.path.join(a.out, "cluster.local.zone"), "w").write("\n".join(z) + "\n")
z = ["$ORIGIN example.test.", "$TTL 30",
     "@ IN SOA ns.dns.example.test. hostmaster.example.test. 1 7200 1800 86400 30",
     "@ IN NS ns.dns.example.test.", "ns.dns IN A 10.96.0.10"]
z += [f"rec{i} IN A {rec_ip(i)}" for i in range(a.records)]
open(os.path.join(a.out, "example.test.zone"), "w").write("\n".join(z) + "\n")

# --- queries (genzone.py's proportions, 5% DnsRecord lookups in front)
random.seed(7)
q = []
for _ in range(a.queries):
    r = random.random()
    if r < 0.05 and a.records:
        q.append(f"rec{random.randrange(a.records)}.example.test A")
        continue
    r = (r - 0.05) / 0.95 if a.records else r
    i = random.randrange(a.services)
    s, n = f"svc{i}", svc_ns(i)
    if r < 0.45:
        q.append(f"{s}.{n}.svc.cluster.local A")
    elif r < 0.60:
        q.append(f"{s}.{n}.svc.cluster.local AAAA")           # NODATA
    elif r < 0.80:
        q.append(f"{s}.{n}.svc.{n}.svc.cluster.local A")      # search-path NXDOMAIN
    elif r < 0.90 or not a.headless:
        q.append(f"_http._tcp.{s}.{n}.svc.cluster.local SRV")
    else:
        h = random.randrange(a.headless)
        q.append(f"hl{h}.{hl_ns(h)}.svc.cluster.local A")
open(os.path.join(a.out, "queries.txt"), "w").write("\n".join(q) + "\n")

# --- Kubernetes objects
if a.k8s:
    d = os.path.join(a.out, "k8s")
    os.makedirs(d, exist_ok=True)

    def pod(name, ns, k, app):
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
                "spec": {"containers": [{"name": "c", "image": "registry.invalid/bench:1"}],
                         "automountServiceAccountToken": False},
                "status": {"phase": "Running", "podIP": pod_ip(k), "podIPs": [{"ip": pod_ip(k)}]}}

    def slice_(svc, ns, pods):
        return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": f"{svc}-bench", "namespace": ns,
                             "labels": {"kubernetes.io/service-name": svc,
                                        "endpointslice.kubernetes.io/managed-by": "bench.zonekeeper.dev"}},
                "addressType": "IPv4",
                "ports": [{"name": "http", "protocol": "TCP", "port": 8080}],
                "endpoints": [{"addresses": [pod_ip(k)], "conditions": {"ready": True},
                               "targetRef": {"kind": "Pod", "namespace": ns, "name": pname}}
                              for pname, k in pods]}

    with open(os.path.join(d, "0-namespaces.json"), "w") as f:
        for m in range(ns_count):
            f.write(json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns{m}"}}) + "\n")
    with open(os.path.join(d, "1-services.json"), "w") as fs, \
            open(os.path.join(d, "2-endpointslices.json"), "w") as fe, \
            open(os.path.join(d, "3-pods.json"), "w") as fp:
        for i in range(a.services):
            s, n = f"svc{i}", svc_ns(i)
            fs.write(json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": s, "namespace": n},
                                 "spec": {"clusterIP": svc_ip(i), "selector": {"app": s},
                                          "ports": [{"name": "http", "protocol": "TCP", "port": 80,
                                                     "targetPort": 8080}]}}) + "\n")
            pods = [(f"{s}-{p}", svc_pod(i, p)) for p in range(a.pods_per_service)]
            for pname, k in pods:
                fp.write(json.dumps(pod(pname, n, k, s)) + "\n")
            fe.write(json.dumps(slice_(s, n, pods)) + "\n")
        for i in range(a.headless):
            s, n = f"hl{i}", hl_ns(i)
            fs.write(json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": s, "namespace": n},
                                 "spec": {"clusterIP": "None", "selector": {"app": s},
                                          "ports": [{"name": "http", "protocol": "TCP", "port": 80,
                                                     "targetPort": 8080}]}}) + "\n")
            pods = [(f"{s}-{p}", hl_pod(i, p)) for p in range(a.pods_per_headless)]
            for pname, k in pods:
                fp.write(json.dumps(pod(pname, n, k, s)) + "\n")
            fe.write(json.dumps(slice_(s, n, pods)) + "\n")
    with open(os.path.join(d, "4-dnsrecords.json"), "w") as f:
        for i in range(a.records):
            f.write(json.dumps({"apiVersion": "zonekeeper.dev/v1alpha1", "kind": "DnsRecord",
                                "metadata": {"name": f"rec{i}", "namespace": "ns0"},
                                "spec": {"name": f"rec{i}.example.test.", "type": "A", "ttl": 30,
                                         "values": [rec_ip(i)]}}) + "\n")
print(f"{a.services} services, {a.headless} headless x {a.pods_per_headless} pods, {a.records} DnsRecords, "
      f"{a.services * a.pods_per_service + a.headless * a.pods_per_headless} pods -> {a.out}")
