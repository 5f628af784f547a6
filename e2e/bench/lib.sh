# Shared parts of the side-by-side benchmarks (serving.sh, forwarding.sh, memory.sh); sourced, not run.
# Servers run pinned to core 0 (taskset -c 0), dnsperf and helpers on core 1. Figures go to $w/results.tsv as
# "run system metric value" lines; table.py prints the medians over the repeats as one table.
# shellcheck shell=bash disable=SC2034,SC2154  # a library: its variables are used by the scripts that source it
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench=$root/e2e/bench
shared=${SHARED:-$root/../shared}
java=${JAVA:-$(ls -d /usr/lib/jvm/temurin-25-jdk-amd64/bin/java 2>/dev/null || command -v java)}
zk_jar=${ZK_JAR:-$root/dns-server/target/zonekeeper-dns-server.jar}
# shellcheck source=jvm-opts.sh
source "$bench/jvm-opts.sh"
# the DNS server's JVM as the chart runs it (dnsServer.javaOpts), with a 256 MiB heap bound; ZK_JAVA_OPTS overrides
zk_opts=${ZK_JAVA_OPTS:-$(chart_java_opts dnsServer 4m 256m)}
# the benchmark zones are larger than standalone mode's default limits on records files (1 MiB, 10,000 records):
# raise them, or the server refuses the file and answers NXDOMAIN for everything. ZK_LIMIT_ARGS= for a jar older
# than those options.
zk_limits=${ZK_LIMIT_ARGS---records-max-file-bytes 268435456 --records-max-records 10000000}
coredns_version=1.12.1
coredns=${COREDNS:-$HOME/.cache/zonekeeper/bin/coredns-$coredns_version/coredns}
started=()

say() { echo "[bench] $*" >&2; }
die() { echo "[bench] ERROR: $*" >&2; exit 1; }
# the JVMs run with the chart's options, some of which (-XX:+UseCompactObjectHeaders) need Java 24 or later
"$java" -XX:+UseCompactObjectHeaders -version >/dev/null 2>&1 ||
  die "$java is older than Java 24; the benchmarks run the JVMs as the chart does: set JAVA to a Java 25 java (e.g. Temurin 25)"

# need TOOL DEBIAN-PACKAGE...: installs the package when the tool is missing and we are root, else stops with a hint
need() {
  local tool=$1; shift
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages $* (for $tool)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
      die "apt-get install $* failed"
    # Debian starts services on install where it can; the benchmark runs its own copies
    systemctl stop "$@" 2>/dev/null || true
  else
    die "missing $tool: install it with: sudo apt-get install $*"
  fi
}

need_coredns() {
  [ -x "$coredns" ] && return 0
  if [ -x "$root/e2e/scripts/tools.sh" ]; then
    bash "$root/e2e/scripts/tools.sh" coredns >&2
  else
    say "building CoreDNS $coredns_version with Go from the module proxy"
    mkdir -p "$(dirname "$coredns")"
    (cd /tmp && CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN=$(dirname "$coredns") go install -trimpath -ldflags "-s -w" \
      "github.com/coredns/coredns@v$coredns_version") >&2
  fi
  [ -x "$coredns" ] || die "CoreDNS is not built: $coredns"
}

need_zk_jar() {
  [ -f "$zk_jar" ] && return 0
  say "building the dns-server jar"
  (cd "$root" && ./mvnw -q -B -pl dns-server -am package -DskipTests) >&2
}

# wait_load: the machine is shared; wait (up to WAIT_LOAD seconds, default 300) for the 1-minute load to fall
# under MAX_LOAD (default 1.5), then record the load the run started with
wait_load() {
  local until=$(($(date +%s) + ${WAIT_LOAD:-300}))
  while awk -v m="${MAX_LOAD:-1.5}" '{exit !($1 >= m)}' /proc/loadavg && [ "$(date +%s)" -lt $until ]; do sleep 10; done
  load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
  say "load average at start: $load_at_start"
}

# start NAME CMD...: runs CMD pinned to core 0, remembers its PID (exec'd, so the PID is the server's)
start() {
  local name=$1; shift
  taskset -c 0 "$@" >"$w/$name.log" 2>&1 &
  started+=($!)
  eval "pid_$name=$!"
}

stop_all() { # SIGTERM, then SIGKILL for what is still there after 20 s (a JVM can hang in its shutdown hooks)
  local p i alive
  for p in "${started[@]}"; do kill "$p" 2>/dev/null || true; done
  for i in $(seq 1 20); do
    alive=0
    for p in "${started[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 1 ] || break
    sleep 1
  done
  for p in "${started[@]}"; do kill -0 "$p" 2>/dev/null && { say "PID $p ignored SIGTERM for 20 s: SIGKILL"; kill -9 "$p"; }; done
  wait 2>/dev/null || true
  started=()
}

