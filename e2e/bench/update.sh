#!/usr/bin/env bash
# Dynamic-update benchmark (issue 15): TSIG-signed RFC 2136 UPDATEs, in one run against
#   zonekeeper-k8s         the sidecar in front of the operator on a real kube-apiserver: the sidecar forwards each
#                          UPDATE to the operator, which writes DnsRecords through the API and answers once served
#                          (a DnsUpdatePolicy + Secret per key in namespace "bench")
#   zonekeeper-standalone  dns-server --records DIR with DnsUpdatePolicy documents (keyFile): updates become DnsRecord
#                          YAML files in DIR
#   bind                   BIND 9 (Debian's named), the zone from a zone file, update-policy for the same keys; as
#                          configured by default it appends each update to the zone's journal (fsync'd) and rewrites
#                          the zone file itself only later (a zone dump, or rndc sync)
# Each gets the same load (dev.zonekeeper.dns.bench.UpdateBench, dnsjava Update + TSIG hmac-sha256, over UDP):
#   throughput  THREADS closed loops, signing with KEYS keys in turn, for SECS seconds after WARM_SECS: add a TXT
#               at a fresh name, then delete it (an ACME client's present + clean-up); NOERROR answers per second, and the CPU
#               of the system's processes per update
#   latency     COUNT updates one at a time: from the UPDATE leaving the client to the first answer showing the new
#               TXT (the name is asked over UDP every POLL_US us from the send on), p50/p99; and to the UPDATE's
#               own answer (ack); then the same for deleting it
# Prints one RESULT line per system (medians of REPEAT runs) and the benchmarks' table (table.py).
#
#   e2e/bench/update.sh [SECS=20] [COUNT=500]
#
# Environment: SYSTEMS (default "zonekeeper-k8s zonekeeper-standalone bind"), THREADS (4), REPEAT (1), WARM_SECS
# (5), WARMUP_COUNT (50), POLL_US (200), TCP=1 (updates over TCP), PIN=0 (no CPU pinning; by default every process
# of the system under test, including the API server and etcd, runs on core 0 and the load generator on core 1),
# ETCD_FSYNC (1: etcd fsyncs its writes as in a cluster, as BIND fsyncs its journal; 0 as in the other benchmarks),
# W (work directory, kept), MAX_LOAD / WAIT_LOAD (lib.sh's wait for a quiet machine), JAVA, ZK_JAR,
# ZK_OPERATOR_JAR, ZK_CRDS (the CRDs applied, default crds/), ZK_JAVA_OPTS, OPERATOR_JAVA_OPTS, ZK_UPDATE_ARGS
# (more standalone server options),
# ZK_OPERATOR_UPDATE_ARGS (more operator -D options), KEYS (32: the threads sign with these in turn, one policy each).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
secs=${1:-20} count=${2:-500}
systems=${SYSTEMS:-zonekeeper-k8s zonekeeper-standalone bind}
threads=${THREADS:-4} nkeys=${KEYS:-32} repeat=${REPEAT:-1} pin=${PIN:-1}
zone=example.test
transport=$([ -n "${TCP:-}" ] && echo TCP || echo UDP)
operator_jar=${ZK_OPERATOR_JAR:-$root/operator/target/quarkus-app/quarkus-run.jar}
crds=${ZK_CRDS:-$root/crds}
operator_opts=${OPERATOR_JAVA_OPTS:-$(chart_java_opts operator 8m 358m)}
w=${W:-$(mktemp -d "${TMPDIR:-/tmp}/zk-update-bench.XXXXXX")}
mkdir -p "$w"
w=$(cd "$w" && pwd)
: >"$w/results.tsv"
need named bind9
need nsupdate bind9-dnsutils
need dig bind9-dnsutils

