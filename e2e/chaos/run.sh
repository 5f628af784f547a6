#!/usr/bin/env bash
# Chaos command (issue 13, point 6): each scenario runs against real processes on loopback only (a real
# kube-apiserver + etcd holding CHAOS_SERVICES Services, the operator jar, two dns-server sidecars following it by
# IXFR, a Knot upstream), under constant load from three well-behaved clients (dnsload.py) that check every answer,
# while one fault or one misbehaving client (attack.py, hostile.py) does its worst. Per scenario it prints
#   RESULT scenario=<name> sent=<n> ok=<n> servfail=<n> lost=<n> max_rss_mib=<n> wrong=<n> ...
# and a table of all scenarios at the end. See e2e/README.md, "Chaos", for what each scenario checks.
#
#   e2e/chaos/run.sh [scenario...]     default: all scenarios, in the order of `run.sh --list`
#   e2e/chaos/run.sh --list            the scenario names
#   e2e/chaos/run.sh --table           the table of the last run's RESULT lines (CHAOS_DIR/results.txt) again
#
# Environment (defaults; CHAOS_QUICK=1 gives the short values in brackets: about 10 minutes instead of 33):
#   CHAOS_SERVICES=10000 [300]       Services in the API server (ClusterIP, loaded once; reused with CHAOS_KEEP_API=1)
#   CHAOS_OUTAGE_SECONDS=600 [30]    how long the API server stays down in api-outage
#   CHAOS_PHASE_SECONDS=20 [8]       steady load before a fault and after the recovery
#   CHAOS_ATTACK_SECONDS=60 [15]     duration bound of each attack (slowloris: twice this, its drip is 5 s)
#   CHAOS_ATTACK_COUNT=3000000 [300000]  query bound of each UDP attack
#   CHAOS_ATTACK_QPS=0               attack rate, 0 = as fast as one client can send (at capacity)
#   CHAOS_SLOWLORIS_CONNS=1100       slowloris connections (the server's global TCP cap is 1,000 today)
#   CHAOS_FLOOD_PROCS=2              Python sender processes of udp-flood without dnsperf (one address)
#   CHAOS_QPS=100 [40]               rate of each of the two UDP clients; CHAOS_TCP_QPS=10 [5] the TCP client's
#   CHAOS_CLIENT_TIMEOUT=1 CHAOS_CLIENT_ATTEMPTS=3   the clients' tries (glibc's `timeout:1 attempts:3`)
#   CHAOS_DIR=/tmp/zk-chaos          work directory (logs of every process, per scenario under CHAOS_DIR/<scenario>)
#   CHAOS_KEEP_API=1                 leave the API server running at the end and reuse it next time
#   CHAOS_DNS_ARGS="..."             extra dns-server arguments (e.g. --lameduck 5); --snapshot-dir and --lameduck
#                                    are added by themselves when the jar's --help lists them
#   JAVA                             a Java 25 `java` (default: Temurin 25 if installed, else java on PATH)
# Nothing listens on or sends to anything but 127.0.0.0/8: servers on 127.0.0.1, well-behaved clients from
# 127.0.11.1, 127.0.12.1 and 127.0.13.1 (a /24 each), attackers from 127.0.2.0/24 (another /24, so per-network
# rate limits can tell them apart; raise the limit or lower CHAOS_QPS if a client of its own /24 is still limited).
# udp-flood uses dnsperf (Debian dnsperf, installed when missing and root) for a flood at capacity, attack.py otherwise.
# Exit status: 0 when every scenario met the goal (0 lost, 0 wrong, 0 servfail, RSS within the chart's limits), else 1.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../bench/jvm-opts.sh
source "$root/e2e/bench/jvm-opts.sh"

SCENARIOS=(rolling-restart sidecar-kill-api-down operator-kill api-outage hostile-upstream random-flood collision-flood
  udp-flood tcp-slowloris)
if [ "${1:-}" = --list ]; then printf '%s\n' "${SCENARIOS[@]}"; exit 0; fi
show_table=0
if [ "${1:-}" = --table ]; then show_table=1; shift; fi
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; fi
selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=("${SCENARIOS[@]}")
for s in "${selected[@]}"; do
  [[ " ${SCENARIOS[*]} " == *" $s "* ]] || { echo "unknown scenario '$s' (known: ${SCENARIOS[*]})" >&2; exit 2; }
done