# tree PID: the PID and all its descendants, comma separated (NSD forks its server and xfrd processes)
tree() {
  local out=$1 c
  for c in $(pgrep -P "$1" 2>/dev/null); do out="$out,$(tree "$c")"; done
  echo "$out"
}

# cpu_ticks PID[,PID]: utime+stime of every thread, the same way as ../shared/bench/cpu_per_query.sh
cpu_ticks() {
  local t=0 p task
  for p in ${1//,/ }; do
    for task in /proc/"$p"/task/*/stat; do
      t=$((t + $(sed 's/.*) //' "$task" 2>/dev/null | awk '{print $12+$13}' || echo 0)))
    done
  done
  echo $t
}

# wait_dns PORT NAME TYPE [SECONDS]: until the server at 127.0.0.1:PORT answers NAME with NOERROR
wait_dns() {
  local until=$(($(date +%s) + ${4:-120}))
  until dig +short +tries=1 +timeout=1 -p "$1" @127.0.0.1 "$2" "$3" 2>/dev/null | grep -q .; do
    [ "$(date +%s)" -lt $until ] || { say "no answer for $2 $3 from port $1"; return 1; }
    sleep 1
  done
}

# answers PORT: a digest of the answers (rcode, records without TTL) to one query of each kind of genk8s.py's mix
answers() {
  local q
  for q in "svc1.ns1.svc.cluster.local A" "_http._tcp.svc1.ns1.svc.cluster.local SRV" "hl1.ns1.svc.cluster.local A" \
    "rec1.example.test A" "svc1.ns1.svc.ns1.svc.cluster.local A" "svc1.ns1.svc.cluster.local AAAA"; do
    # shellcheck disable=SC2086
    dig +noall +answer +comments +tries=2 +timeout=2 -p "$1" @127.0.0.1 $q |
      awk '/status:/{print $6} !/^;/ && NF { $2 = ""; print }' | sort | tr '\n' ' '
  done | md5sum | cut -c1-12
}

# measure RUN SYSTEM PIDS PORT QUERYFILE RATE SECS: dnsperf (core 1) offers RATE qps for SECS seconds, -v so each
# answer's latency is known; records CPU us per completed query, lost queries, p50/p99 latency and the rcode mix
measure() {
  local run=$1 sys=$2 pids=$3 port=$4 qf=$5 rate=$6 secs=$7 c0 c1 out
  out=$w/dnsperf.$sys.$run.out
  c0=$(cpu_ticks "$pids")
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$qf" -l "$secs" -c 8 -Q "$rate" -v >"$out" 2>&1
  c1=$(cpu_ticks "$pids")
  python3 "$bench/dnsperf_stats.py" "$run" "$sys" $((c1 - c0)) "$(getconf CLK_TCK)" "$out" | tee -a "$w/results.tsv" |
    awk -F'\t' '{printf "  %s %s %s=%s\n", $1, $2, $3, $4}' >&2
  rm -f "$out"
}

# warm SYSTEM PORT QUERYFILE RATE: one unrecorded run of WARM_SECS (default 30) seconds (the JVM's JIT, caches),
# so every server is measured warm
warm() {
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$2" -d "$3" -l "${WARM_SECS:-30}" -c 8 -Q "$4" >/dev/null 2>&1 || true
}

rss_kib() { # PID[,PID]: summed VmRSS
  local t=0 p r
  for p in ${1//,/ }; do r=$(awk '/VmRSS/{print $2}' /proc/"$p"/status 2>/dev/null); t=$((t + ${r:-0})); done
  echo $t
}

# PID[,PID]: summed proportional set size (smaps_rollup Pss): a page mapped by n of the processes counts 1/n in
# each, so pages two JVMs share (libjvm.so, the JDK's class-data archive) count once in the sum, as they do in RAM
pss_kib() {
  local t=0 p r
  for p in ${1//,/ }; do r=$(awk '/^Pss:/{print $2}' /proc/"$p"/smaps_rollup 2>/dev/null); t=$((t + ${r:-0})); done
  echo $t
}

print_table() { # TITLE
  python3 "$bench/table.py" "$w/results.tsv" "$1" "load average at start: ${load_at_start:-?}; $(nproc) CPUs; $(date -u +%FT%TZ)"
}
