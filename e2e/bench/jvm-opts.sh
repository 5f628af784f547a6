# shellcheck shell=bash
# The JVM options the benchmarks run Zonekeeper with: the chart's own (charts/zonekeeper/values.yaml,
# operator.javaOpts / dnsServer.javaOpts), read from the chart so the two cannot drift, plus the heap bounds a
# container limit would give (the chart sizes the heap from the limit: MaxRAMPercentage for the maximum, and the
# JVM's default 1/64 of the limit for the initial heap, below which Serial GC never shrinks it). Sourced.

# chart_java_opts SECTION XMS XMX: SECTION is operator or dnsServer
chart_java_opts() {
  local values opts
  values=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/charts/zonekeeper/values.yaml
  opts=$(awk -v section="$1:" '/^[^ #]/ { inside = ($1 == section) }
    inside && /^  javaOpts:/ { sub(/^  javaOpts: *"/, ""); sub(/" *$/, ""); print; exit }' "$values")
  if [ -z "$opts" ]; then
    echo "no $1.javaOpts in $values" >&2
    return 1
  fi
  echo "$opts -Xms$2 -Xmx$3" # -Xmx takes precedence over the chart's MaxRAMPercentage
}
