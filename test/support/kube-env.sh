#!/usr/bin/env bash
# kube-env.sh — a real, throw-away Kubernetes control plane for integration tests.
#
# Runs etcd + kube-apiserver + kube-controller-manager on 127.0.0.1. There is no
# scheduler and no kubelet: Pods are created (by the ReplicaSet controller) but
# stay Pending. See docs/adr/0002-real-api-server-for-tests.md for why.
#
#   kube-env.sh build                 build/locate the binaries (idempotent)
#   kube-env.sh start DIR             start everything, state and logs go in DIR
#   kube-env.sh stop DIR              stop everything started in DIR
#   kube-env.sh stop-apiserver DIR    stop only kube-apiserver (simulate an outage)
#   kube-env.sh start-apiserver DIR   start it again, same flags and port
#
# Inputs (all optional):
#   FORESIGHT_K8S_CACHE            binary cache, outside the repo (/var/cache/foresight/k8s)
#   KUBEBUILDER_ASSETS             envtest-style folder with kube-apiserver and etcd
#                                  (and optionally kube-controller-manager); wins over the cache
#   FORESIGHT_K8S_APISERVER_PORT   fixed ports instead of free ones picked at random
#   FORESIGHT_K8S_ETCD_PORT
#   FORESIGHT_K8S_ETCD_PEER_PORT
#   FORESIGHT_K8S_START_TIMEOUT    seconds to wait for readiness (60)
#   FORESIGHT_K8S_OWNER_PID        if set, everything is stopped when that process exits,
#                                  so a crashed test run does not leak servers
set -euo pipefail

readonly K8S_VERSION=1.20.2
CACHE="${FORESIGHT_K8S_CACHE:-/var/cache/foresight/k8s}"
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
START_TIMEOUT="${FORESIGHT_K8S_START_TIMEOUT:-60}"

