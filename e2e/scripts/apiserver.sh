#!/usr/bin/env bash
# Runs a real Kubernetes API server (etcd + kube-apiserver, no controller-manager, no kubelet) on loopback, the way
# envtest does, from the binaries that tools.sh builds. For the README walkthrough, benchmarks and manual runs; the
# Java tests mostly use Fabric8 kube-api-test, which starts the same binaries itself.
#
#   apiserver.sh start [DIR]  start in DIR (default: a new temp dir); prints DIR on stdout, progress on stderr.
#                             DIR/kubeconfig then authenticates as an admin in group system:masters.
#   apiserver.sh stop DIR     stop the etcd and kube-apiserver started in DIR (files are kept)
#   apiserver.sh clean DIR    stop, then delete DIR
#   apiserver.sh smoke        start, check namespaces, apply a CRD and a custom resource, read them back, clean up
#
# Environment: ZK_APISERVER_TIMEOUT (seconds to wait for /readyz, default 120); ZK_APISERVER_SERVICE_CIDR (the
# --service-cluster-ip-range, default 10.0.0.0/24; e.g. 10.0.0.0/24,fd00:10:96::/112 for dual-stack Services);
# see tools.sh for binary locations.
# Without kube-controller-manager nothing reconciles: no EndpointSlices for Services, namespaces stay Terminating,
# no ServiceAccount tokens (the ServiceAccount admission plugin is disabled, as in envtest).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS="$HERE/tools.sh"
MARKER=.zonekeeper-apiserver

log() { printf '[apiserver] %s\n' "$*" >&2; }
die() { printf '[apiserver] ERROR: %s\n' "$*" >&2; exit 1; }

tool() {
  local p
  if ! p=$("$TOOLS" path "$1" 2>/dev/null) || [[ ! -x "$p" ]]; then
    die "$1 is not built; run: $TOOLS k8s"
  fi
  printf '%s' "$p"
}

# A port is taken if any socket (listening or connected) uses it locally.
port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# Picks a free port below the kernel's ephemeral range (so an outgoing connection cannot grab it before the server
# binds), distinct from the ports picked before in this run; sets PORT.
source "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"

