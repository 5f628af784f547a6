#!/usr/bin/env bash
# Builds and caches the third-party binaries the end-to-end tests, benchmarks and README walkthrough use:
# the Kubernetes control plane (etcd, kube-apiserver, kubectl), helm and CoreDNS, and the ACME DNS-01 tools (pebble,
# certbot with certbot-dns-rfc2136, lego as a library). Everything Go is compiled from source; the only network
# access is the Go module proxy (and PyPI for certbot). Binaries are cached by version, so a warm machine skips the
# build.
#
#   tools.sh k8s        etcd + kube-apiserver + kubectl, where Fabric8 kube-api-test looks for them:
#                       ${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/<version>-<os>-<arch>/
#   tools.sh helm       helm into ${ZK_TOOLS_CACHE:-$HOME/.cache/zonekeeper/bin}/helm-<version>/helm
#   tools.sh coredns    coredns into ${ZK_TOOLS_CACHE:-$HOME/.cache/zonekeeper/bin}/coredns-<version>/coredns
#   tools.sh pebble     the ACME test CA into ${ZK_TOOLS_CACHE:-...}/pebble-<version>/pebble, its test certificates
#                       (pebble.minica.pem, localhost/cert.pem, localhost/key.pem) beside it in certs/
#   tools.sh certbot    certbot + certbot-dns-rfc2136 (PyPI) in a venv: ${ZK_TOOLS_CACHE:-...}/certbot-<version>/bin/certbot
#   tools.sh lego-dns01 e2e/clients/lego-dns01 (lego v5 as a library), cached by a hash of its sources:
#                       ${ZK_TOOLS_CACHE:-...}/lego-dns01-<hash>/lego-dns01
#   tools.sh certmanager-rfc2136  e2e/clients/certmanager-rfc2136 (cert-manager's rfc2136 solver), and
#   tools.sh externaldns-rfc2136  e2e/clients/externaldns-rfc2136 (ExternalDNS's rfc2136 provider, built with Go
#                       1.27 fetched through the module proxy), cached like lego-dns01 by a hash of their sources
#   tools.sh all        all of the above, one after the other
#   tools.sh path NAME  print the path of a cached binary (etcd, kube-apiserver, kubectl, helm, coredns, pebble,
#                       pebble-certs (a directory), certbot, lego-dns01, certmanager-rfc2136, externaldns-rfc2136);
#                       exits 1 (path still printed) when it has not been built yet
#
# Environment: GO (go binary, default: go on PATH, else /usr/local/go/bin/go), PYTHON (python3 >= 3.10 for
# certbot, default: python3 on PATH), KUBE_API_TEST_DIR, ZK_TOOLS_CACHE,
# ZK_TOOLS_FORCE=1 (rebuild even if cached), GOPROXY/GOSUMDB/GOMODCACHE/GOCACHE as usual for Go.
set -euo pipefail

K8S_VERSION=1.33.4
ETCD_VERSION=3.5.21
HELM_VERSION=3.19.0
COREDNS_VERSION=1.12.1
PEBBLE_VERSION=2.10.3
CERTBOT_VERSION=5.8.0 # certbot-dns-rfc2136 5.8.0 requires certbot and acme >= 5.8.0: all three pinned to it
GO_MIN_MINOR=24 # Kubernetes 1.33, helm 3.19 and CoreDNS 1.12 need Go >= 1.24

# Staging modules of k8s.io/kubernetes; its go.mod replaces them with ./staging/..., which a module that merely
# requires k8s.io/kubernetes cannot see, so each one has to be pinned to the matching v0.x.y release.
K8S_STAGING_MODULES="api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api cri-client
csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator kube-controller-manager
kube-proxy kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission sample-apiserver
sample-cli-plugin sample-controller"

TOOLS_CACHE=${ZK_TOOLS_CACHE:-$HOME/.cache/zonekeeper/bin}
KUBE_API_TEST_DIR=${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

log() { printf '[tools] %s\n' "$*" >&2; }
die() { printf '[tools] ERROR: %s\n' "$*" >&2; exit 1; }

platform() {
  local os arch
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
  printf '%s-%s' "$os" "$arch"
}

K8S_DIR="$KUBE_API_TEST_DIR/k8s/${K8S_VERSION}-$(platform)"

# First 12 hex digits of the SHA-256 over the Go sources, go.mod and go.sum of a program in this repository (a
# directory relative to the repository root): its cache key, so an edited program is rebuilt.
source_hash() {
  (cd "$REPO_ROOT/$1" && find . -maxdepth 1 -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) | LC_ALL=C sort |
    xargs sha256sum | sha256sum | cut -c1-12)
}

