#!/usr/bin/env bash
# A real Kubernetes API server for the benchmarks: etcd + kube-apiserver 1.33.4 (the binaries e2e/scripts/tools.sh
# k8s builds, Fabric8 kube-api-test's layout), on loopback, with a 10.96.0.0/12 service range (room for the
# benchmark's 10,000+ ClusterIPs; e2e/scripts/apiserver.sh uses a /24) and a static admin token, so the loader
# (k8sload.py, plain HTTPS) and clients (kubectl, CoreDNS, the operator) share one kubeconfig.
# No controller-manager, scheduler or kubelet: nothing creates EndpointSlices or runs pods; k8sload.py writes the
# EndpointSlices itself and sets each pod's status.podIP through the status subresource.
#
#   k8s.sh start DIR   start in DIR; writes DIR/kubeconfig, DIR/server (URL), DIR/token; waits for /readyz
#   k8s.sh stop DIR    stop what start started (by the PIDs it wrote)
set -euo pipefail
k8s_dir=${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/1.33.4-linux-amd64
cmd=${1:?usage: k8s.sh start|stop DIR} dir=${2:?usage: k8s.sh start|stop DIR}
say() { echo "[k8s] $*" >&2; }

stop() {
  local f
  for f in kube-apiserver etcd; do
    [ -f "$dir/$f.pid" ] && kill "$(cat "$dir/$f.pid")" 2>/dev/null && say "stopped $f"
    rm -f "$dir/$f.pid"
  done
  return 0
}

start() {
  for b in etcd kube-apiserver kubectl; do
    [ -x "$k8s_dir/$b" ] || { say "missing $k8s_dir/$b: build it with e2e/scripts/tools.sh k8s"; exit 1; }
  done
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local base=${K8S_BENCH_PORT:-26443} token
  # another bench API server (e.g. memory.sh's, kept with KEEP_API=1) may hold the ports: take the next free trio
  if [ -z "${K8S_BENCH_PORT:-}" ]; then
    while ss -Hltn | awk '{print $4}' | grep -qE ":($base|$((base + 1))|$((base + 2)))\$"; do
      base=$((base + 10))
      [ "$base" -lt 26643 ] || { say "no free ports for etcd and kube-apiserver in 26443-26642"; exit 1; }
    done
  fi
  token=$(head -c 24 /dev/urandom | base64 | tr -d '+/=')
  echo "$token,bench-admin,bench-admin,system:masters" >"$dir/tokens.csv"
  echo "$token" >"$dir/token"
  rm -rf "$dir/etcd"
  # the other benchmarks measure serving, not writes: etcd skips fsync there; ETCD_FSYNC=1 keeps it, as in a cluster
  local nofsync=--unsafe-no-fsync=true
  [ "${ETCD_FSYNC:-0}" = 1 ] && nofsync=
  "$k8s_dir/etcd" --name bench --data-dir "$dir/etcd" ${nofsync:+"$nofsync"} \
    --listen-client-urls "http://127.0.0.1:$((base + 1))" --advertise-client-urls "http://127.0.0.1:$((base + 1))" \
    --listen-peer-urls "http://127.0.0.1:$((base + 2))" --initial-advertise-peer-urls "http://127.0.0.1:$((base + 2))" \
    --initial-cluster "bench=http://127.0.0.1:$((base + 2))" --quota-backend-bytes 8589934592 \
    >"$dir/etcd.log" 2>&1 </dev/null &
  echo $! >"$dir/etcd.pid"
  openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
  "$k8s_dir/kube-apiserver" --etcd-servers "http://127.0.0.1:$((base + 1))" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$base" --cert-dir "$dir/pki" \
    --token-auth-file "$dir/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$dir/sa.key" --service-account-signing-key-file "$dir/sa.key" \
    --service-cluster-ip-range 10.96.0.0/12 --disable-admission-plugins ServiceAccount \
    --max-requests-inflight 2000 --max-mutating-requests-inflight 1000 \
    >"$dir/kube-apiserver.log" 2>&1 </dev/null &
  echo $! >"$dir/kube-apiserver.pid"
  echo "https://127.0.0.1:$base" >"$dir/server"
  cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: bench
  cluster: {server: "https://127.0.0.1:$base", insecure-skip-tls-verify: true}
users:
- name: bench-admin
  user: {token: "$token"}
contexts:
- name: bench
  context: {cluster: bench, user: bench-admin, namespace: default}
current-context: bench
EOF
  local until=$(($(date +%s) + ${K8S_TIMEOUT:-180}))
  until [ "$("$k8s_dir/kubectl" --kubeconfig "$dir/kubeconfig" --request-timeout=5s get --raw /readyz 2>/dev/null)" = ok ]; do
    kill -0 "$(cat "$dir/kube-apiserver.pid")" 2>/dev/null || { tail -20 "$dir/kube-apiserver.log" >&2; stop; exit 1; }
    [ "$(date +%s)" -lt $until ] || { say "API server not ready after ${K8S_TIMEOUT:-180}s"; tail -20 "$dir/kube-apiserver.log" >&2; stop; exit 1; }
    sleep 1
  done
  say "API server ready at https://127.0.0.1:$base (kubeconfig $dir/kubeconfig)"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: k8s.sh start|stop DIR" >&2; exit 2 ;;
esac
