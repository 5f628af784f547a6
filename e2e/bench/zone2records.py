#!/usr/bin/env python3
"""Convert a simple zone file (one record per line, $ORIGIN/$TTL, relative or absolute owners) into DnsRecord
manifests, so Zonekeeper's standalone mode serves the same data as a peer loading the zone file.
SOA and apex NS are skipped: standalone mode generates its own for every --zone.
Usage: zone2records.py ZONEFILE OUTDIR"""
import collections, json, os, sys

src, out = sys.argv[1], sys.argv[2]
origin, ttl = None, 3600
rrsets = collections.OrderedDict()
for line in open(src):
    line = line.split(";", 1)[0].strip()
    if not line:
        continue
    if line.startswith("$ORIGIN"):
        origin = line.split()[1]
        continue
    if line.startswith("$TTL"):
        ttl = int(line.split()[1])
        continue
    parts = line.split()
    owner = parts[0]
    i = 1
    rttl = ttl
    if parts[i].isdigit():
        rttl = int(parts[i]); i += 1
    if parts[i] == "IN":
        i += 1
    rtype, rdata = parts[i], " ".join(parts[i + 1:])
    name = origin if owner == "@" else (owner if owner.endswith(".") else owner + "." + origin)
    if rtype == "SOA" or (rtype == "NS" and name == origin) or name == "ns.dns." + origin:
        continue
    rrsets.setdefault((name, rtype, rttl), []).append(rdata)
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "records.yaml"), "w") as f:
    for n, ((name, rtype, rttl), values) in enumerate(rrsets.items()):
        f.write("---\napiVersion: zonekeeper.dev/v1alpha1\nkind: DnsRecord\n")
        f.write("metadata: {name: r%d}\n" % n)
        f.write("spec: {name: %s, type: %s, ttl: %d, values: %s}\n" % (name, rtype, rttl, json.dumps(values)))
print("%d DnsRecords written to %s/records.yaml" % (len(rrsets), out))
