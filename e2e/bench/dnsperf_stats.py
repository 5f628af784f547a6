#!/usr/bin/env python3
"""Figures of one `dnsperf -v` run (each answer printed with its latency) and the server's CPU ticks over it, as
tab-separated "run system metric value" lines: CPU us per completed query, lost queries (%), p50/p99 latency (ms)
and the rcode mix (a note: the same data must give the same mix on every server).
Usage: dnsperf_stats.py RUN SYSTEM CPU-TICKS CLK_TCK DNSPERF-OUTPUT"""
import collections, sys

run, system, ticks, hz, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
lat, rc, done, lost = [], collections.Counter(), 0, 0
for line in open(path, errors="replace"):
    f = line.split()
    if line.startswith("> ") and len(f) == 5:
        lat.append(float(f[4]) * 1000)
        rc[f[1]] += 1
    elif "Queries completed:" in line:
        done = int(f[2])
    elif "Queries lost:" in line:
        lost = int(f[2])


def out(metric, value):
    print(f"{run}\t{system}\t{metric}\t{value}")


if not lat or not done:
    out("#failed", "no answers (dnsperf output: %s)" % path)
    sys.exit()
lat.sort()
out("cpu_us_per_query", "%.2f" % (ticks / hz * 1e6 / done))
out("queries_lost_pct", "%.3f" % (100 * lost / (done + lost)))
out("latency_p50_ms", "%.3f" % lat[len(lat) // 2])
out("latency_p99_ms", "%.3f" % lat[min(len(lat) - 1, int(len(lat) * 0.99))])
out("#rcodes", " ".join("%s=%.1f%%" % (k, 100 * v / len(lat)) for k, v in sorted(rc.items())))
