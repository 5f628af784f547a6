#!/usr/bin/env bash
# Side-by-side serving benchmark: ../shared/bench/anchors.sh (UDP echo probe, Knot, NSD, BIND) plus Zonekeeper's
# DNS server serving the same cluster.local zone, each pinned to core 0 with dnsperf on core 1.
# Prints CPU microseconds per query at a fixed offered load, then Zonekeeper's RSS and start-up time to ready.
# Usage: e2e/bench/anchors.sh [RATE] [SECS]     (needs Debian's dnsperf knot nsd bind9 gcc; run from anywhere)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED:-$root/../shared}
w=${W:-/tmp/dnsbench}
port=${ZK_BENCH_PORT:-5310}
java=${JAVA:-$(ls -d /usr/lib/jvm/temurin-25-jdk-amd64/bin/java 2>/dev/null || command -v java)}
"$java" -XX:+UseCompactObjectHeaders -version >/dev/null 2>&1 ||
  { echo "$java is older than Java 24; the server runs with the chart's options: set JAVA to a Java 25 java" >&2; exit 1; }
for t in dnsperf knotd nsd named gcc; do
  command -v "$t" >/dev/null || { echo "missing $t: apt-get install dnsperf knot nsd bind9 gcc" >&2; exit 1; }
done
mkdir -p "$w"
[ -f "$w/queries.txt" ] || python3 "$shared/bench/genzone.py" 10000 "$w"
python3 "$root/e2e/bench/zone2records.py" "$w/cluster.local.zone" "$w/zk-records"
jar=${ZK_JAR:-$root/dns-server/target/zonekeeper-dns-server.jar}
[ -f "$jar" ] || (cd "$root" && ./mvnw -q -B -pl dns-server package -DskipTests)
opts=${ZK_JAVA_OPTS:-"-XX:+UseSerialGC -Xms4m -Xmx256m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=40 -XX:-ShrinkHeapInSteps -XX:MaxNewSize=16m -XX:+UseCompactObjectHeaders -XX:TrimNativeHeapInterval=5000"}
export ZK_CMD="exec $java $opts -jar $jar --listen 127.0.0.1:$port --records $w/zk-records --zone cluster.local --upstream none --udp-sockets 1 --metrics 127.0.0.1:$((port + 1))"
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
echo "zonekeeper: $(grep -o 'ready [0-9]* ms after JVM start.*' "$w/zk.log" | head -1); peak RSS $((rss / 1024)) MiB; $(grep -c '^---' "$w/zk-records/records.yaml") DnsRecords"
