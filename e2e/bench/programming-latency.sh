#!/usr/bin/env bash
# Programming-latency benchmark (issue 3, issue 6 part 3): the time from an API write to the first DNS answer that
# shows it, for Zonekeeper (operator + dns-server sidecar) and CoreDNS (kubernetes plugin), against a real
# kube-apiserver on loopback. N Services and N DnsRecords are created, changed and deleted one at a time; each
# operation is timed from the start of the write to the first UDP answer showing it (polled with a sub-millisecond
# pause). Prints one table (p50/p99/max per system, kind and operation) and the operator's own
# zonekeeper_programming_duration_seconds histogram over the same changes.
#
#   e2e/bench/programming-latency.sh [COUNT]      COUNT objects per kind (default 1000)
#
# Environment: ZK_BENCH_COUNT (same as COUNT), ZK_BENCH_WARMUP (uncounted objects first, default 20),
# ZK_BENCH_COREDNS=0 (leave CoreDNS out), ZK_BENCH_KINDS (default service,dnsrecord), ZK_BENCH_POLL_US (pause between
# polls, default 500), ZK_BENCH_TIMEOUT (seconds per operation, default 30), ZK_BENCH_DIR (work dir, default a new
# temp dir; kept with logs and raw.tsv, one line per measurement), ZK_BENCH_KEEP=1 (leave everything running),
# ZK_OPERATOR_JAR / ZK_SIDECAR_JAR (other builds to measure, e.g. a copy of main's jars), JAVA_HOME (default
# Temurin 25 if installed). Needs: the binaries of e2e/scripts/tools.sh k8s (and coredns), openssl.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCRIPTS=$ROOT/e2e/scripts
COUNT=${1:-${ZK_BENCH_COUNT:-1000}}
WARMUP=${ZK_BENCH_WARMUP:-20}
WITH_COREDNS=${ZK_BENCH_COREDNS:-1}
DOMAIN=cluster.local