bin_path() {
  case "$1" in
    etcd | kube-apiserver | kubectl) printf '%s/%s' "$K8S_DIR" "$1" ;;
    helm) printf '%s/helm-%s/helm' "$TOOLS_CACHE" "$HELM_VERSION" ;;
    coredns) printf '%s/coredns-%s/coredns' "$TOOLS_CACHE" "$COREDNS_VERSION" ;;
    pebble) printf '%s/pebble-%s/pebble' "$TOOLS_CACHE" "$PEBBLE_VERSION" ;;
    pebble-certs) printf '%s/pebble-%s/certs' "$TOOLS_CACHE" "$PEBBLE_VERSION" ;;
    certbot) printf '%s/certbot-%s/bin/certbot' "$TOOLS_CACHE" "$CERTBOT_VERSION" ;;
    lego-dns01) printf '%s/lego-dns01-%s/lego-dns01' "$TOOLS_CACHE" "$(source_hash e2e/clients/lego-dns01)" ;;
    certmanager-rfc2136 | externaldns-rfc2136) printf '%s/%s-%s/%s' "$TOOLS_CACHE" "$1" "$(source_hash "e2e/clients/$1")" "$1" ;;
    *) die "unknown tool '$1' (known: etcd kube-apiserver kubectl helm coredns pebble pebble-certs certbot lego-dns01 certmanager-rfc2136 externaldns-rfc2136)" ;;
  esac
}

# ---------------------------------------------------------------------------------------------------------------
# Go setup and checks
# ---------------------------------------------------------------------------------------------------------------
GO_READY=
setup_go() {
  [[ -n "$GO_READY" ]] && return 0
  if [[ -z "${GO:-}" ]]; then
    if command -v go >/dev/null 2>&1; then
      GO=$(command -v go)
    elif [[ -x /usr/local/go/bin/go ]]; then
      GO=/usr/local/go/bin/go
    else
      die "Go is not installed: no 'go' on PATH and no /usr/local/go/bin/go. Install Go >= 1.$GO_MIN_MINOR (https://go.dev/dl/) or set GO=/path/to/go."
    fi
  fi
  [[ -x "$GO" ]] || die "Go is not installed: GO=$GO is not an executable file."
  local v minor
  v=$("$GO" env GOVERSION) || die "'$GO env GOVERSION' failed; is $GO a working Go installation?"
  minor=$(sed -E 's/^go1\.([0-9]+).*/\1/' <<<"$v")
  [[ "$minor" =~ ^[0-9]+$ && "$minor" -ge "$GO_MIN_MINOR" ]] ||
    die "Go $v is too old: need Go >= 1.$GO_MIN_MINOR (GOTOOLCHAIN=local, so no toolchain is downloaded)."
  export GOTOOLCHAIN=local
  export GOFLAGS="-mod=mod -buildvcs=false"
  export CGO_ENABLED=0
  # Module cache and build cache stay in their default places (GOMODCACHE, GOCACHE) so that a warm machine is fast.
  log "using $GO ($v), GOPROXY=$("$GO" env GOPROXY), GOSUMDB=$("$GO" env GOSUMDB)"
  GO_READY=1
}

# Makes sure module@version can be fetched from the module proxy (or is in the module cache already).
check_proxy() {
  local mod=$1 out
  if ! out=$(cd / && "$GO" list -m "$mod" 2>&1); then
    die "cannot reach the Go module proxy ($("$GO" env GOPROXY)) to fetch $mod: ${out##*$'\n'}"
  fi
}