port_in_use() { [[ -n "$(ss -Huan "( sport = :$1 )" 2>/dev/null)$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]]; }
# shellcheck source=../scripts/free-port.sh
source "$root/e2e/scripts/free-port.sh"

# --- the load generator: dns-server's test classes (where the other probes live, see probe.sh) -----------------------
driver_class=$root/dns-server/target/test-classes/dev/zonekeeper/dns/bench/UpdateBench.class
if [ ! -f "$zk_jar" ] || [ ! -f "$driver_class" ]; then
  say "building the dns-server jar and its test classes (./mvnw -q -B -pl dns-server -am package -DskipTests)"
  (cd "$root" && ./mvnw -q -B -pl dns-server -am package -DskipTests) >&2
fi
driver() { # SYSTEM ARGS...: the load generator on core 1
  local sys=$1; shift
  local cmd=("$java" -Xms64m -Xmx512m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn
    -cp "$zk_jar:$root/dns-server/target/test-classes" dev.zonekeeper.dns.bench.UpdateBench
    --server "127.0.0.1:$port" --zone "$zone" --system "$sys" --results "$w/results.tsv" --raw "$w/raw.tsv"
    --clk-tck "$(getconf CLK_TCK)" "${key_args[@]}" ${TCP:+--tcp} "$@")
  if [ "$pin" = 1 ]; then taskset -c 1 "${cmd[@]}"; else "${cmd[@]}"; fi
}

# --- keys: the load threads sign with KEYS keys in turn (Zonekeeper limits each key to 50 updates/s: that flood guard
# must not be what is measured), the same keys for every system -------------------------------------------------------
key_args=()
mkdir -p "$w/keys"
for i in $(seq 0 $((nkeys - 1))); do
  [ -f "$w/keys/bench-$i.key" ] || printf 'bench-%d:hmac-sha256:%s\n' "$i" "$(head -c 32 /dev/urandom | base64)" >"$w/keys/bench-$i.key"
  chmod 600 "$w/keys/bench-$i.key"
  key_args+=(--key-file "$w/keys/bench-$i.key")
done
key_secret() { cut -d: -f3 "$w/keys/bench-$1.key"; }

# pin_pids PID...: every thread of the processes to core 0 (PIN=1), with their children
pin_pids() {
  local p
  [ "$pin" = 1 ] || return 0
  for p in "$@"; do taskset -a -p 1 "$p" >/dev/null; done
}

# start_sut NAME CMD...: lib.sh's start, without its pinning when PIN=0
start_sut() {
  local name=$1; shift
  if [ "$pin" = 1 ]; then start "$name" "$@"; else
    "$@" >"$w/$name.log" 2>&1 &
    started+=($!)
    eval "pid_$name=$!"
  fi
}

# wait_up PID PORT SECONDS: until the server at PORT answers the zone's SOA; fails at once when PID exits
wait_up() {
  local until=$(($(date +%s) + $3))
  until dig +short +tries=1 +timeout=1 -p "$2" @127.0.0.1 "$zone" SOA 2>/dev/null | grep -q .; do
    kill -0 "$1" 2>/dev/null || return 1
    [ "$(date +%s)" -lt "$until" ] || return 1
    sleep 1
  done
}

skip() { # SYSTEM WHY
  say "$1 skipped: $2"
  echo -e "1\t$1\t#skipped\t$2" >>"$w/results.tsv"
}

# measure_system SYSTEM CPU-PIDS: ready, then REPEAT x (throughput, latency)
measure_system() {
  local sys=$1 cpu=$2 r
  local why
  if ! why=$(driver "$sys" --phase ready --ready-seconds "${READY_SECS:-120}" 2>&1); then
    skip "$sys" "${why##*update-bench\] } (logs in $w)"
    return 1
  fi
  wait_load
  echo -e "1\t$sys\t#load_at_start\t$load_at_start" >>"$w/results.tsv"
  for r in $(seq 1 "$repeat"); do
    driver "$sys" --run "$r" --phase throughput --threads "$threads" --seconds "$secs" --warmup-seconds "${WARM_SECS:-5}" --cpu-pids "$cpu"
    driver "$sys" --run "$r" --phase latency --count "$count" --warmup-count "${WARMUP_COUNT:-50}" --poll-us "${POLL_US:-200}"
  done
}

# update_metrics SYSTEM URL...: the Zonekeeper update metrics after the run, as a note under the table
update_metrics() {
  local sys=$1 u; shift
  for u in "$@"; do curl -s --max-time 5 "$u" 2>/dev/null || true; done >"$w/metrics.$sys.txt"
  local s
  s=$(awk '/^zonekeeper_updates_total\{/ { match($0, /result="[^"]*"/); r = substr($0, RSTART + 8, RLENGTH - 9); n[r] += $NF }
    END { for (r in n) printf "%s=%d ", r, n[r] }' "$w/metrics.$sys.txt")
  [ -z "$s" ] || echo -e "1\t$sys\t#zonekeeper_updates_total\t$s" >>"$w/results.tsv"
}

# --- BIND ---------------------------------------------------------------------------------------------------------------
zone_file() { # the zone both BIND and (through its generated SOA/NS) Zonekeeper start from
  cat <<EOF
\$TTL 30
@       IN SOA ns.dns.$zone. hostmaster.$zone. 1 7200 1800 86400 30
        IN NS  ns.dns.$zone.
ns.dns  IN A   127.0.0.1
EOF
}

run_bind() {
  local d=$w/bind i
  rm -rf "$d"; mkdir -p "$d"
  free_port; port=$PORT
  zone_file >"$d/$zone.zone"
  {
    cat <<EOF
options {
    directory "$d";
    pid-file "$d/named.pid";
    session-keyfile "$d/session.key";
    managed-keys-directory "$d";
    listen-on port $port { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    notify no;
};
logging {
    channel file { file "$d/named.log" versions 1 size 64m; severity info; print-time yes; };
    category default { file; };
};
EOF
    for i in $(seq 0 $((nkeys - 1))); do echo "key \"bench-$i.\" { algorithm hmac-sha256; secret \"$(key_secret "$i")\"; };"; done
    echo "zone \"$zone\" { type primary; file \"$zone.zone\"; update-policy {"
    for i in $(seq 0 $((nkeys - 1))); do echo "    grant bench-$i. subdomain bench.$zone. TXT;"; done
    echo "}; };"
  } >"$d/named.conf"
  named-checkconf "$d/named.conf" || die "named-checkconf refused $d/named.conf"
  say "BIND $(named -v): 127.0.0.1:$port, zone file $d/$zone.zone, journal $d/$zone.zone.jnl"
  # -f: foreground, logging as configured (every update logged, as Debian's named does to syslog)
  start_sut bind /usr/sbin/named -f -c "$d/named.conf"
  wait_up "$pid_bind" "$port" 30 || { skip bind "named did not answer (log: $w/bind.log, $d/named.log)"; stop_all; return 0; }
  measure_system bind "named=$pid_bind" || true
  echo -e "1\tbind\t#journal\t$(stat -c %s "$d/$zone.zone.jnl" 2>/dev/null || echo 0) bytes in $zone.zone.jnl; $zone.zone $(stat -c %s "$d/$zone.zone") bytes (not rewritten per update)" >>"$w/results.tsv"
  stop_all
}

# --- Zonekeeper standalone: DnsUpdatePolicy documents with keyFile under --records -------------------------------------
policy_doc() { # I NAMESPACE-LINE KEY-LINE
  cat <<EOF
---
apiVersion: zonekeeper.dev/v1alpha1
kind: DnsUpdatePolicy
metadata: {name: bench-$1$2}
spec:
  zone: $zone
  $3
  grants:
    - {match: subdomain, name: bench.$zone, types: [TXT]}
EOF
}

run_standalone() {
  local d=$w/standalone i metrics
  rm -rf "$d"; mkdir -p "$d/records"
  free_port; port=$PORT
  free_port; metrics=$PORT
  for i in $(seq 0 $((nkeys - 1))); do policy_doc "$i" "" "keyFile: $w/keys/bench-$i.key"; done >"$d/records/update-policies.yaml"
  # shellcheck disable=SC2086  # word splitting of the options is intended
  start_sut zk_standalone env MALLOC_ARENA_MAX=2 "$java" $zk_opts -jar "$zk_jar" --records "$d/records" --zone "$zone" \
    --listen "127.0.0.1:$port" --upstream none --udp-sockets 1 --metrics "127.0.0.1:$metrics" ${ZK_UPDATE_ARGS:-}
  wait_up "$pid_zk_standalone" "$port" 60 || {
    skip zonekeeper-standalone "no answer: $(head -n 2 "$w/zk_standalone.log" | tr '\n' ' ' | cut -c1-300)"
    stop_all; return 0
  }
  measure_system zonekeeper-standalone "dns-server=$pid_zk_standalone" || true
  update_metrics zonekeeper-standalone "http://127.0.0.1:$metrics/metrics"
  echo -e "1\tzonekeeper-standalone\t#records_dir\t$(find "$d/records" -name '*.y*ml' | wc -l) files under $d/records after the run" >>"$w/results.tsv"
  stop_all
}

# --- Zonekeeper in a cluster: operator + sidecar on a real kube-apiserver ------------------------------------------------
run_k8s() {
  local kubectl=${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/1.33.4-linux-amd64/kubectl api=$w/api i
  local transfer notify http metrics
  [ -x "$kubectl" ] || { skip zonekeeper-k8s "no kube-apiserver: run e2e/scripts/tools.sh k8s"; return 0; }
  compgen -G "$crds/dnsupdatepolicies.*" >/dev/null ||
    { skip zonekeeper-k8s "no DnsUpdatePolicy CRD in crds/ (this build has no operator update support)"; return 0; }
  [ -f "$operator_jar" ] || (cd "$root" && ./mvnw -q -B -pl operator -am package -DskipTests) >&2 ||
    { skip zonekeeper-k8s "the operator does not build"; return 0; }
  ETCD_FSYNC=${ETCD_FSYNC:-1} bash "$bench/k8s.sh" start "$api"
  local k=("$kubectl" --kubeconfig "$api/kubeconfig")
  "${k[@]}" apply -f "$crds/" >&2
  "${k[@]}" wait --for condition=established --timeout=60s crd/dnsrecords.zonekeeper.dev crd/dnsupdatepolicies.zonekeeper.dev >&2
  "${k[@]}" create namespace bench >&2
  for i in $(seq 0 $((nkeys - 1))); do
    "${k[@]}" -n bench create secret generic "bench-$i-tsig" --from-file=tsig.key="$w/keys/bench-$i.key" >&2
    policy_doc "$i" ", namespace: bench" "keySecretRef: {name: bench-$i-tsig}"
  done | "${k[@]}" apply -f - >&2
  free_port; transfer=$PORT
  free_port; notify=$PORT
  free_port; http=$PORT
  free_port; port=$PORT
  free_port; metrics=$PORT
  echo "zonekeeper-transfer:hmac-sha256:$(head -c 32 /dev/urandom | base64)" >"$w/transfer.key"
  chmod 600 "$w/transfer.key"
  # shellcheck disable=SC2086  # word splitting of the options is intended
  start_sut operator env MALLOC_ARENA_MAX=2 KUBECONFIG="$api/kubeconfig" "$java" $operator_opts \
    -Dzonekeeper.transfer.listen="127.0.0.1:$transfer" -Dzonekeeper.zones=$zone -Dzonekeeper.zone-writers.\"$zone\"=bench \
    -Dzonekeeper.tsig.key-file="$w/transfer.key" -Dzonekeeper.transfer.notify="127.0.0.1:$notify" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$http" -Dzonekeeper.leader-election.lease-namespace=default \
    ${ZK_OPERATOR_UPDATE_ARGS:-} -jar "$operator_jar"
  # shellcheck disable=SC2086
  start_sut sidecar env MALLOC_ARENA_MAX=2 "$java" $zk_opts -jar "$zk_jar" --listen "127.0.0.1:$port" \
    --primary "127.0.0.1:$transfer" --zone cluster.local --zone in-addr.arpa --zone ip6.arpa --zone $zone --tsig-key-file "$w/transfer.key" --notify-listen "127.0.0.1:$notify" \
    --upstream none --udp-sockets 1 --metrics "127.0.0.1:$metrics"
  pin_pids "$(cat "$api/etcd.pid")" "$(cat "$api/kube-apiserver.pid")"
  if wait_up "$pid_sidecar" "$port" 180; then
    measure_system zonekeeper-k8s "sidecar=$pid_sidecar,operator=$pid_operator,kube-apiserver=$(cat "$api/kube-apiserver.pid"),etcd=$(cat "$api/etcd.pid")" || true
    update_metrics zonekeeper-k8s "http://127.0.0.1:$http/q/metrics" "http://127.0.0.1:$metrics/metrics"
    echo -e "1\tzonekeeper-k8s\t#dnsrecords\t$("${k[@]}" get dnsrecords -A --no-headers 2>/dev/null | wc -l) DnsRecords after the run" >>"$w/results.tsv"
  else
    skip zonekeeper-k8s "the sidecar did not answer $zone SOA (logs: $w/operator.log, $w/sidecar.log)"
  fi
  stop_all
  bash "$bench/k8s.sh" stop "$api"
}

trap 'stop_all; [ ! -f "$w/api/kube-apiserver.pid" ] || bash "$bench/k8s.sh" stop "$w/api"' EXIT
for s in $systems; do
  case $s in
    zonekeeper-k8s) run_k8s ;;
    zonekeeper-standalone) run_standalone ;;
    bind) run_bind ;;
    *) die "unknown system $s (SYSTEMS: zonekeeper-k8s zonekeeper-standalone bind)" ;;
  esac
done

# one RESULT line per system (medians over the runs), then the table
python3 - "$w/results.tsv" <<'EOF'
import collections, statistics, sys
v = collections.OrderedDict()
for line in open(sys.argv[1]):
    p = line.rstrip("\n").split("\t")
    if len(p) == 4 and not p[2].startswith("#"):
        v.setdefault(p[1], {}).setdefault(p[2], []).append(float(p[3]))
keys = [("updates_per_s", "updates_per_s", "%.0f"), ("add_visible_p50_ms", "p50_ms", "%.2f"),
        ("add_visible_p99_ms", "p99_ms", "%.2f"), ("add_ack_p50_ms", "ack_p50_ms", "%.2f"),
        ("add_ack_p99_ms", "ack_p99_ms", "%.2f"), ("cpu_ms_per_update", "cpu_ms_per_update", "%.3f"),
        ("updates_failed", "failed", "%d")]
for system, m in v.items():
    print("RESULT system=%s %s" % (system, " ".join(
        "%s=%s" % (label, fmt % statistics.median(m[k]) if k in m else "-") for k, label, fmt in keys)))
EOF
print_table "Dynamic updates (issue 15): TSIG hmac-sha256 UPDATEs over $transport; throughput: $threads closed loops (add + delete a TXT, $nkeys keys in turn) for ${secs}s; latency: $count adds then deletes one at a time, polled every ${POLL_US:-200} us; ms from the UPDATE's send"
echo "  pinning: $([ "$pin" = 1 ] && echo "each system's processes (API server and etcd included) on core 0, the load generator on core 1" || echo none); etcd fsync: $([ "${ETCD_FSYNC:-1}" = 1 ] && echo on || echo off); BIND fsyncs its journal per update"
echo "  work directory (logs, raw.tsv: one line per latency measurement): $w"
