#!/usr/bin/env bash
# shellcheck disable=SC2154  # pid_* are set by start (eval in lib.sh)
# Issue 6, part 3: programming latency. With the serving benchmark's objects in a real API server (reused when
# KEEP_API=1 left one running), CoreDNS `kubernetes` and Zonekeeper operator + sidecar watch it; programming.py then
# creates, changes and deletes COUNT Services (both systems) and COUNT DnsRecords (Zonekeeper only: CoreDNS has no
# such API), one at a time, and times each write until the first DNS answer that shows it: p50/p99 in ms.
# Usage: e2e/bench/programming.sh [COUNT=1000]     env: W=/tmp/zk-bench-programming API_DIR KEEP_API
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$bench/k8s-servers.sh"
count=${1:-1000}
w=${W:-/tmp/zk-bench-programming}
need dig bind9-dnsutils; need taskset util-linux; need openssl openssl
[ -x "$kubectl_bin" ] || die "no Kubernetes control plane under $(dirname "$kubectl_bin"): build it with e2e/scripts/tools.sh k8s"
need_coredns; need_zk_jar
rm -rf "$w"; mkdir -p "$w"; : >"$w/results.tsv"
trap 'stop_all; k8s_down "$w"' EXIT
python3 "$bench/genk8s.py" "$w" --services "${SERVICES:-10000}" --headless "${HEADLESS:-1000}" --records "${RECORDS:-1000}" --k8s >&2
k8s_up "$w"
wait_load
run() { # SYSTEM KIND PORT
  say "$1: $count ${2}s created, changed, deleted"
  python3 "$bench/programming.py" "$1" "$2" "$(cat "$api/server")" "$(cat "$api/token")" "$3" "$count" "${PROG_TIMEOUT:-30}" | tee -a "$w/results.tsv" >&2 || true
}
if start_zonekeeper_k8s 5398; then
  run zonekeeper-k8s service 5398
  run zonekeeper-k8s dnsrecord 5398
  stop_all
fi
start_coredns_k8s 5397
run coredns-k8s service 5397
stop_all
print_table "Programming latency (issue 6 part 3): API write to first answer showing it, $count objects each, polled every ~1 ms"
