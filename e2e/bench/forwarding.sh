#!/usr/bin/env bash
# shellcheck disable=SC2154  # pid_* are set by start (eval in lib.sh)
# Issue 6, part 2: forwarding with a warm cache. A local upstream (Knot on 127.0.0.2, core 1) serves a zone of
# NAMES names; Zonekeeper (no --zone: everything is forwarded), CoreDNS `forward` + `cache` and Unbound (forward-zone,
# its caches) forward to it, each pinned to core 0. One pass of the query file warms the caches (every distinct
# name once; TTLs of a day, so nothing expires), then dnsperf (core 1) offers RATE qps for SECS seconds, REPEAT
# times: server CPU microseconds per query, lost queries, p50/p99 latency.
# Query mix: 80% A of existing names, 10% AAAA of them (NODATA, negative caching), 10% NXDOMAIN (1,000 names).
# Usage: e2e/bench/forwarding.sh [RATE=20000] [SECS=10]     env: REPEAT=3 NAMES=10000 W=/tmp/zk-bench-forwarding
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rate=${1:-20000} secs=${2:-10} repeat=${REPEAT:-3} names=${NAMES:-10000}
w=${W:-/tmp/zk-bench-forwarding}
need dnsperf dnsperf; need knotd knot; need unbound unbound; need dig bind9-dnsutils; need taskset util-linux
need_coredns; need_zk_jar
rm -rf "$w"; mkdir -p "$w/knot-run" "$w/knot-db" "$w/empty"; : >"$w/results.tsv"
trap stop_all EXIT
zone=upstream.zkbench   # a made-up TLD: Unbound answers .test/.invalid/.localhost itself (RFC 6761 local zones)

python3 - "$w" "$names" "$zone" <<'EOF'
import random, sys
w, n, zone = sys.argv[1], int(sys.argv[2]), sys.argv[3]
z = [f"$ORIGIN {zone}.", "$TTL 86400", f"@ IN SOA ns.{zone}. hostmaster.{zone}. 1 7200 1800 86400 86400",
     f"@ IN NS ns.{zone}.", "ns IN A 127.0.0.2"]
z += [f"h{i} IN A 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i in range(n)]
open(f"{w}/{zone}.zone", "w").write("\n".join(z) + "\n")
random.seed(7)
q = []
for _ in range(100000):
    r = random.random()
    if r < 0.80:
        q.append(f"h{random.randrange(n)}.{zone} A")
    elif r < 0.90:
        q.append(f"h{random.randrange(n)}.{zone} AAAA")
    else:
        q.append(f"nx{random.randrange(1000)}.{zone} A")
open(f"{w}/queries.txt", "w").write("\n".join(q) + "\n")
# the warm-up pass: every distinct query once
open(f"{w}/warm.txt", "w").write("\n".join(sorted(set(q))) + "\n")
EOF

cat >"$w/knot.conf" <<EOF
server:
    listen: 127.0.0.2@5399
    rundir: $w/knot-run
    background-workers: 1
    udp-workers: 1
    tcp-workers: 1
database:
    storage: $w/knot-db
log:
  - target: stderr
    any: warning
zone:
  - domain: $zone
    file: $w/$zone.zone
    journal-content: none
    zonefile-sync: -1
EOF
cat >"$w/Corefile" <<EOF
.:5384 {
    forward . 127.0.0.2:5399
    cache 86400 {
        success 200000
        denial 200000
        prefetch 0
    }
}
EOF
cat >"$w/unbound.conf" <<EOF
server:
    interface: 127.0.0.1@5383
    port: 5383
    num-threads: 1
    so-reuseport: no
    do-daemonize: no
    use-syslog: no
    logfile: ""
    verbosity: 0
    username: ""
    chroot: ""
    directory: "$w"
    pidfile: "$w/unbound.pid"
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    module-config: "iterator"
    msg-cache-size: 128m
    rrset-cache-size: 256m
    key-cache-size: 1m
    neg-cache-size: 16m
    prefetch: no
    ratelimit: 0
    ip-ratelimit: 0
    minimal-responses: yes
    qname-minimisation: no
remote-control:
    control-enable: no
forward-zone:
    name: "."
    forward-addr: 127.0.0.2@5399
EOF

taskset -c 1 knotd -c "$w/knot.conf" >"$w/upstream.log" 2>&1 &
started+=($!)
pid_upstream=$!
start zonekeeper "$java" $zk_opts -jar "$zk_jar" --listen 127.0.0.1:5385 --records "$w/empty" \
  --upstream 127.0.0.2:5399 --udp-sockets 1 --cache-size 200000 --metrics 127.0.0.1:5386
start coredns "$coredns" -conf "$w/Corefile"
start unbound unbound -d -c "$w/unbound.conf"
systems=(zonekeeper coredns-forward unbound)
ports=(5385 5384 5383)
pids=("$pid_zonekeeper" "$pid_coredns" "$pid_unbound")
for p in "${ports[@]}"; do wait_dns "$p" "h1.$zone" A; done
wait_load
for i in "${!systems[@]}"; do
  say "warming ${systems[$i]}: every distinct query once, then a run at the measured rate"
  taskset -c 1 dnsperf -s 127.0.0.1 -p "${ports[$i]}" -d "$w/warm.txt" -n 1 -c 8 -Q 5000 >/dev/null 2>&1
  warm "${systems[$i]}" "${ports[$i]}" "$w/queries.txt" "$rate" "$secs"
done
q0=$(cpu_ticks "$pid_upstream")
for r in $(seq 1 "$repeat"); do
  for i in "${!systems[@]}"; do
    say "run $r: ${systems[$i]}"
    measure "$r" "${systems[$i]}" "${pids[$i]}" "${ports[$i]}" "$w/queries.txt" "$rate" "$secs"
  done
done
q1=$(cpu_ticks "$pid_upstream")
echo -e "1\tupstream\t#cpu_ticks_during_measured_runs\t$((q1 - q0)) (near 0: the caches answered)" >>"$w/results.tsv"
for i in "${!systems[@]}"; do echo -e "1\t${systems[$i]}\trss_mib\t$(($(rss_kib "${pids[$i]}") / 1024))" >>"$w/results.tsv"; done
stop_all
print_table "Forwarding, warm cache (issue 6 part 2): $rate qps offered for ${secs}s, $repeat runs; $names upstream names"
