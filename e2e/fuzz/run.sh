#!/usr/bin/env bash
# Fuzzes one Jazzer target (dns-server or dns-core) for N minutes and prints executions, coverage and findings.
#
#   e2e/fuzz/run.sh TARGET MINUTES      e.g. e2e/fuzz/run.sh query 30
#   e2e/fuzz/run.sh list                the targets
#
# Without JAZZER_FUZZ=1 (every ./mvnw test) the @FuzzTest methods only replay their committed corpus,
# <module>/src/test/resources/<package>/<Class>Inputs/<method>/. Here Jazzer mutates from that corpus (plus its own
# working corpus, <module>/.cifuzz-corpus/, not committed) for MINUTES. Jazzer writes each finding (crash-*, timeout-*)
# into the committed corpus directory, where ./mvnw test replays it from then on: fix the defect (or, when it belongs
# to another area, move the file out and report it) before committing. KEEP_GOING=N (default 10) goes on after up
# to N distinct findings (deduplicated by stack trace), so one known defect does not end the run.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# target -> module:class#method
declare -A targets=(
  [query]="dns-server:dev.zonekeeper.dns.server.QueryPathFuzzTest#query"
  [transfer]="dns-core:dev.zonekeeper.dns.transfer.TransferFuzzTest#hostilePrimary"
  [manifest]="dns-server:dev.zonekeeper.dns.standalone.ManifestFuzzTest#manifestFile"
  [recordspec]="dns-server:dev.zonekeeper.dns.standalone.ManifestFuzzTest#recordSpec"
  [forwarder]="dns-server:dev.zonekeeper.dns.forward.ForwarderFuzzTest#upstreamAnswers"
  [update]="dns-core:dev.zonekeeper.dns.update.UpdateFuzzTest#update"
)

if [[ ${1:-} == list || $# -lt 2 ]]; then
  echo "usage: $0 TARGET MINUTES   (TARGET: ${!targets[*]})"
  [[ ${1:-} == list ]] && exit 0 || exit 2
fi
target=$1
minutes=$2
entry=${targets[$target]:-}
if [[ -z $entry ]]; then
  echo "unknown target '$target' (targets: ${!targets[*]})" >&2
  exit 2
fi
[[ $minutes =~ ^[0-9]+$ && $minutes -ge 1 ]] || { echo "MINUTES must be a whole number >= 1" >&2; exit 2; }

module=${entry%%:*}
spec=${entry#*:}
class=${spec%#*}
method=${spec#*#}
inputs="$root/$module/src/test/resources/$(dirname "${class//.//}")/${class##*.}Inputs/$method"
log=$(mktemp "${TMPDIR:-/tmp}/zonekeeper-fuzz-$target.XXXXXX.log")
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cd "$root"
shopt -s nullglob
mkdir -p "$inputs"
before=("$inputs"/crash-* "$inputs"/timeout-* "$inputs"/oom-* "$inputs"/slow-unit-*)
echo "fuzzing $spec for $minutes min (log: $log)"
set +e
# SSRF detector off: the targets connect only to their fake peers on loopback, from the code's own threads, where
# BugDetectors.allowNetworkConnections (per thread) does not reach. Fuzzing without this script needs the same.
# -Xmx: a target that needs more than this for one input has a memory bug ("never OOM"); Jazzer reports an
# OutOfMemoryError as a finding. rss_limit_mb is libFuzzer's own limit, above the JVM's.
# -am: dns-server needs dns-core from the reactor (it is never installed into ~/.m2).
JAZZER_FUZZ=1 ./mvnw -B -o -pl "$module" -am test -Dtest="$spec" -Dsurefire.failIfNoSpecifiedTests=false \
  -Djazzer.max_duration="${minutes}m" -Djazzer.rss_limit_mb=4096 -Djazzer.keep_going="${KEEP_GOING:-10}" \
  -Djazzer.disabled_hooks=com.code_intelligence.jazzer.sanitizers.ServerSideRequestForgery \
  -DargLine="-Xmx1g" >"$log" 2>&1
status=$?
set -e

# libFuzzer's last status line: "#<execs> <event> cov: <edges> ft: <features> corp: <entries>/<size> ..."
last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")
rate=$(grep -oE 'exec/s: [0-9]+' "$log" | tail -1 | awk '{print $2}')
[[ -n $last ]] && echo "last status: $last"
grep -E '^Done [0-9]+ runs' "$log" || true

findings=()
for f in "$inputs"/crash-* "$inputs"/timeout-* "$inputs"/oom-* "$inputs"/slow-unit-*; do
  if [[ ! " ${before[*]-} " == *" $f "* ]]; then
    findings+=("$f")
  fi
done
if ((${#findings[@]})); then
  echo "findings (written into the replayed corpus; fix before committing):"
  printf '  %s\n' "${findings[@]}"
  grep -E 'FuzzTestFindingException|== Java Exception|Caused by' "$log" | head -5 || true
fi
echo "RESULT target=$target minutes=$minutes execs=${execs:-0} exec_per_s=${rate:-0} cov=${cov:-0} ft=${ft:-0}" \
  "corpus=${corp:-0} findings=${#findings[@]} exit=$status"
if ((status != 0)) && ((${#findings[@]} == 0)); then
  echo "the run failed without a finding: see $log" >&2
fi
# With KEEP_GOING the test can pass although it found something: a finding always fails the command.
((${#findings[@]} == 0)) || exit 1
exit $status
