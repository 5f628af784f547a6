#!/usr/bin/env bash
# shellcheck source=lib.sh
# Side-by-side serving benchmark: ../shared/bench/anchors.sh (UDP echo probe, Knot, NSD, BIND) plus Zonekeeper's
# DNS server serving the same cluster.local zone, each pinned to core 0 with dnsperf on core 1.
# Prints CPU microseconds per query at a fixed offered load, then Zonekeeper's RSS and start-up time to ready.
# Usage: e2e/bench/anchors.sh [RATE] [SECS]     (needs Debian's dnsperf knot nsd bind9 gcc; run from anywhere)
set -euo pipefail
# root, shared, java (Java 24+ checked), zk_jar and zk_opts (the chart's JVM options) come from lib.sh
source "$(dirname "$0")/lib.sh"
w=${W:-/tmp/dnsbench}
port=${ZK_BENCH_PORT:-5310}
for t in dnsperf knotd nsd named gcc; do
  command -v "$t" >/dev/null || { echo "missing $t: apt-get install dnsperf knot nsd bind9 gcc" >&2; exit 1; }
done
mkdir -p "$w"
[ -f "$w/queries.txt" ] || python3 "$shared/bench/genzone.py" 10000 "$w"
python3 "$root/e2e/bench/zone2records.py" "$w/cluster.local.zone" "$w/zk-records"
jar=$zk_jar
[ -f "$jar" ] || (cd "$root" && ./mvnw -q -B -pl dns-server -am package -DskipTests)
export ZK_CMD="exec $java $zk_opts -jar $jar --listen 127.0.0.1:$port --records $w/zk-records --zone cluster.local --upstream none --udp-sockets 1 --metrics 127.0.0.1:$((port + 1)) $zk_limits"
export ZK_PORT=$port ZK_PGREP="$(basename "$jar") --listen 127.0.0.1:$port"
WARM=${WARM:-8} W="$w" bash "$shared/bench/anchors.sh" "$@" &
bench=$!
# resident memory of the server, sampled while it runs (zone loaded, then under load); the highest is reported
rss=0
while kill -0 $bench 2>/dev/null; do
  pid=$(pgrep -f "$ZK_PGREP" | head -1 || true)
  [ -n "$pid" ] && r=$(awk '/VmRSS/{print $2}' /proc/$pid/status 2>/dev/null || echo 0) && [ "${r:-0}" -gt "$rss" ] && rss=$r
  sleep 0.5
done
wait $bench || true
# a refused records file leaves an empty zone, whose NXDOMAINs would be measured as if they were answers
if grep -qE 'WARN .* rejected |refused:' "$w/zk.log"; then
  echo "[bench] ERROR: Zonekeeper did not load the whole zone, its figures are not comparable:" >&2
  grep -E 'WARN .* rejected |refused:' "$w/zk.log" >&2
  exit 1
fi
echo "zonekeeper: $(grep -o 'ready [0-9]* ms after JVM start.*' "$w/zk.log" | head -1); peak RSS $((rss / 1024)) MiB; $(grep -c '^---' "$w/zk-records/records.yaml") DnsRecords"
