#!/usr/bin/env bash
# Runs every test of Zonekeeper: installs what the tests need when it is missing (Debian packages; the Kubernetes
# control plane and helm, built with Go from the Go module proxy and cached by version), then the whole Maven build
# with every module's tests (unit, real sockets against dig/kdig/Knot, a real kube-apiserver, the chart, e2e).
# Usage: e2e/scripts/test-all.sh [extra Maven arguments]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

say() { echo "[test-all] $*"; }

# A JDK 25, the release the build targets and the images run (JAVA_HOME if it is one, else the newest installed).
. e2e/scripts/jdk.sh
zk_pick_jdk
say "JDK: $JAVA_HOME"

# Debian packages the tests drive: dig, kdig, knotd (a real peer and upstream), ip (network namespaces), curl.
declare -A pkg=([named-checkzone]=bind9-utils [dig]=bind9-dnsutils [kdig]=knot-dnsutils [nsupdate]=bind9-dnsutils [knsupdate]=knot-dnsutils [knotd]=knot [ip]=iproute2 [curl]=curl [openssl]=openssl)
missing=()
for tool in "${!pkg[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("${pkg[$tool]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing Debian packages: ${missing[*]} (install them: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
# knotd refuses to start without its run directory on some installs
mkdir -p /run/knot 2>/dev/null || true

# The real Kubernetes API server (etcd, kube-apiserver, kubectl), helm, and CoreDNS (the parity test compares our
# answers with its kubernetes plugin), built once with Go and cached: about 35 minutes on a new 2-core machine.
if [ "${ZK_SKIP_TOOLS:-}" != "1" ]; then
  bash e2e/scripts/tools.sh k8s
  bash e2e/scripts/tools.sh helm
  bash e2e/scripts/tools.sh coredns
fi
export HELM="${HELM:-$(bash e2e/scripts/tools.sh path helm)}"

say "running every test: ./mvnw -B verify $*"
./mvnw -B -ntp verify "$@"