quick=${CHAOS_QUICK:-0}
q() { if [ "$quick" = 1 ]; then echo "$2"; else echo "$1"; fi; }
services=${CHAOS_SERVICES:-$(q 10000 300)}
outage=${CHAOS_OUTAGE_SECONDS:-$(q 600 30)}
phase=${CHAOS_PHASE_SECONDS:-$(q 20 8)}
attack_secs=${CHAOS_ATTACK_SECONDS:-$(q 60 15)}
attack_count=${CHAOS_ATTACK_COUNT:-$(q 3000000 300000)}
attack_qps=${CHAOS_ATTACK_QPS:-0}
slowloris_conns=${CHAOS_SLOWLORIS_CONNS:-1100}
attack_procs=1
qps=${CHAOS_QPS:-$(q 100 40)}
tcp_qps=${CHAOS_TCP_QPS:-$(q 10 5)}
client_timeout=${CHAOS_CLIENT_TIMEOUT:-1}
client_attempts=${CHAOS_CLIENT_ATTEMPTS:-3}
w=${CHAOS_DIR:-/tmp/zk-chaos}
java=${JAVA:-$(ls -d /usr/lib/jvm/temurin-25-jdk-amd64/bin/java 2>/dev/null || command -v java)}
zk_jar=$root/dns-server/target/zonekeeper-dns-server.jar
operator_jar=$root/operator/target/quarkus-app/quarkus-run.jar
k8s_bin=${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/1.33.4-linux-amd64
kubectl=$k8s_bin/kubectl

say() { echo "[chaos $(date -u +%T)] $*" >&2; }
die() { echo "[chaos] ERROR: $*" >&2; exit 1; }

# --- the chart's memory limits and JVM options: the JVMs run as in the pod, the container limit given as MaxRAM
mem_limit_mib() { # SECTION: resources.limits.memory of operator or dnsServer in values.yaml, in MiB
  awk -v section="$1:" '/^[^ #]/ { inside = ($1 == section) } inside && /^    limits:/ { lim = 1; next }
    inside && lim && /memory:/ { v = $2; if (v ~ /Gi$/) { sub(/Gi/, "", v); v *= 1024 } else sub(/Mi/, "", v); print v; exit }' \
    "$root/charts/zonekeeper/values.yaml"
}
dns_limit=$(mem_limit_mib dnsServer)
op_limit=$(mem_limit_mib operator)
[ -n "$dns_limit" ] && [ -n "$op_limit" ] || die "no memory limits found in charts/zonekeeper/values.yaml"
chart_opts() { chart_java_opts "$1" 1m 1m | sed 's/ -Xms1m -Xmx1m$//'; }
zk_opts="$(chart_opts dnsServer) -XX:MaxRAM=${dns_limit}m"
op_opts="$(chart_opts operator) -XX:MaxRAM=${op_limit}m"

# --- prerequisites
"$java" -XX:+UseCompactObjectHeaders -version >/dev/null 2>&1 || die "$java is not Java 24+; set JAVA to a Java 25 java"
for b in etcd kube-apiserver kubectl; do
  [ -x "$k8s_bin/$b" ] || die "missing $k8s_bin/$b: build it with e2e/scripts/tools.sh k8s"
done
command -v knotd >/dev/null || [ -x /usr/sbin/knotd ] || die "missing knotd: apt-get install knot"
for t in curl python3 dig ss; do command -v $t >/dev/null || die "missing $t"; done
if ! command -v dnsperf >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  say "installing dnsperf (Debian) for udp-flood"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dnsperf >/dev/null 2>&1 ||
    say "could not install dnsperf: udp-flood uses attack.py"
fi
if [ ! -f "$zk_jar" ] || [ ! -f "$operator_jar" ]; then
  say "building the operator and dns-server jars"
  (cd "$root" && ./mvnw -B -o -q -pl dns-server,operator -am package -DskipTests) >&2
fi
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true
mkdir -p "$w"
w=$(cd "$w" && pwd)
[ "$show_table" = 1 ] || : >"$w/results.txt"

# --- ports: fixed offsets from a base with nothing listening, all on 127.0.0.1
port_free() { ! ss -Hltun | awk '{print $5}' | grep -qE ":$1\$"; }
base=${CHAOS_PORT_BASE:-25300}
ports_free() { local o; for o in 0 1 2 3 11 12 13 14 21 22; do port_free $(($1 + o)) || return 1; done; }
until ports_free "$base"; do base=$((base + 40)); done
p_knot=$base p_hostile=$((base + 1)) p_transfer=$((base + 2)) p_op_http=$((base + 3))
dns_port=([1]=$((base + 11)) [2]=$((base + 12)))
notify_port=([1]=$((base + 13)) [2]=$((base + 14)))
metrics_port=([1]=$((base + 21)) [2]=$((base + 22)))

# --- process bookkeeping: every process we start has a pid file in $w/pids; cleanup stops exactly those
mkdir -p "$w/pids"
alive() { [ -f "$w/pids/$1" ] && kill -0 "$(cat "$w/pids/$1")" 2>/dev/null; }
pid_of() { cat "$w/pids/$1" 2>/dev/null || true; }
bg() { # NAME LOG CMD...: start CMD in the background, pid in pids/NAME (from a subshell, so it is no job of ours:
  # bash would print a "Killed" notice for every kill -9)
  local name=$1 log=$2; shift 2
  ( "$@" >>"$log" 2>&1 </dev/null & echo $! >"$w/pids/$name" )
}
stop_proc() { # NAME [SIGNAL [WAIT-SECONDS]]: signal it, wait, then SIGKILL
  local name=$1 sig=${2:-TERM} secs=${3:-30} pid i
  pid=$(pid_of "$name")
  [ -n "$pid" ] || return 0
  kill -"$sig" "$pid" 2>/dev/null || true
  for i in $(seq 1 $((secs * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then say "$name (pid $pid) still runs ${secs}s after SIG$sig: SIGKILL"; kill -9 "$pid" 2>/dev/null || true; fi
  rm -f "$w/pids/$name"
}
cleanup() {
  local f n
  for f in "$w"/pids/*; do
    [ -e "$f" ] || continue
    n=$(basename "$f")
    case $n in apiserver | etcd) [ "${CHAOS_KEEP_API:-0}" = 1 ] && continue ;; esac
    stop_proc "$n" TERM 15
  done
  [ "${CHAOS_KEEP_API:-0}" = 1 ] && [ -n "${api:-}" ] && say "API server left running in $api (e2e/bench/k8s.sh stop $api)"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the API server (e2e/bench/k8s.sh: token auth, a 10.96.0.0/12 Service range), with the Services loaded once
api=$w/api
k() { "$kubectl" --kubeconfig "$api/kubeconfig" --request-timeout=10s "$@"; }
api_ready() { [ "$(k get --raw /readyz 2>/dev/null)" = ok ]; }
api_up() {
  python3 "$root/e2e/bench/genk8s.py" "$w/gen" --services "$services" --headless 0 --pods-per-service 0 --records 0 \
    --queries 1 --k8s >/dev/null
  rm -f "$w/gen/k8s/2-endpointslices.json" "$w/gen/k8s/3-pods.json" "$w/gen/k8s/4-dnsrecords.json"
  if [ -f "$api/kube-apiserver.pid" ] && kill -0 "$(cat "$api/kube-apiserver.pid")" 2>/dev/null &&
    [ "$(cat "$api/loaded" 2>/dev/null)" = "$services" ] && api_ready; then
    say "reusing the API server in $api ($services Services loaded)"
  else
    [ -f "$api/kube-apiserver.pid" ] && bash "$root/e2e/bench/k8s.sh" stop "$api"
    rm -rf "$api"
    bash "$root/e2e/bench/k8s.sh" start "$api"
    k apply -f "$root/crds/" >/dev/null
    k wait --for condition=established --timeout=60s crd/dnsrecords.zonekeeper.dev >/dev/null
    say "loading $services Services (minutes for 10,000 on a busy 2-core machine)"
    python3 "$root/e2e/bench/k8sload.py" "$w/gen/k8s" "$(cat "$api/server")" "$(cat "$api/token")" 8 >&2
    echo "$services" >"$api/loaded"
  fi
  cp "$api/kube-apiserver.pid" "$w/pids/apiserver"
  cp "$api/etcd.pid" "$w/pids/etcd"
  tr '\0' '\n' <"/proc/$(cat "$api/kube-apiserver.pid")/cmdline" >"$api/apiserver.cmd"
}
apiserver_stop() { stop_proc apiserver TERM 30; rm -f "$api/kube-apiserver.pid"; }
apiserver_start() { # the same kube-apiserver command line as before (etcd kept its data)
  local cmd=() until
  mapfile -t cmd <"$api/apiserver.cmd"
  bg apiserver "$api/kube-apiserver.log" "${cmd[@]}"
  cp "$w/pids/apiserver" "$api/kube-apiserver.pid"
  until=$(($(date +%s) + 120))
  until api_ready; do
    [ "$(date +%s)" -lt "$until" ] || die "kube-apiserver not ready 120 s after its restart ($api/kube-apiserver.log)"
    sleep 1
  done
}

# --- the upstream: Knot serving upstream.test (w0..w99 A 198.51.100.x), and the hostile relay in front of it
knot_up() {
  local i
  mkdir -p "$w/knot-run" "$w/knot-db"
  {
    echo "\$ORIGIN upstream.test."
    echo "\$TTL 30"
    echo "@ SOA ns.upstream.test. hostmaster.upstream.test. 1 7200 1800 86400 30"
    echo "@ NS ns"
    echo "ns A 127.0.0.1"
    for i in $(seq 0 99); do echo "w$i A 198.51.100.$i"; done
  } >"$w/upstream.test.zone"
  printf 'server:\n    listen: 127.0.0.1@%s\n    rundir: %s/knot-run\n    background-workers: 1\n    udp-workers: 1\n    tcp-workers: 1\n' "$p_knot" "$w" >"$w/knot.conf"
  printf 'database:\n    storage: %s/knot-db\nlog:\n  - target: stderr\n    any: warning\nzone:\n' "$w" >>"$w/knot.conf"
  printf '  - domain: upstream.test\n    file: %s/upstream.test.zone\n    journal-content: none\n    zonefile-sync: -1\n' "$w" >>"$w/knot.conf"
  bg knot "$w/knot.log" knotd -c "$w/knot.conf"
  wait_dns "$p_knot" w1.upstream.test 30 || die "Knot does not answer ($w/knot.log)"
}
hostile_up() {
  alive hostile && return 0
  bg hostile "$w/hostile.log" python3 "$here/hostile.py" --listen "127.0.0.1:$p_hostile" --relay "127.0.0.1:$p_knot"
  wait_dns "$p_hostile" w1.upstream.test 30 || die "the hostile upstream does not relay ($w/hostile.log)"
}
wait_dns() { # PORT NAME SECONDS: until 127.0.0.1:PORT answers NAME A with an address
  local until=$(($(date +%s) + $3))
  until dig +short +tries=1 +timeout=1 -p "$1" @127.0.0.1 "$2" A 2>/dev/null | grep -q '^[0-9]'; do
    [ "$(date +%s)" -lt "$until" ] || return 1
    sleep 0.5
  done
}

# --- the operator, as the chart's container runs it
echo "zonekeeper-transfer:hmac-sha256:$(head -c 32 /dev/urandom | base64)" >"$w/tsig.key"
operator_start() {
  # shellcheck disable=SC2086  # the options are words
  bg operator "$w/operator.log" env MALLOC_ARENA_MAX=2 KUBECONFIG="$api/kubeconfig" "$java" $op_opts \
    -Dzonekeeper.transfer.listen=127.0.0.1:$p_transfer -Dzonekeeper.tsig.key-file="$w/tsig.key" \
    -Dzonekeeper.transfer.notify=127.0.0.1:${notify_port[1]},127.0.0.1:${notify_port[2]} \
    -Dquarkus.http.port=$p_op_http -Dquarkus.http.host=127.0.0.1 -Dzonekeeper.leader-election.lease-namespace=default \
    -jar "$operator_jar"
  echo "op $(pid_of operator)" >>"${sc:-$w}/watch"
}
operator_ready() { curl -sf -m 2 "http://127.0.0.1:$p_op_http/q/health/ready" >/dev/null 2>&1; }
operator_wait() { # SECONDS
  local until=$(($(date +%s) + $1))
  until operator_ready; do
    alive operator || { say "the operator exited (last lines of $w/operator.log below)"; tail -5 "$w/operator.log" >&2; return 1; }
    [ "$(date +%s)" -lt "$until" ] || { say "the operator is not ready after $1 s"; return 1; }
    sleep 1
  done
}
operator_ensure() {
  alive operator && operator_ready && return 0
  alive operator || operator_start
  operator_wait 300
}

# --- the sidecars: slot 1 and 2, each its own NOTIFY and metrics port; DNS on their own ports, or both on one
# address (SO_REUSEPORT) when shared=1
help_text=$("$java" -jar "$zk_jar" --help 2>&1 || true)
extra_args=()
grep -q -- '--snapshot-dir' <<<"$help_text" && extra_args+=(--snapshot-dir "$w/snapshots/SLOT")
grep -q -- '--lameduck' <<<"$help_text" && extra_args+=(--lameduck "${CHAOS_LAMEDUCK:-5}")
# shellcheck disable=SC2206  # words
extra_args+=(${CHAOS_DNS_ARGS:-})
shared=0
upstream=127.0.0.1:$p_knot
sidecar_port() { if [ "$shared" = 1 ]; then echo "${dns_port[1]}"; else echo "${dns_port[$1]}"; fi; }
sidecar_start() { # SLOT
  local slot=$1 args=()
  mkdir -p "$w/snapshots/$slot"
  args=("${extra_args[@]//SLOT/$slot}")
  # shellcheck disable=SC2086
  bg "sidecar$slot" "$sc/sidecar$slot.log" env MALLOC_ARENA_MAX=2 "$java" $zk_opts -jar "$zk_jar" \
    --listen "127.0.0.1:$(sidecar_port "$slot")" --primary "127.0.0.1:$p_transfer" --tsig-key-file "$w/tsig.key" \
    --notify-listen "127.0.0.1:${notify_port[$slot]}" --zone cluster.local --zone in-addr.arpa --zone ip6.arpa \
    --fallthrough in-addr.arpa --fallthrough ip6.arpa --upstream "$upstream" --udp-sockets 2 \
    --metrics "127.0.0.1:${metrics_port[$slot]}" "${args[@]}"
  echo "dns $(pid_of "sidecar$slot")" >>"$sc/watch"
}
why() { # LOG: the line saying why a process stopped (an error, else the last line)
  { grep -E 'cannot start|Exception|Error|FATAL' "$1" | grep -v '^\s*at ' | tail -1; tail -1 "$1"; } | head -1 | cut -c1-300
}
sidecar_wait() { # SLOT SECONDS: until /ready says 200
  local until=$(($(date +%s) + $2))
  until curl -sf -m 2 "http://127.0.0.1:${metrics_port[$1]}/ready" >/dev/null 2>&1; do
    alive "sidecar$1" || { say "sidecar $1 exited: $(why "$sc/sidecar$1.log")"; note "sidecar$1_exited=1"; return 1; }
    [ "$(date +%s)" -lt "$until" ] || { say "sidecar $1 not ready after $2 s"; note "sidecar$1_unready=1"; return 1; }
    sleep 0.3
  done
}
sidecar_listening() { # SLOT SECONDS: until it answers at all (any rcode), e.g. while it cannot be ready
  local until=$(($(date +%s) + $2))
  until dig +tries=1 +timeout=1 -p "$(sidecar_port "$1")" @127.0.0.1 w1.upstream.test A 2>/dev/null | grep -q 'status:'; do
    alive "sidecar$1" || { note "sidecar$1_exited=1"; return 1; }
    [ "$(date +%s)" -lt "$until" ] || return 1
    sleep 0.3
  done
}

# --- per-scenario parts: RSS sampling, the clients, the result
note() { echo "$*" >>"$sc/notes"; }
rss_sampler() { # samples VmRSS of every process in $sc/watch ("dns PID" / "op PID") every 0.5 s; max per role
  local dns=0 op=0 role pid r
  while [ ! -e "$sc/stop" ]; do
    while read -r role pid; do
      r=$(awk '/^VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
      [ -n "$r" ] || continue
      if [ "$role" = dns ]; then [ "$r" -gt "$dns" ] && dns=$r; else [ "$r" -gt "$op" ] && op=$r; fi
    done <"$sc/watch"
    echo "$dns $op" >"$sc/rss"
    sleep 0.5
  done
}
# the clients use both sidecars (as behind a Service), or with only_first=1 (attacks, which go to sidecar 1) only the
# attacked one: failing over to the other would hide what the attack does
servers() { if [ "$shared" = 1 ] || [ "${only_first:-0}" = 1 ]; then echo "127.0.0.1:${dns_port[1]}"; else echo "127.0.0.1:${dns_port[1]},127.0.0.1:${dns_port[2]}"; fi; }
clients_start() {
  local common=(--servers "$(servers)" --timeout "$client_timeout" --attempts "$client_attempts" --stop-file "$sc/stop"
    --duration $((outage * 3 + 3600)))
  bg client-cluster "$sc/clients.log" python3 "$here/dnsload.py" "${common[@]}" --names "$w/names-cluster.txt" \
    --rate "$qps" --bind 127.0.11.1 --label udp-cluster --out "$sc/count.udp-cluster"
  bg client-upstream "$sc/clients.log" python3 "$here/dnsload.py" "${common[@]}" --names "$w/names-upstream.txt" \
    --rate "$qps" --bind 127.0.12.1 --label udp-upstream --out "$sc/count.udp-upstream"
  bg client-tcp "$sc/clients.log" python3 "$here/dnsload.py" "${common[@]}" --names "$w/names-all.txt" --tcp \
    --rate "$tcp_qps" --bind 127.0.13.1 --label tcp-mixed --out "$sc/count.tcp-mixed"
}
scenario_begin() { # NAME: fresh sidecars (2 slots), both ready, then the sampler and the clients
  name=$1
  sc=$w/$name
  rm -rf "$sc" "$w/snapshots"
  mkdir -p "$sc"
  : >"$sc/watch"
  : >"$sc/notes"
  say "=== $name"
  api_ready || apiserver_start
  operator_ensure || note "operator_unready=1"
  echo "op $(pid_of operator)" >>"$sc/watch"
  sidecar_start 1
  sidecar_wait 1 120 || true
  sidecar_start 2
  sidecar_wait 2 120 || true
  ( rss_sampler & echo $! >"$w/pids/rss" )
  clients_start
  scenario_t0=$(date +%s)
}
restart_at=0
watch_sleep() { # SECONDS: sleep; with supervise=1 an operator that died is restarted, as the kubelet would (10 s later)
  local until=$(($(date +%s) + $1))
  while [ "$(date +%s)" -lt "$until" ]; do
    if [ "${supervise:-0}" = 1 ] && ! alive operator; then
      if [ "$restart_at" = 0 ]; then
        restart_at=$(($(date +%s) + 10))
        say "the operator exited: restarting it in 10 s (as the kubelet would); its last lines:"
        note operator_exit
        tail -3 "$w/operator.log" | cut -c1-300 | sed 's/^/    /' >&2
      elif [ "$(date +%s)" -ge "$restart_at" ]; then
        restart_at=0
        operator_start
      fi
    fi
    sleep 1
  done
}
scenario_end() {
  local c s o sf l wr sum dns op verdict notes
  touch "$sc/stop"
  for c in client-cluster client-tcp client-upstream; do # they finish the queries in flight, then exit
    stop_proc "$c" CONT $((client_timeout * client_attempts + 30))
  done
  stop_proc rss TERM 5
  for c in 1 2; do alive "sidecar$c" && kill -TERM "$(pid_of "sidecar$c")"; done # both at once (lameduck)
  for c in 1 2; do stop_proc "sidecar$c" TERM 30; done
  s=0 o=0 sf=0 l=0 wr=0
  for c in "$sc"/count.*; do
    [ -f "$c" ] || { say "a client wrote no counts"; continue; }
    sum=$(cat "$c")
    s=$((s + $(sed 's/.*sent=\([0-9]*\).*/\1/' <<<"$sum"))) o=$((o + $(sed 's/.*ok=\([0-9]*\).*/\1/' <<<"$sum")))
    sf=$((sf + $(sed 's/.*servfail=\([0-9]*\).*/\1/' <<<"$sum"))) l=$((l + $(sed 's/.*lost=\([0-9]*\).*/\1/' <<<"$sum")))
    wr=$((wr + $(sed 's/.*wrong=\([0-9]*\).*/\1/' <<<"$sum")))
  done
  read -r dns op <"$sc/rss" || { dns=0; op=0; }
  dns=$((dns / 1024)) op=$((op / 1024))
  verdict=PASS
  { [ $l = 0 ] && [ $wr = 0 ] && [ $sf = 0 ] && [ $s -gt 0 ] && [ $dns -le "$dns_limit" ] && [ $op -le "$op_limit" ] &&
    ! grep -q . "$sc/notes"; } || verdict=FAIL
  # notes: "key=value" once each; a bare "key" noted n times becomes "keys=n"
  notes=$(sort "$sc/notes" | uniq -c | awk '{ print ($2 ~ /=/) ? $2 : $2 "s=" $1 }' | tr '\n' ' ' | sed 's/ *$//')
  line="RESULT scenario=$name sent=$s ok=$o servfail=$sf lost=$l max_rss_mib=$((dns > op ? dns : op)) wrong=$wr dns_rss_mib=$dns operator_rss_mib=$op seconds=$(($(date +%s) - scenario_t0)) verdict=$verdict${notes:+ $notes}"
  echo "$line"
  echo "$line" >>"$w/results.txt"
  grep -h '] sample ' "$sc/clients.log" 2>/dev/null | sort -k3,3 -s | awk '{ k = $3; if (n[k]++ < 2) print }' | sed 's/^/    /' >&2 || true
}

# --- the scenarios
sc_rolling-restart() {
  # two sidecars on one address (SO_REUSEPORT, as two processes of a DaemonSet rollout on one node address would
  # share it): each restarted in turn (SIGTERM, wait for it to exit, start, wait for /ready), twice
  shared=1
  scenario_begin rolling-restart
  watch_sleep "$phase"
  local r s
  for r in 1 2; do
    for s in 1 2; do
      say "restarting sidecar $s (round $r)"
      stop_proc "sidecar$s" TERM 60
      sidecar_start "$s"
      sidecar_wait "$s" 120 || true
      watch_sleep $((phase / 2))
    done
  done
  watch_sleep "$phase"
  scenario_end
  shared=0
}
sc_sidecar-kill-api-down() {
  scenario_begin sidecar-kill-api-down
  watch_sleep "$phase"
  say "API server and operator down, then kill -9 of sidecar 1 and its restart"
  apiserver_stop
  stop_proc operator TERM 30
  stop_proc sidecar1 KILL 10
  sidecar_start 1
  sidecar_listening 1 60 || note "sidecar1_silent=1"
  watch_sleep $((phase * 2))
  say "API server and operator back"
  apiserver_start
  operator_start
  operator_wait 300 || note "operator_unready=1"
  sidecar_wait 1 120 || true
  watch_sleep "$phase"
  scenario_end
}
converged() { # NAME ADDR: every sidecar answers NAME with ADDR within 60 s of the recovery
  local s until=$(($(date +%s) + 60))
  for s in 1 2; do
    until dig +short +tries=1 +timeout=1 -p "${dns_port[$s]}" @127.0.0.1 "$1" A 2>/dev/null | grep -qx "$2"; do
      [ "$(date +%s)" -lt "$until" ] || { note "stale_sidecar$s=1"; say "sidecar $s does not serve $1 60 s after the recovery"; break; }
      sleep 1
    done
  done
}
late_service() { # NAME IP: a Service created during or after a fault, to check the sidecars catch up
  k create namespace chaos >/dev/null 2>&1 || true
  k delete service -n chaos "$1" --wait=false >/dev/null 2>&1 || true
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: $1, namespace: chaos}
spec: {clusterIP: $2, ports: [{name: http, port: 80, protocol: TCP}]}
EOF
}
sc_operator-kill() {
  scenario_begin operator-kill
  watch_sleep "$phase"
  say "kill -9 of the operator; a Service created while it is down"
  stop_proc operator KILL 10
  k delete service -n chaos late-operator --wait=true >/dev/null 2>&1 || true
  late_service late-operator 10.96.200.1
  watch_sleep "$phase"
  operator_start
  operator_wait 300 || note "operator_unready=1"
  converged late-operator.chaos.svc.cluster.local 10.96.200.1
  watch_sleep "$phase"
  scenario_end
}
sc_api-outage() {
  scenario_begin api-outage
  supervise=1
  watch_sleep "$phase"
  say "API server down for $outage s"
  apiserver_stop
  watch_sleep "$outage"
  say "API server back: the operator relists $services Services"
  apiserver_start
  alive operator || operator_start
  operator_wait 300 || note "operator_unready=1"
  late_service late-outage 10.96.200.2
  converged late-outage.chaos.svc.cluster.local 10.96.200.2
  watch_sleep "$phase"
  supervise=0
  scenario_end
}
sc_hostile-upstream() {
  hostile_up
  upstream=127.0.0.1:$p_hostile
  only_first=1
  scenario_begin hostile-upstream
  watch_sleep "$phase"
  say "attacker: hostile names at ${attack_qps:-0} qps (0 = capacity) for at most $attack_secs s"
  python3 "$here/attack.py" repeat --server "127.0.0.1:${dns_port[1]}" --rate "$attack_qps" --count "$attack_count" \
    --duration "$attack_secs" --name wks.hostile.test --name hip.hostile.test --name tc.hostile.test \
    --name garbage.hostile.test --name silent.hostile.test --name poison.hostile.test --name "wks.hostile.test ANY" \
    2>>"$sc/attack.log" || true
  tail -1 "$sc/attack.log" >&2
  # after the flood, every hostile name must still get an answer (SERVFAIL is fine) in time: none is wedged; TC
  # forever must be SERVFAIL, not an empty NOERROR; the forged out-of-bailiwick records must not reach the client
  local n out wedged=0
  for n in wks hip tc garbage silent poison; do
    out=$(dig +tries=1 +timeout=8 -p "${dns_port[1]}" @127.0.0.1 "$n.hostile.test" A 2>/dev/null || true)
    grep -q 'status:' <<<"$out" || { wedged=$((wedged + 1)); say "no answer for $n.hostile.test after the attack"; continue; }
    [ $n = tc ] && ! grep -q 'status: SERVFAIL' <<<"$out" && { note "tc_forever_not_servfail=1"; say "tc.hostile.test: $(grep -o 'status: [A-Z]*' <<<"$out"), not SERVFAIL"; }
    [ $n = poison ] && grep -qE '6\.6\.6\.[67]|evil' <<<"$out" && { note "out_of_bailiwick_relayed=1"; say "poison.hostile.test: forged out-of-bailiwick records relayed"; }
  done
  [ $wedged = 0 ] || note "wedged_names=$wedged"
  watch_sleep "$phase"
  scenario_end
  upstream=127.0.0.1:$p_knot
  only_first=0
}
attack_scenario() { # NAME ATTACK-ARGS...: steady load, one attacker against sidecar 1 (CHAOS_ATTACK_PROCS senders
  # from its one address), steady load; the clients use sidecar 1 only
  local i pids=()
  only_first=1
  scenario_begin "$1"
  shift
  watch_sleep "$phase"
  if [ "$1" = flood ] && command -v dnsperf >/dev/null; then
    say "attacker: dnsperf flood for at most $attack_secs s / $attack_count queries"
    # dnsperf: one client socket from the attacker's address, up to 2,000 queries outstanding: the server's capacity
    # (a Python sender reaches only ~10-30k qps on a busy machine)
    awk '{print $1, $2}' "$w/names-all.txt" >"$sc/flood.txt"
    dnsperf -s 127.0.0.1 -p "${dns_port[1]}" -a 127.0.2.1 -d "$sc/flood.txt" -l "$attack_secs" -c 1 -T 1 -q 2000 \
      -n $((attack_count / $(wc -l <"$sc/flood.txt") + 1)) $([ "$attack_qps" = 0 ] || echo -Q "$attack_qps") \
      >"$sc/attack.log" 2>&1 || true
    grep -E 'Queries (sent|completed|lost)|Queries per second' "$sc/attack.log" | tr -s ' ' | tr '\n' ';' | sed 's/^/[attack flood: dnsperf] /' >&2
    echo >&2
  else
    say "attacker: $1 for at most $attack_secs s ($attack_procs process(es))"
    for i in $(seq 1 "$attack_procs"); do
      python3 "$here/attack.py" "$@" --server "127.0.0.1:${dns_port[1]}" --duration "$attack_secs" 2>>"$sc/attack.log" &
      pids+=($!)
    done
    wait "${pids[@]}" || true
    tail -n "$attack_procs" "$sc/attack.log" >&2
  fi
  alive sidecar1 || { note "sidecar1_died=1"; say "sidecar 1 died under the attack: $(why "$sc/sidecar1.log")"; }
  watch_sleep "$phase"
  scenario_end
  only_first=0
  attack_procs=1
}
sc_random-flood() {
  attack_scenario random-flood random --rate "$attack_qps" --count "$attack_count" --suffix upstream.test \
    --suffix chaos.svc.cluster.local --suffix random.invalid
}
sc_collision-flood() {
  attack_scenario collision-flood collide --rate "$attack_qps" --count "$attack_count" --suffix upstream.test \
    --suffix svc.cluster.local
}
sc_udp-flood() {
  attack_procs=${CHAOS_FLOOD_PROCS:-2}
  attack_scenario udp-flood flood --rate "$attack_qps" --count "$attack_count" --names "$w/names-all.txt"
}
sc_tcp-slowloris() {
  local saved=$attack_secs
  attack_secs=$((attack_secs * 2))
  attack_scenario tcp-slowloris slowloris --conns "$slowloris_conns" --drip 5 --count $((slowloris_conns * 20))
  attack_secs=$saved
}

table() { # the RESULT lines of $w/results.txt as a table
  local line
  printf '%-24s %9s %9s %9s %7s %7s %8s %8s  %s\n' scenario sent ok servfail lost wrong dns_mib op_mib verdict
  while read -r line; do
    v() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    printf '%-24s %9s %9s %9s %7s %7s %8s %8s  %s\n' "$(v scenario)" "$(v sent)" "$(v ok)" "$(v servfail)" "$(v lost)" \
      "$(v wrong)" "$(v dns_rss_mib)" "$(v operator_rss_mib)" "$(v verdict)"
  done <"$w/results.txt"
  echo "limits: dns-server ${dns_limit} MiB, operator ${op_limit} MiB (charts/zonekeeper/values.yaml)"
}

# --- setup, then the scenarios (a function, read whole before it runs: editing this file cannot derail a run)
main() {
  say "work directory $w; scenarios: ${selected[*]}; services $services, outage ${outage}s, phase ${phase}s, attacks ${attack_secs}s"
  say "limits from the chart: dns-server ${dns_limit} MiB, operator ${op_limit} MiB; dns-server extra args: ${extra_args[*]:-none}"
  api_up
  knot_up
  python3 - "$services" "$w" <<'EOF'
import ipaddress, random, sys
n, w = int(sys.argv[1]), sys.argv[2]
random.seed(13)
nsc = max(1, n // 100)
picked = random.sample(range(n), min(n, 200))
with open(w + "/names-cluster.txt", "w") as f:
    for i in picked:
        f.write("svc%d.ns%d.svc.cluster.local A %s\n" % (i, i % nsc, ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.96.1.0")) + i)))
with open(w + "/names-upstream.txt", "w") as f:
    for i in range(100):
        f.write("w%d.upstream.test A 198.51.100.%d\n" % (i, i))
EOF
  cat "$w/names-cluster.txt" "$w/names-upstream.txt" >"$w/names-all.txt"
  sc=$w
  operator_ensure || die "the operator does not start ($w/operator.log)"
  started=$(date +%s)
  for s in "${selected[@]}"; do "sc_$s"; done
  echo
  table
  echo "$(($(date +%s) - started)) s of scenarios; logs in $w"
  ! grep -q 'verdict=FAIL' "$w/results.txt"
}
if [ "$show_table" = 1 ]; then table; exit 0; fi
main "$@"; exit $?