# ---------------------------------------------------------------------------------------------------------------
# Certificates: a throwaway CA, a serving certificate for 127.0.0.1/localhost, an admin client certificate
# (CN=zonekeeper-admin, O=system:masters) and a service-account signing key.
# ---------------------------------------------------------------------------------------------------------------
make_certs() {
  local pki=$1
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 7 -subj "/CN=zonekeeper-e2e-ca" \
      -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=kube-apiserver" \
      -keyout apiserver.key -out apiserver.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' >apiserver.ext
    openssl x509 -req -sha256 -days 7 -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -subj "/O=system:masters/CN=zonekeeper-admin" \
      -keyout admin.key -out admin.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' >admin.ext
    openssl x509 -req -sha256 -days 7 -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -extfile admin.ext -out admin.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ./*.csr ./*.ext ca.srl
    chmod 600 ./*.key
  )
}

write_kubeconfig() { # dir port
  local dir=$1 port=$2
  cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: zonekeeper-e2e
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $(base64 -w0 "$dir/pki/ca.crt")
users:
- name: zonekeeper-admin
  user:
    client-certificate-data: $(base64 -w0 "$dir/pki/admin.crt")
    client-key-data: $(base64 -w0 "$dir/pki/admin.key")
contexts:
- name: zonekeeper-e2e
  context:
    cluster: zonekeeper-e2e
    user: zonekeeper-admin
    namespace: default
current-context: zonekeeper-e2e
EOF
  chmod 600 "$dir/kubeconfig"
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

fail_start() { # dir message
  local dir=$1 f
  for f in etcd kube-apiserver; do
    [[ -f "$dir/$f.log" ]] && { log "last lines of $dir/$f.log:"; tail -n 15 "$dir/$f.log" >&2; }
  done
  stop "$dir" || true
  die "$2"
}

start() {
  local dir=${1:-} etcd apiserver kubectl etcd_port peer_port api_port deadline out
  etcd=$(tool etcd)
  apiserver=$(tool kube-apiserver)
  kubectl=$(tool kubectl)
  command -v openssl >/dev/null 2>&1 || die "openssl is not installed (Debian package: openssl)"
  if [[ -z "$dir" ]]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/zk-apiserver.XXXXXX")
  else
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    alive "$dir/kube-apiserver.pid" && die "an API server is already running in $dir (apiserver.sh stop $dir)"
  fi
  touch "$dir/$MARKER"
  log "starting in $dir"
  make_certs "$dir/pki"

  free_port; etcd_port=$PORT
  free_port; peer_port=$PORT
  nohup "$etcd" --name zk-e2e --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "zk-e2e=http://127.0.0.1:$peer_port" --unsafe-no-fsync=true \
    >"$dir/etcd.log" 2>&1 </dev/null &
  echo $! >"$dir/etcd.pid"
  log "etcd pid $(cat "$dir/etcd.pid") on 127.0.0.1:$etcd_port"

  free_port; api_port=$PORT
  nohup "$apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --cert-dir "$dir/pki" --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
    --client-ca-file "$dir/pki/ca.crt" \
    --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$dir/pki/sa.pub" --service-account-signing-key-file "$dir/pki/sa.key" \
    --service-cluster-ip-range "${ZK_APISERVER_SERVICE_CIDR:-10.0.0.0/24}" \
    --disable-admission-plugins ServiceAccount \
    --allow-privileged=true \
    >"$dir/kube-apiserver.log" 2>&1 </dev/null &
  echo $! >"$dir/kube-apiserver.pid"
  log "kube-apiserver pid $(cat "$dir/kube-apiserver.pid") on https://127.0.0.1:$api_port"
  write_kubeconfig "$dir" "$api_port"

  deadline=$(($(date +%s) + ${ZK_APISERVER_TIMEOUT:-120}))
  until out=$("$kubectl" --kubeconfig "$dir/kubeconfig" --request-timeout=5s get --raw /readyz 2>&1) && [[ "$out" == ok ]]; do
    alive "$dir/etcd.pid" || fail_start "$dir" "etcd exited during startup"
    alive "$dir/kube-apiserver.pid" || fail_start "$dir" "kube-apiserver exited during startup"
    [[ $(date +%s) -lt $deadline ]] ||
      fail_start "$dir" "kube-apiserver not ready after ${ZK_APISERVER_TIMEOUT:-120}s (last /readyz: ${out:0:300})"
    sleep 0.5
  done
  log "ready: export KUBECONFIG=$dir/kubeconfig"
  printf '%s\n' "$dir"
}

# Stops one process from a pid file, only if that pid still runs the expected binary.
stop_pid() { # pidfile binary-name
  local pidfile=$1 name=$2 pid
  [[ -f "$pidfile" ]] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null && [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == */"$name" ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) did not stop in 10s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

stop() {
  local dir=${1:-}
  [[ -n "$dir" && -d "$dir" ]] || die "usage: apiserver.sh stop DIR (DIR as printed by apiserver.sh start)"
  [[ -f "$dir/$MARKER" ]] || die "$dir was not created by apiserver.sh start"
  stop_pid "$dir/kube-apiserver.pid" kube-apiserver
  stop_pid "$dir/etcd.pid" etcd
}

clean() {
  stop "${1:-}"
  rm -rf "$1"
  log "removed $1"
}

smoke() {
  local dir kubectl
  kubectl=$(tool kubectl)
  SMOKE_DIR=$(start)
  dir=$SMOKE_DIR
  trap 'clean "$SMOKE_DIR"' EXIT
  k() { "$kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }
  k get ns
  k get ns default kube-system -o name
  k apply -f - <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: smoketests.e2e.zonekeeper.dev
spec:
  group: e2e.zonekeeper.dev
  scope: Namespaced
  names: {plural: smoketests, singular: smoketest, kind: SmokeTest}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              address: {type: string}
EOF
  k wait --for condition=Established --timeout=60s crd/smoketests.e2e.zonekeeper.dev
  k apply -f - <<'EOF'
apiVersion: e2e.zonekeeper.dev/v1
kind: SmokeTest
metadata: {name: hello, namespace: default}
spec: {address: 192.0.2.10}
EOF
  k get smoketests
  [[ "$(k get smoketest hello -o jsonpath='{.spec.address}')" == 192.0.2.10 ]] || die "custom resource did not round-trip"
  k auth can-i '*' '*'
  log "smoke test passed"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  clean) clean "${2:-}" ;;
  smoke) smoke ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
