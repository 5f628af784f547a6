#!/usr/bin/env python3
"""Prints a benchmark's one table from RESULTS (tab-separated "run system metric value" lines): per system and
metric the median over the runs, and its ratio to Zonekeeper's figure for the same metric (the first system whose
name starts with "zonekeeper" that has that metric). Metrics starting with "#" are notes, printed under the table.
Usage: table.py RESULTS TITLE [FOOTNOTE]"""
import collections, statistics, sys

rows = collections.OrderedDict()
notes = collections.OrderedDict()
runs = set()
for line in open(sys.argv[1]):
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 4:
        continue
    run, system, metric, value = parts
    runs.add(run)
    if metric.startswith("#"):
        notes.setdefault((system, metric[1:]), value)
        continue
    try:
        rows.setdefault((system, metric), []).append(float(value))
    except ValueError:
        pass

median = {k: statistics.median(v) for k, v in rows.items()}
reference = {}
for (system, metric), m in median.items():
    if system.startswith("zonekeeper") and metric not in reference:
        reference[metric] = m


def fmt(x):
    if x == int(x) and abs(x) >= 100:
        return "%d" % x
    return "%.3g" % x if abs(x) < 100 else "%.0f" % x


table = [("system", "metric", "figure", "ratio to Zonekeeper")]
for (system, metric), m in median.items():
    ref = reference.get(metric)
    if ref is None:
        ratio = "-"
    elif ref == 0:
        ratio = "=" if m == 0 else "-"
    else:
        ratio = "%.2f" % (m / ref)
    n = len(rows[(system, metric)])
    table.append((system, metric, fmt(m) + ("" if n == 1 else " (median of %d)" % n), ratio))
w = [max(len(r[i]) for r in table) for i in range(4)]
print("\n%s" % sys.argv[2])
for i, r in enumerate(table):
    print("| " + " | ".join(c.ljust(w[j]) for j, c in enumerate(r)) + " |")
    if i == 0:
        print("|" + "|".join("-" * (x + 2) for x in w) + "|")
for (system, what), value in notes.items():
    print("  %s %s: %s" % (system, what, value))
if len(sys.argv) > 3:
    print("  " + sys.argv[3])