log() { echo "kube-env: $*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------
# build

ensure_apt_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing apt packages: ${missing[*]}"
  [[ $(id -u) == 0 ]] || die "need root to apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Binaries are not packaged by Debian, only the source (with its vendor/ tree),
# so `apt-get source` needs a deb-src entry. Added as its own file so the
# machine's main sources file is left as it was.
ensure_deb_src() {
  if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return 0
  fi
  log "adding a deb-src entry for bookworm"
  cat >/etc/apt/sources.list.d/foresight-deb-src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  apt-get update -qq
}

cmd_build() {
  if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
    if [[ -x "$KUBEBUILDER_ASSETS/kube-apiserver" && -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
      log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS (nothing to build)"
      [[ -x "$KUBEBUILDER_ASSETS/kube-controller-manager" ]] ||
        log "warning: no kube-controller-manager in KUBEBUILDER_ASSETS: garbage collection and namespace deletion will not run"
      return 0
    fi
    log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks kube-apiserver or etcd; building into $CACHE instead"
  fi

  local bin="$CACHE/bin"
  ensure_apt_packages etcd-server openssl curl iproute2
  mkdir -p "$bin"
  # The cache's bin/ doubles as a KUBEBUILDER_ASSETS folder for other tools.
  ln -sf "$(command -v etcd)" "$bin/etcd"

  if [[ -x "$bin/kube-apiserver" && -x "$bin/kube-controller-manager" ]]; then
    log "found in $bin: $("$bin/kube-apiserver" --version), $("$bin/kube-controller-manager" --version), etcd $(etcd --version | awk '/etcd Version/ {print $3}')"
    return 0
  fi

  local started=$SECONDS
  ensure_deb_src
  ensure_apt_packages golang-go rsync make dpkg-dev golang-github-modern-go-reflect2-dev

  # GOPATH mode (module mode fails on this tree with Debian's go 1.19), so the
  # source must sit at $GOPATH/src/k8s.io/kubernetes.
  local gopath="$CACHE/gopath" kroot="$CACHE/gopath/src/k8s.io/kubernetes"
  if [[ ! -f "$kroot/.foresight-patched" ]]; then
    rm -rf "$CACHE/src-download" "$kroot"
    mkdir -p "$CACHE/src-download" "$(dirname "$kroot")"
    log "fetching Debian's kubernetes source package"
    # Debian versions it 1.20.5+really1.20.2; the tree inside is 1.20.2.
    # (_apt cannot write here, so apt warns that it downloads as root: harmless.)
    (cd "$CACHE/src-download" && apt-get source -qq kubernetes >/dev/null 2>&1) ||
      die "apt-get source kubernetes failed"
    mv "$CACHE"/src-download/kubernetes-*/ "$kroot"
    rm -rf "$CACHE/src-download"
    # Vendored reflect2 1.0.1 crashes at run time under go >= 1.18; 1.0.2
    # (Debian's) is API-compatible and fixes that.
    rm -rf "$kroot/vendor/github.com/modern-go/reflect2"
    cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$kroot/vendor/github.com/modern-go/reflect2"
    touch "$kroot/.foresight-patched"
  fi

  export GOPATH="$gopath" GO111MODULE=off GOFLAGS='' CGO_ENABLED=0 GOCACHE="$CACHE/go-build"
  if [[ ! -s "$kroot/pkg/generated/openapi/zz_generated.openapi.go" ]]; then
    log "generating OpenAPI definitions (make gen_openapi)"
    make -C "$kroot" gen_openapi >"$CACHE/gen_openapi.log" 2>&1 ||
      die "make gen_openapi failed, see $CACHE/gen_openapi.log"
  fi

  # Without these the servers report v0.0.0 and clients' version-skew logic
  # misbehaves. In GOPATH mode vendored packages live under k8s.io/kubernetes/vendor.
  local ldflags="-s -w" pkg
  for pkg in k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=${K8S_VERSION%%.*}"
    ldflags+=" -X $pkg.gitMinor=$(cut -d. -f2 <<<"$K8S_VERSION") -X $pkg.gitTreeState=clean"
    ldflags+=" -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  done
  local cmd
  for cmd in kube-apiserver kube-controller-manager; do
    [[ -x "$bin/$cmd" ]] && continue
    log "building $cmd (several minutes on 2 cores)"
    (cd "$kroot" && go build -ldflags "$ldflags" -o "$bin/$cmd.tmp" "./cmd/$cmd") >"$CACHE/build-$cmd.log" 2>&1 ||
      die "building $cmd failed, see $CACHE/build-$cmd.log"
    mv "$bin/$cmd.tmp" "$bin/$cmd"
  done
  # The compile cache is ~1.3 GB and only helps a rebuild; the source stays.
  rm -rf "$GOCACHE"
  log "built in $((SECONDS - started)) s: $("$bin/kube-apiserver" --version), $("$bin/kube-controller-manager" --version)"
}

# ---------------------------------------------------------------------------
# start / stop

# Sets APISERVER_BIN, ETCD_BIN and KCM_BIN ("" when there is none).
resolve_binaries() {
  local dir="$CACHE/bin"
  if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/kube-apiserver" && -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
    dir="$KUBEBUILDER_ASSETS"
  fi
  APISERVER_BIN="$dir/kube-apiserver" ETCD_BIN="$dir/etcd" KCM_BIN="$dir/kube-controller-manager"
  [[ -x "$APISERVER_BIN" && -x "$ETCD_BIN" ]] ||
    die "no kube-apiserver/etcd in $dir: run 'bash $SELF build' first"
  if [[ ! -x "$KCM_BIN" ]]; then
    log "warning: no kube-controller-manager in $dir: garbage collection and namespace deletion will not run"
    KCM_BIN=""
  fi
}

port_in_use() { ss -Hltn "sport = :$1" | grep -q .; }

# free_port [TAKEN...]: a port nobody listens on and not among TAKEN.
# Random start below the kernel's ephemeral range (32768+), so parallel test
# processes rarely race for the same port and outgoing connections never hold it.
free_port() {
  local p=$((20000 + RANDOM % 12000)) i
  for ((i = 0; i < 200; i++, p++)); do
    ((p >= 32000)) && p=20000
    [[ " 4222 5432 8080 $* " == *" $p "* ]] && continue
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "no free port found"
}

make_pki() {
  local d="$1/pki"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=foresight-test-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$d/apiserver.key" -out "$d/apiserver.csr" 2>/dev/null
  # 10.0.0.1 is the in-cluster `kubernetes` Service IP for the default range.
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" \
    "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" \
    >"$d/apiserver.ext"
  openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 3650 -extfile "$d/apiserver.ext" -out "$d/apiserver.crt" 2>/dev/null
  # Service-account keys: the apiserver verifies and issues (TokenRequest) with
  # them, the controller-manager signs the legacy token Secrets with them.
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
}

write_kubeconfig() {
  local file="$1" server="$2" ca="$3" user="$4" token="$5"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: foresight-test
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 <"$ca")
users:
- name: $user
  user:
    token: $token
contexts:
- name: foresight-test
  context: {cluster: foresight-test, user: $user, namespace: default}
current-context: foresight-test
EOF
  chmod 600 "$file"
}

# Detached (own session), so they outlive this script and a test runner's
# process-group signals; stdout/stderr go to DIR/logs/NAME.log.
spawn() {
  local dir="$1" name="$2"; shift 2
  setsid "$@" >>"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/$name.pid"
}

is_running() { [[ -f "$1/$2.pid" ]] && any_alive "$(cat "$1/$2.pid")"; }

# stop_procs DIR GRACE_SECONDS NAME...: SIGTERM them together, SIGKILL what is
# left after the grace period. A kube-apiserver with open watches takes 10 s or
# more to drain, and nothing here needs a graceful exit: etcd is safe either
# way, and the rest keep no state.
stop_procs() {
  local dir="$1" grace="$2" name pid pids=() i; shift 2
  for name in "$@"; do
    [[ -f "$dir/$name.pid" ]] || continue
    pid="$(cat "$dir/$name.pid")"
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    rm -f "$dir/$name.pid"
  done
  for ((i = 0; i < grace * 10; i++)); do
    any_alive "${pids[@]}" || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  # Wait until they are really gone, so their ports are free on return.
  for ((i = 0; i < 50; i++)); do
    any_alive "${pids[@]}" || break
    sleep 0.1
  done
}

# A zombie counts as gone: they are not our children, so whoever adopted them
# reaps them, maybe late.
any_alive() {
  local pid state
  for pid in "$@"; do
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" || continue
    [[ -n $state && $state != Z ]] && return 0
  done
  return 1
}

# wait_for DIR WHAT COMMAND...: retry COMMAND until it succeeds, fail on timeout
# or when a process we started has died (pointing at its log).
wait_for() {
  local dir="$1" what="$2" deadline=$((SECONDS + START_TIMEOUT)) name; shift 2
  until "$@" >/dev/null 2>&1; do
    for name in etcd kube-apiserver kube-controller-manager; do
      [[ -f "$dir/$name.pid" ]] && ! is_running "$dir" "$name" &&
        die "$name exited while waiting for $what; last log lines:$(echo; tail -n 20 "$dir/logs/$name.log")"
    done
    ((SECONDS < deadline)) || die "timed out after ${START_TIMEOUT}s waiting for $what (logs in $dir/logs)"
    sleep 0.2
  done
}

api_get() { # DIR PATH
  local dir="$1"
  # shellcheck source=/dev/null
  source "$dir/env"
  curl -fsS --max-time 5 --cacert "$dir/pki/ca.crt" \
    -H "Authorization: Bearer $FORESIGHT_K8S_TOKEN" "$FORESIGHT_K8S_SERVER$2"
}

start_apiserver() {
  local dir="$1"
  is_running "$dir" kube-apiserver && die "kube-apiserver already running in $dir"
  mapfile -t args <"$dir/kube-apiserver.args"
  spawn "$dir" kube-apiserver "${args[@]}"
  wait_for "$dir" "kube-apiserver /readyz" api_get "$dir" /readyz
}

cmd_start() {
  local dir="${1:?usage: kube-env.sh start DIR}"
  mkdir -p "$dir/logs"
  dir="$(cd "$dir" && pwd)"
  [[ -f "$dir/env" ]] && die "$dir already holds an environment (stop it first)"
  resolve_binaries
  local started=$SECONDS
  local api_port etcd_port peer_port p
  api_port="${FORESIGHT_K8S_APISERVER_PORT:-$(free_port)}"
  etcd_port="${FORESIGHT_K8S_ETCD_PORT:-$(free_port "$api_port")}"
  peer_port="${FORESIGHT_K8S_ETCD_PEER_PORT:-$(free_port "$api_port" "$etcd_port")}"
  for p in "$api_port" "$etcd_port" "$peer_port"; do
    port_in_use "$p" && die "port $p is already in use"
  done
  # Whatever fails from here on, leave no process behind (logs stay in DIR).
  trap 'cmd_stop "$dir" >/dev/null 2>&1' EXIT

  make_pki "$dir"
  local admin_token kcm_token server="https://127.0.0.1:$api_port"
  admin_token="$(openssl rand -hex 24)"
  kcm_token="$(openssl rand -hex 24)"
  # The controller-manager gets its own identity (bound by RBAC's bootstrap
  # policy) and, with --use-service-account-credentials, one SA per controller,
  # as in a real cluster; tests act as a system:masters admin.
  printf '%s\n' "$admin_token,foresight-admin,1,\"system:masters\"" \
    "$kcm_token,system:kube-controller-manager,2" >"$dir/pki/tokens.csv"
  write_kubeconfig "$dir/kubeconfig" "$server" "$dir/pki/ca.crt" foresight-admin "$admin_token"
  write_kubeconfig "$dir/kube-controller-manager.kubeconfig" "$server" "$dir/pki/ca.crt" \
    system:kube-controller-manager "$kcm_token"
  cat >"$dir/env" <<EOF
KUBECONFIG=$dir/kubeconfig
FORESIGHT_K8S_SERVER=$server
FORESIGHT_K8S_TOKEN=$admin_token
FORESIGHT_K8S_CA_FILE=$dir/pki/ca.crt
EOF

  spawn "$dir" etcd "$ETCD_BIN" --name=default --data-dir="$dir/etcd-data" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="default=http://127.0.0.1:$peer_port" --logger=zap --log-level=warn
  wait_for "$dir" etcd curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health"

  # One argument per line, so start-apiserver can replay the exact command.
  # --endpoint-reconciler-type=none: the `kubernetes` Service's Endpoints may
  # not hold a loopback address, so reconciling them only logs errors (and
  # stalls shutdown); no Pod runs here to use them anyway.
  cat >"$dir/kube-apiserver.args" <<EOF
$APISERVER_BIN
--etcd-servers=http://127.0.0.1:$etcd_port
--bind-address=127.0.0.1
--advertise-address=127.0.0.1
--secure-port=$api_port
--endpoint-reconciler-type=none
--tls-cert-file=$dir/pki/apiserver.crt
--tls-private-key-file=$dir/pki/apiserver.key
--client-ca-file=$dir/pki/ca.crt
--token-auth-file=$dir/pki/tokens.csv
--authorization-mode=RBAC
--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,DefaultTolerationSeconds,Priority,RuntimeClass,StorageObjectInUseProtection,PersistentVolumeClaimResize,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ResourceQuota
--service-account-issuer=https://kubernetes.default.svc.cluster.local
--service-account-key-file=$dir/pki/sa.pub
--service-account-signing-key-file=$dir/pki/sa.key
--api-audiences=https://kubernetes.default.svc.cluster.local
--service-cluster-ip-range=10.0.0.0/24
--allow-privileged=true
--profiling=false
--v=1
EOF
  start_apiserver "$dir"

  if [[ -n "$KCM_BIN" ]]; then
    # No leader election: with it, the controller-manager exits once it cannot
    # renew its lease, which would break the stop-apiserver/start-apiserver test.
    # Ports 0: it serves nothing we need, and fixed defaults would clash
    # between parallel environments.
    spawn "$dir" kube-controller-manager "$KCM_BIN" \
      --kubeconfig="$dir/kube-controller-manager.kubeconfig" \
      --leader-elect=false --port=0 --secure-port=0 \
      --use-service-account-credentials=true \
      --service-account-private-key-file="$dir/pki/sa.key" \
      --root-ca-file="$dir/pki/ca.crt" \
      --cluster-signing-cert-file="$dir/pki/ca.crt" --cluster-signing-key-file="$dir/pki/ca.key" \
      --v=1
  fi

  wait_for "$dir" "the default namespace" api_get "$dir" /api/v1/namespaces/default
  # Pods are refused until their ServiceAccount exists, so wait for the one the
  # controller-manager creates; it also proves the controller-manager works.
  [[ -n "$KCM_BIN" ]] &&
    wait_for "$dir" "the default ServiceAccount" api_get "$dir" /api/v1/namespaces/default/serviceaccounts/default

  if [[ -n "${FORESIGHT_K8S_OWNER_PID:-}" ]]; then
    # shellcheck disable=SC2016 # expanded by the watchdog's own bash
    setsid bash -c 'while kill -0 "$1" 2>/dev/null && [[ -f "$2/env" ]]; do sleep 1; done; [[ -f "$2/env" ]] && exec bash "$3" stop "$2"' \
      watchdog "$FORESIGHT_K8S_OWNER_PID" "$dir" "$SELF" >>"$dir/logs/watchdog.log" 2>&1 </dev/null &
    echo $! >"$dir/watchdog.pid"
  fi
  trap - EXIT
  log "ready in $((SECONDS - started)) s: $server (KUBECONFIG=$dir/kubeconfig)"
}

cmd_stop() {
  local dir="${1:?usage: kube-env.sh stop DIR}"
  [[ -d "$dir" ]] || die "no such directory: $dir"
  stop_procs "$dir" 3 kube-controller-manager kube-apiserver etcd
  rm -rf "$dir/etcd-data" "$dir/env"
  # Last, since the watchdog itself may be the one running this stop.
  if [[ -f "$dir/watchdog.pid" ]]; then
    local watchdog
    watchdog="$(cat "$dir/watchdog.pid")"
    rm -f "$dir/watchdog.pid"
    [[ $watchdog == "$$" ]] || kill "$watchdog" 2>/dev/null || true
  fi
  log "stopped $dir"
}

main() {
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
    build) cmd_build ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    # A short grace: an outage should start now, open watches included.
    stop-apiserver) stop_procs "${1:?usage: kube-env.sh stop-apiserver DIR}" 1 kube-apiserver ;;
    start-apiserver) start_apiserver "${1:?usage: kube-env.sh start-apiserver DIR}" ;;
    *) sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