# Runs a go command that downloads modules; if it fails because the checksum database (sum.golang.org) cannot be
# reached, retries once with GOSUMDB=off (the module proxy still serves the go.sum-verified zips).
go_fetch() {
  local out rc=0
  out=$("$GO" "$@" 2>&1) || rc=$?
  if [[ $rc -ne 0 ]]; then
    if [[ "${GOSUMDB:-}" != off ]] && grep -qiE 'sum\.golang\.org|checksum database|verifying .*(lookup|dial|connect)' <<<"$out"; then
      log "checksum database not reachable; retrying with GOSUMDB=off"
      export GOSUMDB=off
      rc=0
      out=$("$GO" "$@" 2>&1) || rc=$?
    fi
  fi
  if [[ $rc -ne 0 ]]; then
    printf '%s\n' "$out" >&2
    if grep -qiE 'proxy\.golang\.org|dial tcp|no such host|connection refused|i/o timeout|TLS handshake' <<<"$out"; then
      die "'go $*' failed: the Go module proxy ($("$GO" env GOPROXY)) is not reachable."
    fi
    die "'go $*' failed (output above)."
  fi
}

# Throwaway modules in temp dirs; removed on exit.
WORK_DIRS=()
cleanup() { local d; for d in "${WORK_DIRS[@]+"${WORK_DIRS[@]}"}"; do chmod -R u+w "$d" 2>/dev/null || true; rm -rf "$d"; done; }
trap cleanup EXIT
new_workdir() { # name; sets WORKDIR (not via $(...), so that WORK_DIRS is updated in this shell)
  WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/zk-tools-$1.XXXXXX")
  WORK_DIRS+=("$WORKDIR")
}
new_module() { # name; sets WORKDIR to a dir holding an empty module
  new_workdir "$1"
  (cd "$WORKDIR" && "$GO" mod init "zonekeeper.dev/tools/$1" >/dev/null 2>&1)
}

elapsed() { printf '%ss' "$(($(date +%s) - $1))"; }

# ---------------------------------------------------------------------------------------------------------------
# Versions of installed binaries
# ---------------------------------------------------------------------------------------------------------------
version_of() {
  local p
  p=$(bin_path "$1")
  [[ -x "$p" ]] || return 1
  case "$1" in
    etcd) "$p" --version 2>/dev/null | sed -n 's/^etcd Version: //p' ;;
    kube-apiserver) "$p" --version 2>/dev/null | sed -n 's/^Kubernetes v//p' ;;
    kubectl) "$p" version --client 2>/dev/null | sed -n 's/^Client Version: v//p' ;;
    helm) "$p" version --template '{{.Version}}' 2>/dev/null | sed 's/^v//' ;;
    coredns) "$p" -version 2>/dev/null | sed -n 's/^CoreDNS-//p' ;;
    pebble) "$p" -version 2>/dev/null | sed -n 's/^Pebble version: v\{0,1\}//p' ;;
    # the venv is complete only once the install wrote this marker (a half-made venv has a certbot too)
    certbot) cat "$(dirname "$(dirname "$p")")/.installed" 2>/dev/null ;;
    lego-dns01) printf '%s' "$(source_hash e2e/clients/lego-dns01)" ;;
    certmanager-rfc2136 | externaldns-rfc2136) printf '%s' "$(source_hash "e2e/clients/$1")" ;;
  esac
}

# true when the cached binary exists and reports the wanted version
is_current() {
  [[ "${ZK_TOOLS_FORCE:-}" == 1 ]] && return 1
  local v
  v=$(version_of "$1") || return 1
  [[ "$v" == "$2" ]]
}

report() {
  local name=$1 p
  p=$(bin_path "$name")
  log "$(printf '%-15s %-8s %6s MiB  %s' "$name" "$(version_of "$name")" "$(($(stat -c %s "$p") / 1048576))" "$p")"
}

install_bin() { # src name
  local dest
  dest=$(bin_path "$2")
  mkdir -p "$(dirname "$dest")"
  install -m 0755 "$1" "$dest.tmp.$$"
  mv -f "$dest.tmp.$$" "$dest"
}

