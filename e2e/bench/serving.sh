#!/usr/bin/env bash
# shellcheck disable=SC2154  # pid_* are set by start (eval in lib.sh)
# Issue 6, part 1: serving cost side by side. The same objects (10,000 Services, 1,000 headless Services x 5 pods,
# 1,000 DnsRecords; genk8s.py) served by
#   zone files:  Zonekeeper standalone (the DnsRecord manifests zone2records.py makes of the zone files),
#                CoreDNS `file`, NSD, Knot
#   API server:  CoreDNS `kubernetes` and Zonekeeper operator + sidecar, both watching one real kube-apiserver
#                holding the objects (when its binaries exist, see k8s.sh; K8S=0 skips this half)
# each pinned to core 0, dnsperf on core 1 offering RATE qps of genk8s.py's query mix for SECS seconds, REPEAT times
# (medians): server CPU microseconds per query, lost queries, p50/p99 latency (dnsperf -v: each answer's latency).
# Usage: e2e/bench/serving.sh [RATE=20000] [SECS=10]     env: REPEAT=3 K8S=auto|0 W=/tmp/zk-bench-serving MAX_LOAD=1.5
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rate=${1:-20000} secs=${2:-10} repeat=${REPEAT:-3}
w=${W:-/tmp/zk-bench-serving}
k8s=${K8S:-auto}
need dnsperf dnsperf; need knotd knot; need nsd nsd; need dig bind9-dnsutils; need taskset util-linux
need_coredns; need_zk_jar
rm -rf "$w"; mkdir -p "$w/knot-run" "$w/knot-db"; : >"$w/results.tsv"
trap stop_all EXIT
python3 "$bench/genk8s.py" "$w" --services "${SERVICES:-10000}" --headless "${HEADLESS:-1000}" --records "${RECORDS:-1000}" \
  ${k8s:+$([ "$k8s" = 0 ] || echo --k8s)} >&2
cat "$w/cluster.local.zone" "$w/example.test.zone" >"$w/all.zone"
python3 "$root/e2e/bench/zone2records.py" "$w/all.zone" "$w/zk-records" >&2

# --- configurations (the settings of ../shared/bench/conf: one UDP worker each, no logging, no rate limiting)
zones="cluster.local example.test"
{
  printf 'server:\n    listen: 127.0.0.1@5391\n    rundir: %s/knot-run\n    background-workers: 1\n    udp-workers: 1\n    tcp-workers: 1\n' "$w"
  printf 'database:\n    storage: %s/knot-db\nlog:\n  - target: stderr\n    any: warning\nzone:\n' "$w"
  for z in $zones; do printf '  - domain: %s\n    file: %s/%s.zone\n    journal-content: none\n    zonefile-sync: -1\n' "$z" "$w" "$z"; done
} >"$w/knot.conf"
{
  printf 'server:\n    ip-address: 127.0.0.1@5392\n    server-count: 1\n    rrl-ratelimit: 0\n    username: ""\n    zonesdir: %s\n' "$w"
  printf '    pidfile: %s/nsd.pid\n    database: ""\n    xfrdfile: %s/xfrd.state\n    zonelistfile: %s/zone.list\n    logfile: %s/nsd.log\n' "$w" "$w" "$w" "$w"
  printf 'remote-control:\n    control-enable: no\n'
  for z in $zones; do printf 'zone:\n    name: %s\n    zonefile: %s.zone\n' "$z" "$z"; done
} >"$w/nsd.conf"
for z in $zones; do printf '%s:5394 {\n    file %s/%s.zone\n}\n' "$z" "$w" "$z"; done >"$w/Corefile.file"

# --- zone-file servers
start knot knotd -c "$w/knot.conf"
start nsd nsd -c "$w/nsd.conf" -d
start coredns_file "$coredns" -conf "$w/Corefile.file" -dns.port 5394
start zonekeeper "$java" $zk_opts -jar "$zk_jar" --listen 127.0.0.1:5395 --records "$w/zk-records" \
  --zone cluster.local --zone example.test --upstream none --udp-sockets 1 --metrics 127.0.0.1:5396 $zk_limits
systems=(zonekeeper coredns-file nsd knot)
ports=(5395 5394 5392 5391)
for p in "${ports[@]}"; do wait_dns "$p" svc0.ns0.svc.cluster.local A; wait_dns "$p" rec0.example.test A; done
# the mix's answers, one of each kind, must be the same everywhere (same data, not just similar load)
reference=$(answers 5391)
for p in "${ports[@]}"; do [ "$(answers "$p")" = "$reference" ] || die "port $p answers the sample queries unlike Knot"; done
pids=("$pid_zonekeeper" "$pid_coredns_file" "$(tree "$pid_nsd")" "$pid_knot")
wait_load
for i in "${!systems[@]}"; do say "warming ${systems[$i]}"; warm "${systems[$i]}" "${ports[$i]}" "$w/queries.txt" "$rate" "$secs"; done
for r in $(seq 1 "$repeat"); do
  for i in "${!systems[@]}"; do
    say "run $r: ${systems[$i]}"
    measure "$r" "${systems[$i]}" "${pids[$i]}" "${ports[$i]}" "$w/queries.txt" "$rate" "$secs"
  done
done
for i in "${!systems[@]}"; do echo -e "1\t${systems[$i]}\trss_mib\t$(($(rss_kib "${pids[$i]}") / 1024))" >>"$w/results.tsv"; done
stop_all

# --- the same objects through a real API server
if [ "$k8s" != 0 ] && [ -x "${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/1.33.4-linux-amd64/kube-apiserver" ]; then
  source "$bench/k8s-servers.sh"
  k8s_up "$w"
  start_coredns_k8s 5397
  [ "$(answers 5397)" = "$reference" ] || die "CoreDNS kubernetes answers the sample queries unlike the zone files"
  k8s_systems=(coredns-k8s) k8s_ports=(5397) k8s_pids=("$pid_coredns_k8s")
  if start_zonekeeper_k8s 5398; then
    [ "$(answers 5398)" = "$reference" ] || die "Zonekeeper operator + sidecar answer the sample queries unlike the zone files"
    k8s_systems=(zonekeeper-k8s "${k8s_systems[@]}") k8s_ports=(5398 "${k8s_ports[@]}") k8s_pids=("$pid_sidecar" "${k8s_pids[@]}")
  fi
  wait_load
  for i in "${!k8s_systems[@]}"; do warm "${k8s_systems[$i]}" "${k8s_ports[$i]}" "$w/queries.txt" "$rate" "$secs"; done
  for r in $(seq 1 "$repeat"); do
    for i in "${!k8s_systems[@]}"; do
      say "run $r: ${k8s_systems[$i]}"
      measure "$r" "${k8s_systems[$i]}" "${k8s_pids[$i]}" "${k8s_ports[$i]}" "$w/queries.txt" "$rate" "$secs"
    done
  done
  stop_all
  k8s_down "$w"
elif [ "$k8s" != 0 ]; then
  say "no kube-apiserver under ${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/1.33.4-linux-amd64 (e2e/scripts/tools.sh k8s): API-server half skipped"
fi
print_table "Serving (issue 6 part 1): $rate qps offered for ${secs}s, $repeat runs; server on core 0, dnsperf on core 1"
