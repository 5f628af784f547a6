#!/usr/bin/env bash
# Runs one in-process probe, compiled with dns-server's tests (dns-server/src/test/java/dev/zonekeeper/dns/bench):
#   metrics        cost of the per-query metrics calls on a Netty thread (pin it: taskset -c 0 e2e/bench/probe.sh metrics)
#   transfer-leg   PrimaryZones.change -> NOTIFY -> IXFR (TSIG) -> the secondary's new serial, p50/p90/p99 [COUNT]
#   update         signed dynamic updates against any server (update.sh's load generator; options in UpdateBench)
# Usage: e2e/bench/probe.sh PROBE [ARGS...]   (builds dns-server and its test classes first)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
. e2e/scripts/jdk.sh
zk_pick_jdk
case ${1:-} in
  metrics) main=dev.zonekeeper.dns.bench.MetricsBench ;;
  transfer-leg) main=dev.zonekeeper.dns.bench.TransferLeg ;;
  update) main=dev.zonekeeper.dns.bench.UpdateBench ;;
  *) echo "usage: $0 metrics|transfer-leg|update [ARGS...]" >&2; exit 2 ;;
esac
shift
./mvnw -q -B -pl dns-server -am package -DskipTests >&2
exec "$JAVA_HOME/bin/java" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp dns-server/target/zonekeeper-dns-server.jar:dns-server/target/test-classes "$main" "$@"