log() { printf '[programming-latency] %s\n' "$*" >&2; }
die() { printf '[programming-latency] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ -z "${JAVA_HOME:-}" && -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
command -v "$JAVA" >/dev/null 2>&1 || die "no java: set JAVA_HOME"
"$JAVA" -XX:+UseCompactObjectHeaders -version >/dev/null 2>&1 ||
  die "$JAVA is older than Java 24; both JVMs run with the chart's options: set JAVA_HOME to a Java 25 JDK (e.g. Temurin 25)"
command -v openssl >/dev/null 2>&1 || die "openssl is not installed (Debian package: openssl)"
KUBECTL=$("$SCRIPTS/tools.sh" path kubectl 2>/dev/null) || die "kubectl is not built; run: $SCRIPTS/tools.sh k8s"
COREDNS=
if [[ "$WITH_COREDNS" == 1 ]]; then
  COREDNS=$("$SCRIPTS/tools.sh" path coredns 2>/dev/null) ||
    die "coredns is not built; run: $SCRIPTS/tools.sh coredns (or ZK_BENCH_COREDNS=0)"
fi

# --- ports -----------------------------------------------------------------------------------------------------------
port_in_use() { [[ -n "$(ss -Huan "( sport = :$1 )" 2>/dev/null)$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]]; }
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/free-port.sh"

# --- build ------------------------------------------------------------------------------------------------------------
cd "$ROOT"
OPERATOR_JAR=${ZK_OPERATOR_JAR:-$ROOT/operator/target/quarkus-app/quarkus-run.jar}
SIDECAR_JAR=${ZK_SIDECAR_JAR:-$ROOT/dns-server/target/zonekeeper-dns-server.jar}
if [[ ! -f "$OPERATOR_JAR" || ! -f "$SIDECAR_JAR" ]]; then
  log "building the operator and the dns-server (./mvnw -q -B -pl dns-server,operator -am package -DskipTests)"
  ./mvnw -q -B -pl dns-server,operator -am package -DskipTests
fi
WORK=${ZK_BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/zk-proglat.XXXXXX")}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
log "compiling the benchmark driver (e2e test sources)"
# one reactor run (-am): e2e's test classpath names the sibling modules (dns-core, test-support) by their target/classes,
# which are never installed into ~/.m2; the last module, e2e, writes the file last
./mvnw -q -B -pl e2e -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$WORK/classpath.txt" >&2
CLASSPATH_BENCH=$ROOT/e2e/target/test-classes:$(cat "$WORK/classpath.txt")

# Both JVMs as the chart runs them (values.yaml operator.javaOpts / dnsServer.javaOpts, read by jvm-opts.sh) inside the
# default memory limits, 512Mi and 256Mi: heap at most 70 % of the limit, initially 1/64 of it; MALLOC_ARENA_MAX=2
# below; ZK_OPERATOR_JAVA_OPTS / ZK_SIDECAR_JAVA_OPTS override
source "$(dirname "${BASH_SOURCE[0]}")/jvm-opts.sh"
operator_opts=${ZK_OPERATOR_JAVA_OPTS:-$(chart_java_opts operator 8m 358m)}
sidecar_opts=${ZK_SIDECAR_JAVA_OPTS:-$(chart_java_opts dnsServer 4m 128m)}
read -r -a OPERATOR_OPTS <<<"$operator_opts"
read -r -a SIDECAR_OPTS <<<"$sidecar_opts"
export MALLOC_ARENA_MAX=2

# --- processes ----------------------------------------------------------------------------------------------------------
PIDS=()
cleanup() {
  local rc=$? pid
  if [[ "${ZK_BENCH_KEEP:-0}" == 1 ]]; then
    log "left running (ZK_BENCH_KEEP=1): pids ${PIDS[*]:-}, API server in $WORK/api"
    return
  fi
  for pid in "${PIDS[@]:-}"; do
    if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; fi
  done
  # The operator may not exit on SIGTERM (JOSDK's leader election calls System.exit inside the shutdown hook and
  # deadlocks, see README): give every process 10 s, then SIGKILL.
  for pid in "${PIDS[@]:-}"; do
    [[ -n "$pid" ]] || continue
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not stop on SIGTERM within 10 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if [[ -f "$WORK/api/kube-apiserver.pid" ]]; then "$SCRIPTS/apiserver.sh" stop "$WORK/api" || true; fi
  log "logs and raw measurements kept in $WORK"
  exit $rc
}
trap cleanup EXIT

"$SCRIPTS/apiserver.sh" start "$WORK/api" >/dev/null
export KUBECONFIG=$WORK/api/kubeconfig
"$KUBECTL" apply -f "$ROOT/crds/" >&2
"$KUBECTL" wait --for condition=Established --timeout=60s crd/dnsrecords.zonekeeper.dev >&2

printf 'zonekeeper-transfer:hmac-sha256:%s\n' "$(openssl rand -base64 32)" >"$WORK/tsig.key"
chmod 600 "$WORK/tsig.key"
free_port; TRANSFER=$PORT
free_port; NOTIFY=$PORT
free_port; HTTP=$PORT
free_port; DNS=$PORT
free_port; SIDECAR_METRICS=$PORT
free_port; COREDNS_PORT=$PORT

log "operator: transfers on 127.0.0.1:$TRANSFER, NOTIFY to 127.0.0.1:$NOTIFY, metrics http://127.0.0.1:$HTTP/q/metrics"
ZONEKEEPER_TSIG_KEY_FILE=$WORK/tsig.key ZONEKEEPER_TRANSFER_LISTEN=127.0.0.1:$TRANSFER \
  ZONEKEEPER_TRANSFER_NOTIFY=127.0.0.1:$NOTIFY ZONEKEEPER_LEADER_ELECTION_LEASE_NAMESPACE=default \
  QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT=$HTTP \
  "$JAVA" "${OPERATOR_OPTS[@]}" -jar "$OPERATOR_JAR" >"$WORK/operator.log" 2>&1 </dev/null &
PIDS+=($!)
for _ in $(seq 1 240); do
  port_in_use "$TRANSFER" && break
  kill -0 "${PIDS[0]}" 2>/dev/null || { tail -n 30 "$WORK/operator.log" >&2; die "the operator exited"; }
  sleep 0.5
done
port_in_use "$TRANSFER" || die "the operator does not listen on 127.0.0.1:$TRANSFER after 120 s (see $WORK/operator.log)"

log "sidecar: DNS on 127.0.0.1:$DNS"
"$JAVA" "${SIDECAR_OPTS[@]}" -jar "$SIDECAR_JAR" --primary "127.0.0.1:$TRANSFER" --tsig-key-file "$WORK/tsig.key" \
  --zone "$DOMAIN" --zone in-addr.arpa --zone ip6.arpa --listen "127.0.0.1:$DNS" --notify-listen "127.0.0.1:$NOTIFY" \
  --metrics "127.0.0.1:$SIDECAR_METRICS" --upstream none >"$WORK/sidecar.log" 2>&1 </dev/null &
PIDS+=($!)

DRIVER_ARGS=(--kubeconfig "$KUBECONFIG" --zonekeeper "127.0.0.1:$DNS" --operator-metrics "http://127.0.0.1:$HTTP/q/metrics"
  --count "$COUNT" --warmup "$WARMUP" --kinds "${ZK_BENCH_KINDS:-service,dnsrecord}" --cluster-domain "$DOMAIN"
  --poll-interval-us "${ZK_BENCH_POLL_US:-500}" --timeout-seconds "${ZK_BENCH_TIMEOUT:-30}" --raw "$WORK/raw.tsv")
if [[ -n "$COREDNS" ]]; then
  # The kubernetes plugin as in CoreDNS's default Corefile for Kubernetes, without the cache plugin: a cache would
  # measure its TTL, not the programming of the change.
  cat >"$WORK/Corefile" <<EOF
.:$COREDNS_PORT {
    bind 127.0.0.1
    errors
    kubernetes $DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $KUBECONFIG
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
}
EOF
  log "CoreDNS $("$COREDNS" -version | head -1): DNS on 127.0.0.1:$COREDNS_PORT"
  "$COREDNS" -conf "$WORK/Corefile" >"$WORK/coredns.log" 2>&1 </dev/null &
  PIDS+=($!)
  DRIVER_ARGS+=(--coredns "127.0.0.1:$COREDNS_PORT")
fi

log "load before: $(uptime)"
{
  echo "load before: $(uptime)"
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
} >"$WORK/load.txt"
"$JAVA" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CLASSPATH_BENCH" \
  dev.zonekeeper.e2e.bench.ProgrammingLatencyBench "${DRIVER_ARGS[@]}" | tee "$WORK/result.txt"
echo "load after: $(uptime)" >>"$WORK/load.txt"
# the benchmarks' one table (system | metric | figure | ratio to Zonekeeper), from the same measurements
python3 "$(dirname "$0")/proglat_table.py" "$WORK/raw.tsv" "$WORK/results.tsv"
python3 "$(dirname "$0")/table.py" "$WORK/results.tsv" \
  "Programming latency (issue 6 part 3): API write -> first DNS answer showing it, ms; $COUNT objects per kind" \
  "api-watch: the driver's own Fabric8 watch event (the floor for any watch-based server); *_seen: operations seen"
echo
cat "$WORK/load.txt"
