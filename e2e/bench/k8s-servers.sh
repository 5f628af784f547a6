# The API-server side of the benchmarks (sourced by serving.sh and memory.sh after lib.sh): a real kube-apiserver
# holding genk8s.py's objects, CoreDNS's kubernetes plugin and Zonekeeper's operator + sidecar watching it.
# shellcheck shell=bash disable=SC2154  # root, bench, w, java... come from lib.sh and the calling script
kubectl_bin=${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/1.33.4-linux-amd64/kubectl
operator_jar=$root/operator/target/quarkus-app/quarkus-run.jar
# ports of the operator (zone transfers, HTTP) and of the sidecar's NOTIFY listener, away from the defaults (5300,
# 8080, 5354) so a bench run does not collide with a development copy on the same machine
transfer_port=${ZK_TRANSFER_PORT:-5370} notify_port=${ZK_NOTIFY_PORT:-5371} operator_http_port=${ZK_OPERATOR_HTTP_PORT:-18571}
# the operator's JVM as the chart runs it (values.yaml operator.javaOpts, MALLOC_ARENA_MAX=2), with the heap bound
# given as -Xmx instead of a percentage of a container limit (jvm-opts.sh); the sidecar runs with $zk_opts (lib.sh)
operator_opts=${OPERATOR_JAVA_OPTS:-$(chart_java_opts operator 8m 512m)}

# k8s_up DIR: an API server in $api (API_DIR, default /tmp/zk-bench-api-<object counts>), the DnsRecord CRD, then
# DIR/k8s/*.json loaded; etcd and kube-apiserver are then pinned to core 1 so the little they do while idle stays
# off the measured core. Loading takes minutes on a busy 2-core machine (ClusterIP allocation is the slow part), so
# with KEEP_API=1 the API server is left running and a later run with the same objects reuses it.
k8s_up() {
  local d=$1 tag p
  tag=$(cat "$d"/k8s/*.json | md5sum | cut -c1-8)
  api=${API_DIR:-/tmp/zk-bench-api-$tag}
  ln -sfn "$api" "$d/api"
  if [ -f "$api/kube-apiserver.pid" ] && kill -0 "$(cat "$api/kube-apiserver.pid")" 2>/dev/null && [ "$(cat "$api/loaded" 2>/dev/null)" = "$tag" ]; then
    say "reusing the API server in $api (objects $tag already loaded)"
  else
    bash "$bench/k8s.sh" start "$api"
    "$kubectl_bin" --kubeconfig "$api/kubeconfig" apply -f "$root/crds/" >&2
    "$kubectl_bin" --kubeconfig "$api/kubeconfig" wait --for condition=established --timeout=60s crd/dnsrecords.zonekeeper.dev >&2
    python3 "$bench/k8sload.py" "$d/k8s" "$(cat "$api/server")" "$(cat "$api/token")" "${LOAD_THREADS:-16}"
    echo "$tag" >"$api/loaded"
  fi
  for p in "$(cat "$api/etcd.pid")" "$(cat "$api/kube-apiserver.pid")"; do taskset -a -p 2 "$p" >/dev/null; done
}

k8s_down() {
  [ -n "${api:-}" ] || return 0
  if [ "${KEEP_API:-0}" = 1 ]; then say "API server left running in $api (k8s.sh stop $api)"; else bash "$bench/k8s.sh" stop "$api"; fi
}

# start_coredns_k8s PORT [PODS-MODE]: CoreDNS `kubernetes cluster.local` (pods disabled, its default, unless told)
# with the bench kubeconfig; DnsRecords have no CoreDNS counterpart, so example.test comes from the zone file
# (the `file` plugin), as a CoreDNS user would serve such names
start_coredns_k8s() {
  local port=$1 pods=${2:-disabled}
  cat >"$w/Corefile.k8s" <<EOF
cluster.local:$port {
    kubernetes cluster.local {
        kubeconfig $w/api/kubeconfig bench
        pods $pods
    }
}
example.test:$port {
    file $w/example.test.zone
}
EOF
  start coredns_k8s "$coredns" -conf "$w/Corefile.k8s"
  wait_dns "$port" svc0.ns0.svc.cluster.local A "${K8S_READY_TIMEOUT:-600}" ||
    die "CoreDNS kubernetes did not answer svc0.ns0.svc.cluster.local (log: $w/coredns_k8s.log)"
}

# start_zonekeeper_k8s PORT [PODS]: the operator (zonekeeper.pods=PODS, default verified) (core 1, it is the control plane) and the sidecar (core 0) fed by its
# zone transfers; returns 1 (with a note in the results) when the operator is not built or does not serve the
# cluster zone in time: its Service/EndpointSlice data path may not be on main yet
start_zonekeeper_k8s() {
  local port=$1 pods=${2:-verified}
  if [ ! -f "$operator_jar" ]; then
    if [ "${BUILD_OPERATOR:-0}" = 1 ]; then (cd "$root" && ./mvnw -q -B -pl operator -am package -DskipTests) >&2; fi
    [ -f "$operator_jar" ] || {
      echo -e "1\tzonekeeper-k8s\t#skipped\toperator not built ($operator_jar; BUILD_OPERATOR=1 builds it)" >>"$w/results.tsv"
      return 1
    }
  fi
  echo "zonekeeper-transfer:hmac-sha256:$(head -c 32 /dev/urandom | base64)" >"$w/tsig.key"
  # shellcheck disable=SC2086  # word splitting of the options is intended
  MALLOC_ARENA_MAX=2 KUBECONFIG=$w/api/kubeconfig taskset -c 1 "$java" $operator_opts \
    -Dzonekeeper.transfer.listen=127.0.0.1:$transfer_port -Dzonekeeper.zones=example.test -Dzonekeeper.pods=$pods \
    -Dzonekeeper.zone-writers.\"example.test\"='*' -Dzonekeeper.tsig.key-file="$w/tsig.key" \
    -Dzonekeeper.transfer.notify=127.0.0.1:$notify_port -Dquarkus.http.port=$operator_http_port \
    -Dzonekeeper.leader-election.lease-namespace=default \
    -jar "$operator_jar" >"$w/operator.log" 2>&1 &
  started+=($!)
  pid_operator=$!
  start sidecar env MALLOC_ARENA_MAX=2 "$java" $zk_opts -jar "$zk_jar" --listen "127.0.0.1:$port" --primary 127.0.0.1:$transfer_port \
    --zone cluster.local --zone in-addr.arpa --zone ip6.arpa --zone example.test --tsig-key-file "$w/tsig.key" --notify-listen 127.0.0.1:$notify_port \
    --upstream none --udp-sockets 1 --metrics "127.0.0.1:$((port + 1))"
  if ! wait_dns "$port" svc0.ns0.svc.cluster.local A "${K8S_READY_TIMEOUT:-600}" ||
    ! wait_dns "$port" rec0.example.test A 60; then
    echo -e "1\tzonekeeper-k8s\t#skipped\toperator + sidecar did not answer svc0.ns0.svc.cluster.local and rec0.example.test (logs: $w/operator.log, $w/sidecar.log)" >>"$w/results.tsv"
    kill "$pid_operator" "$pid_sidecar" 2>/dev/null || true
    return 1
  fi
}
