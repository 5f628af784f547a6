#!/usr/bin/env python3
"""Turns programming-latency.sh's raw.tsv (one line per measurement: system kind op index latency_ms api_write_ms)
into the benchmarks' one table (table.py: system | metric | figure | ratio to Zonekeeper), with p50 and p99 (nearest
rank, as the driver computes them) per kind and operation, for Zonekeeper, CoreDNS and the driver's own watch.
Usage: proglat_table.py RAW.tsv RESULTS.tsv (then table.py RESULTS.tsv TITLE)"""
import collections, math, sys

values = collections.OrderedDict()
with open(sys.argv[1]) as f:
    next(f, None)  # header
    for line in f:
        p = line.rstrip("\n").split("\t")
        if len(p) != 6:
            continue
        system, kind, op, _, ms, _ = p
        try:
            values.setdefault((system, kind.lower(), op), []).append(float(ms))
        except ValueError:
            pass


def pct(s, q):
    return s[max(0, min(len(s) - 1, math.ceil(q * len(s)) - 1))]


order = {"zonekeeper": 0, "coredns": 1}
with open(sys.argv[2], "w") as out:
    for (system, kind, op), v in sorted(values.items(), key=lambda kv: order.get(kv[0][0], 2)):
        s = sorted(v)
        name = "api-watch" if system.startswith("(API watch") else system
        for q, label in ((0.5, "p50"), (0.99, "p99")):
            out.write("1\t%s\t%s_%s_%s_ms\t%.2f\n" % (name, kind, op, label, pct(s, q)))
        out.write("1\t%s\t%s_%s_seen\t%d\n" % (name, kind, op, len(s)))
