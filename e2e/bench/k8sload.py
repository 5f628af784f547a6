#!/usr/bin/env python3
"""Loads genk8s.py's objects (OUT/k8s/*.json, one JSON object a line) into an API server, fast: plain HTTPS with
keep-alive connections from several threads (kubectl apply of 150k objects takes far longer), creating each object
(409 AlreadyExists counts as done) and, for Pods, then setting status (phase, podIP, podIPs) through the status
subresource with a merge patch, since the API server drops the status given on create.

Usage: k8sload.py DIR/k8s SERVER-URL TOKEN [THREADS]"""
import http.client, json, os, queue, ssl, sys, threading, time, urllib.parse

src, server, token = sys.argv[1], sys.argv[2], sys.argv[3]
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 16
u = urllib.parse.urlparse(server)
ctx = ssl._create_unverified_context()  # loopback API server with its self-signed certificate


def path(o, sub=""):
    kind, md = o["kind"], o["metadata"]
    ns = md.get("namespace")
    base = {"Namespace": "/api/v1/namespaces",
            "Service": f"/api/v1/namespaces/{ns}/services",
            "Pod": f"/api/v1/namespaces/{ns}/pods",
            "EndpointSlice": f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
            "DnsRecord": f"/apis/zonekeeper.dev/v1alpha1/namespaces/{ns}/dnsrecords"}[kind]
    return base + (f"/{md['name']}/{sub}" if sub else "")


errors = []


def worker(q, counter):
    conn = None
    while True:
        o = q.get()
        if o is None:
            return
        reqs = [("POST", path(o), "application/json", {k: v for k, v in o.items() if k != "status"}, (201, 409))]
        if o["kind"] == "Pod" and "status" in o:
            reqs.append(("PATCH", path(o, "status"), "application/merge-patch+json", {"status": o["status"]}, (200,)))
        for method, p, ctype, body, ok in reqs:
            for attempt in range(5):
                try:
                    if conn is None:
                        conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=60)
                    conn.request(method, p, json.dumps(body).encode(),
                                 {"Authorization": "Bearer " + token, "Content-Type": ctype})
                    r = conn.getresponse()
                    data = r.read()
                    if r.status in ok:
                        break
                    if r.status == 429 or r.status >= 500:
                        time.sleep(0.5 * (attempt + 1))
                        continue
                    errors.append(f"{method} {p}: {r.status} {data[:300]!r}")
                    break
                except (OSError, http.client.HTTPException):
                    conn = None
                    time.sleep(0.5)
            else:
                errors.append(f"{method} {p}: gave up")
        counter[0] += 1


total = 0
t0 = time.time()
for name in sorted(os.listdir(src)):
    if not name.endswith(".json"):
        continue
    t = time.time()
    q, counter = queue.Queue(maxsize=10000), [0]
    ws = [threading.Thread(target=worker, args=(q, counter), daemon=True) for _ in range(threads)]
    for w in ws:
        w.start()
    n = 0
    for line in open(os.path.join(src, name)):
        if line.strip():
            q.put(json.loads(line))
            n += 1
    for _ in ws:
        q.put(None)
    for w in ws:
        w.join()
    total += n
    print(f"[k8sload] {name}: {n} objects in {time.time() - t:.1f}s", file=sys.stderr)
    if errors:
        print("[k8sload] errors (first 5 of %d):\n  %s" % (len(errors), "\n  ".join(errors[:5])), file=sys.stderr)
        sys.exit(1)
print(f"[k8sload] {total} objects in {time.time() - t0:.1f}s", file=sys.stderr)