# ---------------------------------------------------------------------------------------------------------------
# Builds
# ---------------------------------------------------------------------------------------------------------------
build_k8s_control_plane() {
  local t d m replaces=()
  setup_go
  check_proxy "k8s.io/kubernetes@v$K8S_VERSION"
  t=$(date +%s)
  new_module k8s
  d=$WORKDIR
  log "resolving k8s.io/kubernetes v$K8S_VERSION and its $(wc -w <<<"$K8S_STAGING_MODULES") staging modules"
  for m in $K8S_STAGING_MODULES; do replaces+=("-replace=k8s.io/$m=k8s.io/$m@v0.${K8S_VERSION#1.}"); done
  (cd "$d" && "$GO" mod edit "${replaces[@]}")
  (cd "$d" && go_fetch get "k8s.io/kubernetes@v$K8S_VERSION")
  log "building kube-apiserver and kubectl v$K8S_VERSION (first time takes several minutes)"
  local minor=${K8S_VERSION#1.}
  minor=${minor%%.*}
  (cd "$d" && go_fetch build -trimpath -o "$d/bin/" \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
  install_bin "$d/bin/kube-apiserver" kube-apiserver
  install_bin "$d/bin/kubectl" kubectl
  log "built kube-apiserver and kubectl v$K8S_VERSION in $(elapsed "$t")"
}

build_etcd() {
  local t d
  setup_go
  check_proxy "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  t=$(date +%s)
  new_module etcd
  d=$WORKDIR
  log "building etcd v$ETCD_VERSION (first time takes a few minutes)"
  (cd "$d" && go_fetch get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION")
  (cd "$d" && go_fetch build -trimpath -ldflags "-s -w" -o "$d/etcd" go.etcd.io/etcd/server/v3)
  install_bin "$d/etcd" etcd
  log "built etcd v$ETCD_VERSION in $(elapsed "$t")"
}

# go install module@version honours the tool's own go.mod (replace/exclude directives included), exactly like
# its release build; GOBIN points at a scratch dir so nothing lands in ~/go/bin.
go_install_tool() { # name module-path/cmd version ldflags
  local name=$1 pkg=$2 version=$3 ldflags=$4 t d
  setup_go
  check_proxy "${pkg%/cmd/*}@v$version"
  t=$(date +%s)
  new_workdir "$name"
  d=$WORKDIR
  log "building $name v$version (first time takes a few minutes)"
  (cd "$d" && GOBIN="$d/bin" GOFLAGS=-buildvcs=false go_fetch install -trimpath -ldflags "$ldflags" "$pkg@v$version")
  install_bin "$d/bin/$name" "$name"
  log "built $name v$version in $(elapsed "$t")"
}

cmd_k8s() {
  if is_current kube-apiserver "$K8S_VERSION" && is_current kubectl "$K8S_VERSION"; then
    log "kube-apiserver and kubectl v$K8S_VERSION already built"
  else
    build_k8s_control_plane
  fi
  if is_current etcd "$ETCD_VERSION"; then
    log "etcd v$ETCD_VERSION already built"
  else
    build_etcd
  fi
  report etcd
  report kube-apiserver
  report kubectl
}

cmd_helm() {
  if is_current helm "$HELM_VERSION"; then
    log "helm v$HELM_VERSION already built"
  else
    go_install_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" \
      "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  fi
  report helm
}

cmd_pebble() {
  local certs d
  certs=$(bin_path pebble-certs)
  if is_current pebble "$PEBBLE_VERSION" && [[ -f "$certs/pebble.minica.pem" ]]; then
    log "pebble v$PEBBLE_VERSION already built"
  else
    go_install_tool pebble github.com/letsencrypt/pebble/v2/cmd/pebble "$PEBBLE_VERSION" \
      "-s -w -X main.version=$PEBBLE_VERSION"
    # pebble's HTTPS certificate (localhost, 127.0.0.1) and the test CA that signed it ship in its module; copied
    # out of the module cache, which `go clean -modcache` may empty
    d=$(cd / && "$GO" mod download -json "github.com/letsencrypt/pebble/v2@v$PEBBLE_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    [[ -f "$d/test/certs/pebble.minica.pem" ]] || die "pebble's test certificates not found in its module ($d)"
    rm -rf "$certs.tmp.$$"
    mkdir -p "$certs.tmp.$$/localhost"
    install -m 0644 "$d/test/certs/pebble.minica.pem" "$certs.tmp.$$/"
    install -m 0644 "$d/test/certs/localhost/cert.pem" "$d/test/certs/localhost/key.pem" "$certs.tmp.$$/localhost/"
    rm -rf "$certs"
    mv "$certs.tmp.$$" "$certs"
  fi
  report pebble
}

cmd_certbot() {
  local venv py v t want="certbot==$CERTBOT_VERSION acme==$CERTBOT_VERSION certbot-dns-rfc2136==$CERTBOT_VERSION"
  venv=$(dirname "$(dirname "$(bin_path certbot)")")
  if is_current certbot "$want"; then
    log "certbot $CERTBOT_VERSION already installed"
  else
    py=${PYTHON:-$(command -v python3 || true)}
    [[ -n "$py" && -x "$py" ]] || die "python3 is not installed (certbot $CERTBOT_VERSION needs Python >= 3.10); set PYTHON=/path/to/python3"
    v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || die "Python $v is too old: certbot $CERTBOT_VERSION needs >= 3.10"
    t=$(date +%s)
    log "installing $want from PyPI into $venv (Python $v)"
    rm -rf "$venv"
    "$py" -m venv "$venv" || die "'$py -m venv' failed (Debian: apt-get install python3-venv)"
    # shellcheck disable=SC2086
    "$venv/bin/pip" install -q --disable-pip-version-check $want || die "pip could not install $want"
    printf '%s' "$want" >"$venv/.installed"
    log "installed certbot $CERTBOT_VERSION in $(elapsed "$t")"
  fi
  log "$(printf '%-15s %-8s %s' certbot "$CERTBOT_VERSION" "$(bin_path certbot)")"
}

# A Go program of this repository (a directory with main.go, go.mod, go.sum), built into the cache under the hash
# of its sources; GOFLAGS=-mod=mod lets go.sum be completed from the module proxy.
build_repo_go_program() { # name dir
  local name=$1 dir=$2 t d
  setup_go
  t=$(date +%s)
  new_workdir "$name"
  d=$WORKDIR
  log "building $name from $dir"
  (cd "$REPO_ROOT/$dir" && go_fetch build -trimpath -ldflags "-s -w" -o "$d/$name" .)
  install_bin "$d/$name" "$name"
  log "built $name in $(elapsed "$t")"
}

cmd_lego_dns01() {
  if [[ "${ZK_TOOLS_FORCE:-}" != 1 && -x "$(bin_path lego-dns01)" ]]; then
    log "lego-dns01 $(source_hash e2e/clients/lego-dns01) already built"
  else
    build_repo_go_program lego-dns01 e2e/clients/lego-dns01
  fi
  report lego-dns01
}

# cert-manager 1.21 needs Go >= 1.26 (the local one, else the go command fetches the go.mod's from the module proxy);
# ExternalDNS 0.23 needs Go 1.27, fetched the same way (GOTOOLCHAIN) and kept in the module cache.
cmd_client_program() { # name under e2e/clients
  local name=$1 toolchain=local+auto
  [[ "$name" == externaldns-rfc2136 ]] && toolchain=go1.27.0
  if [[ "${ZK_TOOLS_FORCE:-}" != 1 && -x "$(bin_path "$name")" ]]; then
    log "$name $(source_hash "e2e/clients/$name") already built"
  else
    setup_go
    GOTOOLCHAIN=$toolchain build_repo_go_program "$name" "e2e/clients/$name"
  fi
  report "$name"
}

cmd_coredns() {
  if is_current coredns "$COREDNS_VERSION"; then
    log "coredns v$COREDNS_VERSION already built"
  else
    go_install_tool coredns github.com/coredns/coredns "$COREDNS_VERSION" "-s -w"
  fi
  report coredns
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

case "${1:-}" in
  k8s) cmd_k8s ;;
  helm) cmd_helm ;;
  coredns) cmd_coredns ;;
  pebble) cmd_pebble ;;
  certbot) cmd_certbot ;;
  lego-dns01) cmd_lego_dns01 ;;
  certmanager-rfc2136 | externaldns-rfc2136) cmd_client_program "$1" ;;
  all) cmd_k8s; cmd_helm; cmd_coredns; cmd_pebble; cmd_certbot; cmd_lego_dns01; cmd_client_program certmanager-rfc2136; cmd_client_program externaldns-rfc2136 ;;
  path)
    [[ $# -eq 2 ]] || usage
    p=$(bin_path "$2")
    printf '%s\n' "$p"
    # a certbot venv counts once its install finished (.installed); a half-made one has bin/certbot too
    [[ -x "$p" && ( "$2" != certbot || -n "$(version_of certbot)" ) ]] || { log "$2 is not built yet; run: $0 $(case "$2" in etcd | kube-apiserver | kubectl) echo k8s ;; pebble-certs) echo pebble ;; *) echo "$2" ;; esac)"; exit 1; }
    ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
