#!/usr/bin/env bash
# shellcheck disable=SC2154  # pid_* are set by start (eval in lib.sh)
# Issue 6, part 4: resident memory for a large cluster. A real kube-apiserver (k8s.sh) holds SERVICES Services, each
# with an EndpointSlice of PODS_PER_SERVICE pods and those Pods (status.podIP set), by default 10,000 Services and
# 150,000 Pods; then, one after the other, each system watches it until it answers, settles SETTLE seconds and its
# resident memory (VmRSS, summed over its processes) is read:
#   zonekeeper-k8s        operator + sidecar (the operator keeps the objects, the sidecar the zone)
#   zonekeeper-k8s-nopods the same with zonekeeper.pods=disabled (no Pod watch, no pod records: CoreDNS's `pods disabled`)
#   coredns-k8s           CoreDNS kubernetes plugin, `pods disabled` (its default: no pod watch)
#   coredns-k8s-pods      CoreDNS kubernetes plugin, `pods verified` (watches every Pod, as an operator that
#                         answers pod records must)
# bytes per object = RSS / (Services + EndpointSlices + Pods) (the whole process, not a marginal figure). PSS
# (proportional set size, summed) counts a page the processes share once: the two JVMs of Zonekeeper map the same
# libjvm.so and class-data archive, which the RSS sum counts twice; for one process PSS and RSS are about equal.
# Usage: e2e/bench/memory.sh     env: SYSTEMS (all four: "zonekeeper-k8s zonekeeper-k8s-nopods coredns-k8s coredns-k8s-pods") SERVICES=10000 PODS_PER_SERVICE=15 HEADLESS=0 RECORDS=1 SETTLE=30 W=/tmp/zk-bench-memory
# (SERVICES=10000 PODS_PER_SERVICE=1 HEADLESS=1000 RECORDS=1000 are serving.sh's objects: with KEEP_API=1 its API
# server is reused instead of loading 150k Pods, which takes most of an hour on a busy 2-core machine)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$bench/k8s-servers.sh"
w=${W:-/tmp/zk-bench-memory}
services=${SERVICES:-10000} pps=${PODS_PER_SERVICE:-15} settle=${SETTLE:-30} headless=${HEADLESS:-0} records=${RECORDS:-1}
need dig bind9-dnsutils; need taskset util-linux; need openssl openssl
[ -x "$kubectl_bin" ] || die "no Kubernetes control plane under $(dirname "$kubectl_bin"): build it with e2e/scripts/tools.sh k8s"
need_coredns; need_zk_jar
rm -rf "$w"; mkdir -p "$w"; : >"$w/results.tsv"
trap 'stop_all; k8s_down "$w"' EXIT
python3 "$bench/genk8s.py" "$w" --services "$services" --headless "$headless" --records "$records" --pods-per-service "$pps" --queries 10 --k8s >&2
objects=$((services * 2 + services * pps + headless * 7 + records))
say "loading $objects objects into the API server (this takes a while)"
t=$(date +%s)
k8s_up "$w"
echo -e "1\tapi-server\t#load\t$objects objects in $(($(date +%s) - t)) s" >>"$w/results.tsv"
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)  # RSS does not depend on it much; printed for the record

record() { # SYSTEM PIDS
  sleep "$settle"
  local kib pss
  kib=$(rss_kib "$2")
  pss=$(pss_kib "$2")
  echo -e "1\t$1\trss_mib\t$((kib / 1024))" >>"$w/results.tsv"
  echo -e "1\t$1\tbytes_per_object\t$((kib * 1024 / objects))" >>"$w/results.tsv"
  echo -e "1\t$1\tpss_mib\t$((pss / 1024))" >>"$w/results.tsv"
  say "$1: $((kib / 1024)) MiB RSS, $((pss / 1024)) MiB PSS"
}

want() { [[ " ${SYSTEMS:-zonekeeper-k8s zonekeeper-k8s-nopods coredns-k8s coredns-k8s-pods} " == *" $1 "* ]]; }
# measure_zonekeeper SYSTEM PODS-MODE / measure_coredns SYSTEM PODS-MODE: start, record, stop (when SYSTEMS wants it)
measure_zonekeeper() {
  want "$1" && start_zonekeeper_k8s 5398 "$2" || return 0
  record "$1" "$pid_operator,$pid_sidecar"
  echo -e "1\t$1\t#split\toperator $(($(rss_kib "$pid_operator") / 1024)) MiB, sidecar $(($(rss_kib "$pid_sidecar") / 1024)) MiB" >>"$w/results.tsv"
  stop_all
}
measure_coredns() {
  want "$1" || return 0
  start_coredns_k8s 5397 "$2"
  record "$1" "$pid_coredns_k8s"
  stop_all
}
measure_zonekeeper zonekeeper-k8s verified
measure_zonekeeper zonekeeper-k8s-nopods disabled
measure_coredns coredns-k8s disabled
measure_coredns coredns-k8s-pods verified
print_table "Memory (issue 6 part 4): $((services + headless)) Services + as many EndpointSlices + $((services * pps + headless * 5)) Pods + $records DnsRecords ($objects objects), RSS after ${settle}s settled"
