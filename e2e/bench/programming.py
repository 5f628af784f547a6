#!/usr/bin/env python3
"""Programming latency (issue 6 part 3): for each of COUNT objects, the time from the API write (the request sent)
to the first DNS answer that shows the change, polled over UDP every ~1 ms at 127.0.0.1:PORT.
  service:   create Service progN.ns0 (ClusterIP 10.104.x.y)   -> A progN.ns0.svc.cluster.local answers that address
             change its port 80 -> 81                           -> SRV _http._tcp.progN... answers port 81
             delete it                                          -> A progN... answers NXDOMAIN
  dnsrecord: create DnsRecord progN.example.test A 10.201.x.y, change the value, delete it (the same three checks)
Prints tab-separated "1 SYSTEM METRIC VALUE" lines (create/change/delete p50 and p99 in ms) for table.py.
Usage: programming.py SYSTEM KIND SERVER-URL TOKEN DNS-PORT [COUNT=1000] [TIMEOUT-S=30]"""
import http.client, json, random, signal, socket, ssl, struct, sys, time, urllib.parse

system, kind, server, token, port = sys.argv[1:6]
port = int(port)
count = int(sys.argv[6]) if len(sys.argv) > 6 else 1000
timeout = float(sys.argv[7]) if len(sys.argv) > 7 else 30.0
u = urllib.parse.urlparse(server)
conn = http.client.HTTPSConnection(u.hostname, u.port, context=ssl._create_unverified_context(), timeout=60)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(0.001)


def api(method, path, body=None, ctype="application/json"):
    conn.request(method, path, json.dumps(body).encode() if body is not None else None,
                 {"Authorization": "Bearer " + token, "Content-Type": ctype})
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:300]!r}")


def query(name, qtype):
    """-> (rcode, [rdata bytes of answers of qtype]) or None on timeout"""
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    q += struct.pack(">HH", qtype, 1)
    sock.sendto(q, ("127.0.0.1", port))
    deadline = time.monotonic() + 0.05
    while time.monotonic() < deadline:
        try:
            m = sock.recv(4096)
        except socket.timeout:
            continue
        if len(m) < 12 or struct.unpack(">H", m[:2])[0] != qid:
            continue
        rcode, an = m[3] & 15, struct.unpack(">H", m[6:8])[0]
        i = 12
        while m[i]:  # question name
            i += 1 + m[i]
        i += 5
        out = []
        for _ in range(an):
            if m[i] & 0xC0 == 0xC0:
                i += 2
            else:
                while m[i]:
                    i += 1 + m[i]
                i += 1
            t, _, _, rdlen = struct.unpack(">HHIH", m[i:i + 10])
            if t == qtype:
                out.append(m[i + 10:i + 10 + rdlen])
            i += 10 + rdlen
        return rcode, out
    return None


def wait_for(check, t0):
    while time.monotonic() - t0 < timeout:
        if check():
            return (time.monotonic() - t0) * 1000
        time.sleep(0.0005)
    return None


def has_a(name, addr):
    packed = socket.inet_aton(addr)
    return lambda: (r := query(name, 1)) is not None and r[0] == 0 and packed in r[1]


def has_srv_port(name, p):
    return lambda: (r := query(name, 33)) is not None and r[0] == 0 and any(struct.unpack(">H", x[4:6])[0] == p for x in r[1])


def nxdomain(name):
    return lambda: (r := query(name, 1)) is not None and r[0] == 3


lat = {"create": [], "change": [], "delete": []}
missed = {"create": 0, "change": 0, "delete": 0}


def step(what, method, path, body, check, ctype="application/json"):
    t0 = time.monotonic()
    api(method, path, body, ctype)
    ms = wait_for(check, t0)
    if ms is None:
        missed[what] += 1
    else:
        lat[what].append(ms)


def stop(*_):
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, stop)  # report what was measured so far
tag = random.randrange(1 << 20)
done = 0
try:
    for i in range(count):
        n = f"prog{tag}x{i}"
        if kind == "service":
            ip = f"10.104.{i // 256}.{i % 256}"
            base, fq = "/api/v1/namespaces/ns0/services", f"{n}.ns0.svc.cluster.local"
            step("create", "POST", base, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": n},
                                          "spec": {"clusterIP": ip, "ports": [{"name": "http", "protocol": "TCP", "port": 80}]}},
                 has_a(fq, ip))
            step("change", "PATCH", f"{base}/{n}", {"spec": {"ports": [{"name": "http", "protocol": "TCP", "port": 81}]}},
                 has_srv_port(f"_http._tcp.{fq}", 81), "application/merge-patch+json")
            step("delete", "DELETE", f"{base}/{n}", None, nxdomain(fq))
        else:
            base, fq = "/apis/zonekeeper.dev/v1alpha1/namespaces/ns0/dnsrecords", f"{n}.example.test"
            a1, a2 = f"10.201.{i // 256}.{i % 256}", f"10.202.{i // 256}.{i % 256}"
            step("create", "POST", base, {"apiVersion": "zonekeeper.dev/v1alpha1", "kind": "DnsRecord", "metadata": {"name": n},
                                          "spec": {"name": fq + ".", "type": "A", "ttl": 30, "values": [a1]}}, has_a(fq, a1))
            step("change", "PATCH", f"{base}/{n}", {"spec": {"values": [a2]}}, has_a(fq, a2), "application/merge-patch+json")
            step("delete", "DELETE", f"{base}/{n}", None, nxdomain(fq))
        done += 1
except KeyboardInterrupt:
    pass
for what, v in lat.items():
    v.sort()
    if v:
        print(f"1\t{system}\t{kind}_{what}_p50_ms\t{v[len(v) // 2]:.1f}")
        print(f"1\t{system}\t{kind}_{what}_p99_ms\t{v[min(len(v) - 1, int(len(v) * 0.99))]:.1f}")
    if missed[what]:
        print(f"1\t{system}\t#{kind}_{what}_missed\t{missed[what]} of {done} not seen within {timeout:.0f}s")
if done < count:
    print(f"1\t{system}\t#{kind}_interrupted\tafter {done} of {count} objects")
