#!/usr/bin/env bash
# devc test cluster: a real single-node Kubernetes built from the Go module proxy.
# Usage: test/cluster/cluster.sh build|up|down|status|run [--] CMD...   (run as root)
#   build   build (or reuse) etcd + Kubernetes binaries in ~/.cache/devc-k8s/<version>; safe to run concurrently
#   up      build if needed, start everything, wait for a Ready node; stdout ends with
#           `export KUBECONFIG=...` and `export DEVC_REGISTRY=...` (all else goes to stderr)
#   down    stop exactly the processes `up` started and remove the node's mounts, network and cluster state
#   status  which daemons run (stderr) + the two export lines; exit 3 if any daemon is stopped
#   run     up, run CMD with KUBECONFIG/DEVC_REGISTRY/DEVC_NODE_IP set, then down (if it was not up before)
# See docs/test-cluster.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K8S_VERSION="${DEVC_K8S_VERSION:-1.34.4}"
ETCD_VERSION="${DEVC_ETCD_VERSION:-3.5.35}"
REGISTRY_PORT="${DEVC_REGISTRY_PORT:-5001}"
CACHE_ROOT="${DEVC_K8S_CACHE:-$HOME/.cache/devc-k8s}"
CACHE="$CACHE_ROOT/$K8S_VERSION-etcd$ETCD_VERSION${DEVC_KUBELET_CGO:+-cgo-kubelet}"
BIN="$CACHE/bin"
STATE="${DEVC_CLUSTER_STATE:-/var/lib/devc-cluster}"
RUN="${DEVC_CLUSTER_RUN:-/run/devc-cluster}"
NODE_NAME="devc-node"
NODE_IP="${DEVC_NODE_IP:-10.213.0.1}"
VETH_HOST="devcnode0"
VETH_PEER="devcnode1"
POD_CIDR="${DEVC_POD_CIDR:-10.214.0.0/24}"
SERVICE_CIDR="${DEVC_SERVICE_CIDR:-10.215.0.0/24}"
SERVICE_IP="${SERVICE_CIDR%.*}.1"
CNI_NET="devc-k8s"
CNI_BRIDGE="devccni0"
APISERVER_PORT="${DEVC_APISERVER_PORT:-6443}"
ETCD_PORT="${DEVC_ETCD_PORT:-2479}"
ETCD_PEER_PORT="${DEVC_ETCD_PEER_PORT:-2480}"
KUBECONFIG_OUT="$STATE/kubeconfig"
PAUSE_IMAGE="registry.k8s.io/pause:3.10.1"
CTR_SOCK="$RUN/containerd/containerd.sock"
DAEMONS="containerd registry etcd kube-apiserver kube-controller-manager kube-scheduler kubelet provisioner"
# ports chosen by the running cluster's `up` win over the defaults (a busy default port moves up by one
# unless the DEVC_*_PORT variable was set explicitly)
if [ -f "$STATE/ports.env" ]; then
  # shellcheck disable=SC1091
  . "$STATE/ports.env"
fi
export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

log() { printf '[cluster %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- build ----
k8s_binaries="kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl"

binaries_ready() {
  local b
  for b in etcd $k8s_binaries; do [ -x "$BIN/$b" ] || return 1; done
}

do_build_locked() {
  local GO_ENV=(env GOMODCACHE="$CACHE/gomodcache" GOCACHE="$CACHE/gocache" GOFLAGS="-buildvcs=false -p=${DEVC_BUILD_PARALLEL:-2}" GOTOOLCHAIN=local GOPROXY="${GOPROXY:-https://proxy.golang.org}")
  mkdir -p "$BIN"
  command -v go >/dev/null || die "go not found (expected /usr/local/go/bin/go)"
  if [ ! -x "$BIN/etcd" ]; then
    log "building etcd v$ETCD_VERSION (log: $CACHE/build.log)"
    mkdir -p "$CACHE/etcdbuild"
    ( cd "$CACHE/etcdbuild"
      [ -f go.mod ] || "${GO_ENV[@]}" go mod init local.test/etcdbuild || exit 1
      printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' > main.go
      "${GO_ENV[@]}" go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" || exit 1
      "${GO_ENV[@]}" go mod tidy || exit 1
      time "${GO_ENV[@]}" CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" . || exit 1
      mv "$BIN/etcd.tmp" "$BIN/etcd" ) >>"$CACHE/build.log" 2>&1 || die "etcd build failed, see $CACHE/build.log"
  fi
  local missing="" b
  for b in $k8s_binaries; do [ -x "$BIN/$b" ] || missing="$missing $b"; done
  if [ -n "$missing" ]; then
    log "building Kubernetes v$K8S_VERSION:$missing (log: $CACHE/build.log)"
    mkdir -p "$CACHE/k8sbuild"
    ( cd "$CACHE/k8sbuild"
      set -x
      [ -f go.mod ] || "${GO_ENV[@]}" go mod init local.test/k8sbuild || exit 1
      local gomod staging
      gomod=$("${GO_ENV[@]}" go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
      [ -f "$gomod" ] || { echo "no go.mod for k8s.io/kubernetes@v$K8S_VERSION"; exit 1; }
      staging=$(sed -n 's|^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/.*|\1|p' "$gomod")
      [ -n "$staging" ] || { echo "no staging replaces parsed from $gomod"; exit 1; }
      for m in $staging; do "${GO_ENV[@]}" go mod edit -replace="$m=$m@v0.${K8S_VERSION#1.}" || exit 1; done
      "${GO_ENV[@]}" go mod edit -require="k8s.io/kubernetes@v$K8S_VERSION" -go=1.24.0 || exit 1
      printf '//go:build tools\n\npackage tools\n\nimport (\n' > tools.go
      for b in $k8s_binaries; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b" >> tools.go; done
      printf ')\n' >> tools.go
      "${GO_ENV[@]}" go mod tidy || exit 1
      local V=k8s.io/component-base/version C=k8s.io/client-go/pkg/version minor LD="-s -w" p
      minor=${K8S_VERSION#1.}; minor=${minor%%.*}
      for p in $V $C; do LD="$LD -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.buildDate=1970-01-01T00:00:00Z"; done
      mkdir -p out
      local static="" cgo=""
      # upstream links kubelet with cgo; a static kubelet works here too and shares every compiled
      # package with the other binaries (cgo changes the build of net/os/user and all that import them),
      # which saves ~4 of ~11 cold minutes. DEVC_KUBELET_CGO=1 builds it the upstream way.
      for b in $missing; do
        if [ "$b" = kubelet ] && [ -n "${DEVC_KUBELET_CGO:-}" ]; then cgo="$cgo k8s.io/kubernetes/cmd/$b"; else static="$static k8s.io/kubernetes/cmd/$b"; fi
      done
      if [ -n "$static" ]; then
        time "${GO_ENV[@]}" CGO_ENABLED=0 go build -trimpath -tags selinux,notest -ldflags "$LD" -o out/ $static || exit 1
      fi
      if [ -n "$cgo" ]; then
        time "${GO_ENV[@]}" CGO_ENABLED=1 go build -trimpath -tags selinux,notest -ldflags "$LD" -o out/ $cgo || exit 1
      fi
      for b in $missing; do mv "out/$b" "$BIN/$b" || exit 1; done ) >>"$CACHE/build.log" 2>&1 || die "Kubernetes build failed, see $CACHE/build.log"
  fi
}

cmd_build() {
  mkdir -p "$CACHE"
  if binaries_ready; then log "binaries cached in $BIN"; return 0; fi
  exec 9>"$CACHE/build.lock"
  log "waiting for build lock $CACHE/build.lock (another build may be running)"
  flock -w "${DEVC_BUILD_LOCK_TIMEOUT:-3600}" 9 || die "build lock not released in ${DEVC_BUILD_LOCK_TIMEOUT:-3600}s"
  if binaries_ready; then log "binaries cached in $BIN"; flock -u 9; exec 9>&-; return 0; fi
  local t0=$SECONDS
  echo "=== build started $(date -u +%FT%TZ) k8s v$K8S_VERSION etcd v$ETCD_VERSION" >>"$CACHE/build.log"
  do_build_locked
  echo "=== build finished $(date -u +%FT%TZ) in $((SECONDS - t0))s" >>"$CACHE/build.log"
  log "built in $((SECONDS - t0))s: $BIN"
  flock -u 9; exec 9>&-
}

# ------------------------------------------------------------- helpers -----
need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

ensure_packages() {
  local want="" p
  # package:command-or-file
  for p in containerd:/usr/bin/containerd runc:/usr/sbin/runc containernetworking-plugins:/usr/lib/cni/bridge \
           docker-registry:/usr/bin/docker-registry openssl:/usr/bin/openssl iptables:/usr/sbin/iptables \
           conntrack:/usr/sbin/conntrack socat:/usr/bin/socat curl:/usr/bin/curl gcc:/usr/bin/gcc \
           libc6-dev:/usr/lib/x86_64-linux-gnu/libc.a util-linux:/usr/bin/flock iproute2:/usr/sbin/ip; do
    [ -e "${p#*:}" ] || want="$want ${p%%:*}"
  done
  [ -z "$want" ] && return 0
  log "installing from Debian:$want"
  local made_policy=""
  # never let postinst scripts start the packaged daemons (default configs would clash)
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made_policy=1
  fi
  { timeout 600 apt-get update && DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y --no-install-recommends $want; } \
    >>"$STATE/logs/apt.log" 2>&1 || { [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d; die "apt-get failed, see $STATE/logs/apt.log"; }
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

pid_file() { echo "$STATE/pids/$1.pid"; }
# a pid file holds "PID STARTTIME"; alive only if that exact process still exists
proc_start() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null | head -1; }
daemon_pid() {
  local f; f=$(pid_file "$1"); [ -f "$f" ] || return 1
  local pid st; read -r pid st < "$f" || return 1
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && [ "$(proc_start "$pid")" = "$st" ] || return 1
  echo "$pid"
}
start_daemon() { # name binary args...
  local name=$1; shift
  if daemon_pid "$name" >/dev/null; then log "$name already running"; return 0; fi
  log "starting $name (log: $STATE/logs/$name.log)"
  setsid "$@" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
  local pid=$!
  sleep 0.2
  echo "$pid $(proc_start "$pid")" > "$(pid_file "$name")"
  daemon_pid "$name" >/dev/null || die "$name exited at once; last log lines:
$(tail -20 "$STATE/logs/$name.log")"
}
stop_daemon() { # name [timeout]
  local name=$1 t=${2:-30} pid
  if pid=$(daemon_pid "$name"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local end=$((SECONDS + t))
    while [ -d "/proc/$pid" ] && [ $SECONDS -lt $end ]; do sleep 0.2; done
    if [ -d "/proc/$pid" ]; then log "$name did not stop in ${t}s, killing"; kill -KILL "$pid" 2>/dev/null || true
      end=$((SECONDS + 10)); while [ -d "/proc/$pid" ] && [ $SECONDS -lt $end ]; do sleep 0.2; done; fi
  fi
  rm -f "$(pid_file "$name")"
}
wait_for() { # description timeout-seconds command...
  local what=$1 t=$2; shift 2
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || { log "timed out after ${t}s waiting for $what"; return 1; }
    sleep 0.5
  done
}
kc() { timeout 60 "$BIN/kubectl" --kubeconfig "$KUBECONFIG_OUT" "$@"; }
ctr_() { timeout 60 ctr -a "$CTR_SOCK" -n k8s.io "$@"; }

port_free() { ! ss -ltnH "( sport = :$1 )" 2>/dev/null | grep -q .; }
pick_port() { # VAR default explicit-setting
  local var=$1 p=$2 explicit=$3 last=$(($2 + 99))
  if [ -n "$explicit" ]; then port_free "$p" || die "port $p (\$$var) is in use"; printf -v "$var" %s "$p"; return 0; fi
  while ! port_free "$p"; do p=$((p + 1)); [ $p -le $last ] || die "no free port in $2..$last for $var"; done
  [ "$p" = "$2" ] || log "port $2 is busy: using $p for $var"
  printf -v "$var" %s "$p"
}
choose_ports() {
  pick_port REGISTRY_PORT "${DEVC_REGISTRY_PORT:-5001}" "${DEVC_REGISTRY_PORT:-}"
  pick_port APISERVER_PORT "${DEVC_APISERVER_PORT:-6443}" "${DEVC_APISERVER_PORT:-}"
  pick_port ETCD_PORT "${DEVC_ETCD_PORT:-2479}" "${DEVC_ETCD_PORT:-}"
  [ "$ETCD_PEER_PORT" != "$ETCD_PORT" ] || ETCD_PEER_PORT=$((ETCD_PORT + 1))
  pick_port ETCD_PEER_PORT "$ETCD_PEER_PORT" "${DEVC_ETCD_PEER_PORT:-}"
  printf 'REGISTRY_PORT=%s\nAPISERVER_PORT=%s\nETCD_PORT=%s\nETCD_PEER_PORT=%s\n' \
    "$REGISTRY_PORT" "$APISERVER_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT" > "$STATE/ports.env"
}

# ------------------------------------------------------------- network -----
setup_network() {
  if ! ip link show "$VETH_HOST" >/dev/null 2>&1; then
    log "creating veth $VETH_HOST/$VETH_PEER with node IP $NODE_IP"
    ip link add "$VETH_HOST" type veth peer name "$VETH_PEER"
  fi
  ip addr show dev "$VETH_HOST" | grep -q "inet $NODE_IP/" || ip addr add "$NODE_IP/24" dev "$VETH_HOST"
  # no IPv6 on the pair (no link-local chatter); the veth has no route anywhere but itself
  sysctl -qw "net.ipv6.conf.$VETH_HOST.disable_ipv6=1" "net.ipv6.conf.$VETH_PEER.disable_ipv6=1" 2>/dev/null || true
  ip link set "$VETH_HOST" up; ip link set "$VETH_PEER" up
  # the node IP must be a local address of this machine: traffic to it never leaves the host
  ip route get "$NODE_IP" | grep -q "^local $NODE_IP " || die "node IP $NODE_IP is not local after setup"
  # and it must answer: connect to a throwaway listener on it
  local port=$((20000 + RANDOM % 20000))
  timeout 5 socat -u "TCP-LISTEN:$port,bind=$NODE_IP,reuseaddr" - >/dev/null 2>&1 & local sp=$!
  local ok=""
  for _ in $(seq 1 20); do
    if timeout 2 bash -c "exec 3<>/dev/tcp/$NODE_IP/$port" 2>/dev/null; then ok=1; break; fi
    sleep 0.1
  done
  kill "$sp" 2>/dev/null || true; wait "$sp" 2>/dev/null || true
  [ -n "$ok" ] || die "node IP $NODE_IP does not answer on the host"
  # let pods on the bridge talk to each other despite dockerd's FORWARD DROP policy (pods get no route off the host: no masquerade)
  iptables -C FORWARD -i "$CNI_BRIDGE" -o "$CNI_BRIDGE" -m comment --comment devc-cluster -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD 1 -i "$CNI_BRIDGE" -o "$CNI_BRIDGE" -m comment --comment devc-cluster -j ACCEPT
  local v; v=$(sysctl -n fs.inotify.max_user_instances 2>/dev/null || echo 512)
  [ "$v" -ge 512 ] 2>/dev/null || sysctl -qw fs.inotify.max_user_instances=512 || true
}

iptables_cleanup() {
  local ipt t line chain
  for ipt in iptables ip6tables; do
    command -v $ipt >/dev/null || continue
    for t in filter nat mangle; do
      # rules in any chain that jump to CNI-/KUBE- chains or carry our comment
      { $ipt -t $t -S 2>/dev/null | grep -E '^-A .*(-j (CNI-|KUBE-)|devc-cluster|\\"'"$CNI_NET"'\\")' || true; } | while IFS= read -r line; do
        eval "$ipt -t $t -D ${line#-A }" 2>/dev/null || true
      done
      for chain in $($ipt -t $t -S 2>/dev/null | awk '/^-N (CNI-|KUBE-)/{print $2}'); do $ipt -t $t -F "$chain" 2>/dev/null || true; done
      for chain in $($ipt -t $t -S 2>/dev/null | awk '/^-N (CNI-|KUBE-)/{print $2}'); do $ipt -t $t -X "$chain" 2>/dev/null || true; done
    done
  done
}

# ----------------------------------------------------------------- PKI -----
make_pki() {
  local P="$STATE/pki"
  if [ -f "$P/done" ] && [ "$(cat "$P/done")" = "$NODE_IP $NODE_NAME $SERVICE_IP" ]; then return 0; fi
  log "creating certificates in $P"
  rm -rf "$P"; mkdir -p "$P"; chmod 700 "$P"
  ( cd "$P"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=devc-test-ca"
    mk() { # name CN O SAN EKU
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2${3:+/O=$3}"
      printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s\n' "${5:-clientAuth}" "${4:+subjectAltName=$4}" > "$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile "$1.ext" -out "$1.crt"
      rm -f "$1.csr" "$1.ext"; }
    mk apiserver kube-apiserver "" "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$SERVICE_IP,IP:$NODE_IP" serverAuth
    mk kubelet-serving "system:node:$NODE_NAME" system:nodes "DNS:$NODE_NAME,DNS:localhost,IP:$NODE_IP,IP:127.0.0.1" serverAuth
    mk admin kubernetes-admin system:masters
    mk apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
    mk controller-manager system:kube-controller-manager
    mk scheduler system:kube-scheduler
    mk kubelet "system:node:$NODE_NAME" system:nodes
    openssl genrsa -out sa.key 2048 && openssl rsa -in sa.key -pubout -out sa.pub
    chmod 600 ./*.key ) >>"$STATE/logs/pki.log" 2>&1 || die "openssl failed, see $STATE/logs/pki.log"
  echo "$NODE_IP $NODE_NAME $SERVICE_IP" > "$P/done"
}

write_kubeconfig() { # file user certname
  local P="$STATE/pki"
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: devc-test
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 < "$P/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 < "$P/$3.crt")
    client-key-data: $(base64 -w0 < "$P/$3.key")
contexts:
- name: devc-test
  context: {cluster: devc-test, user: $2, namespace: default}
current-context: devc-test
KC
  chmod 600 "$1"
}

# ------------------------------------------------------------- configs -----
write_configs() {
  local E="$STATE/etc"
  mkdir -p "$E" "$STATE/cni/net.d" "$STATE/containerd/certs.d" "$STATE/registry" "$STATE/pod-logs" "$RUN/containerd"
  write_kubeconfig "$KUBECONFIG_OUT" kubernetes-admin admin
  write_kubeconfig "$E/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
  write_kubeconfig "$E/scheduler.kubeconfig" system:kube-scheduler scheduler
  write_kubeconfig "$E/kubelet.kubeconfig" "system:node:$NODE_NAME" kubelet

  cat > "$E/containerd.toml" <<TOML
version = 2
root = "$STATE/containerd/root"
state = "$RUN/containerd/state"
[grpc]
  address = "$CTR_SOCK"
[ttrpc]
  address = "$CTR_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$STATE/containerd/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$PAUSE_IMAGE"
    restrict_oom_score_adj = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = "$RUN/runc"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$STATE/cni/net.d"
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "$STATE/containerd/certs.d"
TOML
  # the local registry over plain HTTP; docker.io and registry.k8s.io are served from it too,
  # so a pull of an image nobody pushed fails here instead of leaving the machine
  local h
  rm -rf "$STATE/containerd/certs.d"
  for h in "127.0.0.1:$REGISTRY_PORT" "localhost:$REGISTRY_PORT" docker.io registry.k8s.io; do
    mkdir -p "$STATE/containerd/certs.d/$h"
    printf 'server = "http://127.0.0.1:%s"\n\n[host."http://127.0.0.1:%s"]\n  capabilities = ["pull", "resolve"]\n' \
      "$REGISTRY_PORT" "$REGISTRY_PORT" > "$STATE/containerd/certs.d/$h/hosts.toml"
  done

  cat > "$STATE/cni/net.d/10-devc.conflist" <<CNI
{"cniVersion":"0.4.0","name":"$CNI_NET","plugins":[
 {"type":"bridge","bridge":"$CNI_BRIDGE","isGateway":true,"ipMasq":false,"hairpinMode":true,
  "ipam":{"type":"host-local","dataDir":"$STATE/cni/networks","ranges":[[{"subnet":"$POD_CIDR"}]],"routes":[{"dst":"0.0.0.0/0"}]}},
 {"type":"portmap","capabilities":{"portMappings":true}},
 {"type":"loopback"}]}
CNI

  cat > "$E/registry.yml" <<REG
version: 0.1
log:
  level: info
  fields: {service: registry}
storage:
  filesystem: {rootdirectory: $STATE/registry}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$REGISTRY_PORT
  headers:
    X-Content-Type-Options: [nosniff]
REG

  cat > "$E/kubelet.yaml" <<KL
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$CTR_SOCK
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 0
cgroupDriver: cgroupfs
failSwapOn: false
failCgroupV1: false
oomScoreAdj: 0
podLogsDir: $STATE/pod-logs
tlsCertFile: $STATE/pki/kubelet-serving.crt
tlsPrivateKeyFile: $STATE/pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $STATE/pki/ca.crt}
authorization: {mode: Webhook}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
resolvConf: /etc/resolv.conf
serializeImagePulls: false
maxPods: 60
KL
}

# --------------------------------------------------------------- pause -----
ensure_pause_image() {
  if ctr_ images check "name==$PAUSE_IMAGE" 2>/dev/null | grep -q complete; then return 0; fi
  local W="$STATE/pause"
  log "building pause image $PAUSE_IMAGE"
  rm -rf "$W"; mkdir -p "$W/rootfs" "$W/oci/blobs/sha256"
  cat > "$W/pause.c" <<'C'
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void term(int s) { (void)s; _exit(0); }
static void reap(int s) { (void)s; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction t = {0}, c = {0};
  t.sa_handler = term; sigaction(SIGINT, &t, 0); sigaction(SIGTERM, &t, 0);
  c.sa_handler = reap; c.sa_flags = SA_NOCLDSTOP | SA_RESTART; sigaction(SIGCHLD, &c, 0);
  for (;;) pause();
}
C
  ( cd "$W"
    gcc -Os -Wall -Werror -static -o rootfs/pause pause.c && strip rootfs/pause
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C rootfs -cf layer.tar .
    local ld ls cfg cd cs man md ms
    ld=$(sha256sum layer.tar | cut -d' ' -f1); ls=$(stat -c %s layer.tar); mv layer.tar "oci/blobs/sha256/$ld"
    cfg='{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"],"WorkingDir":"/","User":"65535:65535"},"rootfs":{"type":"layers","diff_ids":["sha256:'$ld'"]}}'
    printf '%s' "$cfg" > cfg.json; cd=$(sha256sum cfg.json | cut -d' ' -f1); cs=$(stat -c %s cfg.json); mv cfg.json "oci/blobs/sha256/$cd"
    man='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:'$cd'","size":'$cs'},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:'$ld'","size":'$ls'}]}'
    printf '%s' "$man" > man.json; md=$(sha256sum man.json | cut -d' ' -f1); ms=$(stat -c %s man.json); mv man.json "oci/blobs/sha256/$md"
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
      "$md" "$ms" "$PAUSE_IMAGE" "${PAUSE_IMAGE##*:}" > oci/index.json
    printf '{"imageLayoutVersion":"1.0.0"}' > oci/oci-layout
    tar -C oci -cf pause.tar oci-layout index.json blobs ) >>"$STATE/logs/pause.log" 2>&1 || die "pause build failed, see $STATE/logs/pause.log"
  ctr_ images import "$W/pause.tar" >>"$STATE/logs/pause.log" 2>&1 || die "pause import failed, see $STATE/logs/pause.log"
  ctr_ images label "$PAUSE_IMAGE" io.cri-containerd.pinned=pinned >/dev/null 2>&1 || true
}

# ----------------------------------------------------------- up / down -----
all_running() { local d; for d in $DAEMONS; do daemon_pid "$d" >/dev/null || return 1; done; }
any_running() { local d; for d in $DAEMONS; do daemon_pid "$d" >/dev/null && return 0; done; return 1; }

# BuildKit for devc's builds in the cluster (scripts/buildkit.sh; docs/test-cluster.md): its binaries
# build in the background while the daemons start; once the node is Ready its image is pushed and
# deploy/buildkitd.yaml applied, also in the background (tests wait for the pod; log: logs/buildkit.log).
BUILDKIT_SCRIPT="$HERE/../../scripts/buildkit.sh"
start_buildkit_build() {
  setsid bash "$BUILDKIT_SCRIPT" build >>"$STATE/logs/buildkit.log" 2>&1 < /dev/null &
}
start_buildkit() {
  [ "$(kc -n devc-build get deployment buildkitd -o 'jsonpath={.status.readyReplicas}' 2>/dev/null)" = 1 ] && return 0
  log "starting BuildKit in the background (namespace devc-build; log: $STATE/logs/buildkit.log)"
  KUBECTL="$BIN/kubectl" KUBECONFIG="$KUBECONFIG_OUT" setsid bash "$BUILDKIT_SCRIPT" deploy "127.0.0.1:$REGISTRY_PORT" \
    >>"$STATE/logs/buildkit.log" 2>&1 < /dev/null &
}

print_exports() {
  echo "export KUBECONFIG=$KUBECONFIG_OUT"
  echo "export DEVC_REGISTRY=127.0.0.1:$REGISTRY_PORT"
}

write_env_file() {
  cat > "$STATE/cluster.env" <<ENV
export KUBECONFIG=$KUBECONFIG_OUT
export DEVC_REGISTRY=127.0.0.1:$REGISTRY_PORT
export DEVC_NODE_IP=$NODE_IP
export DEVC_NODE_NAME=$NODE_NAME
export DEVC_POD_CIDR=$POD_CIDR
export DEVC_POD_GATEWAY=${POD_CIDR%.*}.1
ENV
}

wait_ready() {
  log "waiting for node $NODE_NAME to be Ready"
  wait_for "node registered" 90 kc get node "$NODE_NAME" || die "node $NODE_NAME never registered; see $STATE/logs/kubelet.log"
  kc wait --for=condition=Ready "node/$NODE_NAME" --timeout=90s >/dev/null 2>&1 || die "node $NODE_NAME not Ready; see $STATE/logs/kubelet.log"
  wait_for "default service account" 60 kc -n default get serviceaccount default || die "service account default/default missing; see $STATE/logs/kube-controller-manager.log"
}

cmd_up() {
  need_root
  mkdir -p "$STATE/logs" "$STATE/pids" "$RUN"
  local t0=$SECONDS
  if all_running; then
    log "cluster already running"
    wait_ready; start_buildkit; write_env_file; print_exports; return 0
  fi
  if any_running; then log "cluster partly running: stopping it first"; cmd_down_inner; fi
  local f
  for f in "$STATE"/logs/*.log; do [ -f "$f" ] && mv -f "$f" "$f.prev"; done
  rm -f "$STATE/ports.env"
  REGISTRY_PORT="${DEVC_REGISTRY_PORT:-5001}" APISERVER_PORT="${DEVC_APISERVER_PORT:-6443}"
  ETCD_PORT="${DEVC_ETCD_PORT:-2479}" ETCD_PEER_PORT="${DEVC_ETCD_PEER_PORT:-2480}"
  ensure_packages
  start_buildkit_build
  cmd_build
  setup_network
  choose_ports
  make_pki
  write_configs
  local P="$STATE/pki" E="$STATE/etc"

  start_daemon registry docker-registry serve "$E/registry.yml"
  wait_for registry 30 curl -sf "http://127.0.0.1:$REGISTRY_PORT/v2/" || die "registry not answering; see $STATE/logs/registry.log"

  start_daemon containerd containerd --config "$E/containerd.toml"
  wait_for containerd 30 ctr -a "$CTR_SOCK" version || die "containerd not answering; see $STATE/logs/containerd.log"
  ensure_pause_image

  mkdir -p "$STATE/etcd"
  start_daemon etcd "$BIN/etcd" --name devc --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "devc=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --quota-backend-bytes 2147483648
  wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health" || die "etcd not healthy; see $STATE/logs/etcd.log"

  start_daemon kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" --bind-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --advertise-address="$NODE_IP" --service-cluster-ip-range="$SERVICE_CIDR" --allow-privileged=true \
    --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" --client-ca-file="$P/ca.crt" \
    --kubelet-client-certificate="$P/apiserver-kubelet-client.crt" --kubelet-client-key="$P/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction --profiling=false --v=1
  wait_for apiserver 90 curl -sf --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT/readyz" || die "kube-apiserver not ready; see $STATE/logs/kube-apiserver.log"

  start_daemon kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$E/controller-manager.kubeconfig" --authentication-kubeconfig="$E/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$E/controller-manager.kubeconfig" --bind-address=127.0.0.1 --leader-elect=false \
    --use-service-account-credentials=true --service-account-private-key-file="$P/sa.key" \
    --root-ca-file="$P/ca.crt" --cluster-signing-cert-file="$P/ca.crt" --cluster-signing-key-file="$P/ca.key" \
    --enable-hostpath-provisioner=true --profiling=false --secure-port=0 --v=1
  start_daemon kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$E/scheduler.kubeconfig" --authentication-kubeconfig="$E/scheduler.kubeconfig" \
    --authorization-kubeconfig="$E/scheduler.kubeconfig" --bind-address=127.0.0.1 --leader-elect=false --profiling=false --secure-port=0 --v=1
  mkdir -p "$STATE/kubelet"
  start_daemon kubelet "$BIN/kubelet" --config="$E/kubelet.yaml" --kubeconfig="$E/kubelet.kubeconfig" \
    --root-dir="$STATE/kubelet" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=2

  # Storage. The default, devc-local: a local-path provisioner as kind, k3s and minikube ship (0777
  # folders under $STATE/volumes; provisioner.mjs). devc-hostpath: kube-controller-manager's in-tree
  # hostPath provisioner (root-owned 0750 folders under /tmp/hostpath_pv, fsGroup ignored), for the
  # storage a non-root pod can't write to.
  start_daemon provisioner node "$HERE/provisioner.mjs" "https://127.0.0.1:$APISERVER_PORT" \
    "$P/ca.crt" "$P/admin.crt" "$P/admin.key" "$STATE/volumes"
  cat > "$E/storageclass.yaml" <<SC
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: devc-local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: devc.test/local-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: devc-hostpath
  annotations: {storageclass.kubernetes.io/is-default-class: "false"}
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
SC
  wait_for "storageclass" 60 kc apply -f "$E/storageclass.yaml" || die "could not create the StorageClass"
  wait_ready
  start_buildkit
  write_env_file
  log "cluster up in $((SECONDS - t0))s: node $NODE_NAME ($NODE_IP), registry 127.0.0.1:$REGISTRY_PORT, state $STATE"
  print_exports
}

umount_under() { # umount every mount point below the given dirs, deepest first, repeatedly (stacked mounts)
  local mp
  for _ in 1 2 3 4 5; do
    mp=$(awk '{print $5}' /proc/self/mountinfo | while read -r m; do
           for d in "$@"; do case "$m" in "$d"|"$d"/*) echo "$m";; esac; done; done | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-)
    [ -z "$mp" ] && return 0
    while IFS= read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done <<<"$mp"
  done
}

cmd_down_inner() {
  mkdir -p "$STATE/pids"
  # 1. let kubelet tear pods down properly (CNI DEL, volume unmounts) while everything still runs
  if daemon_pid kubelet >/dev/null && daemon_pid kube-apiserver >/dev/null && [ -x "$BIN/kubectl" ]; then
    log "deleting all pods"
    kc delete pods --all -A --grace-period=0 --force --wait=false >/dev/null 2>&1 || true
    local end=$((SECONDS + 45))
    while [ $SECONDS -lt $end ]; do
      [ -z "$(ctr_ tasks ls -q 2>/dev/null)" ] && break
      sleep 1
    done
  fi
  stop_daemon provisioner
  stop_daemon kubelet 30
  stop_daemon kube-scheduler
  stop_daemon kube-controller-manager
  stop_daemon kube-apiserver
  stop_daemon etcd
  # 2. whatever is left in containerd: kill tasks, delete tasks and containers
  if daemon_pid containerd >/dev/null; then
    local id
    for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
    sleep 1
    for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$id" >/dev/null 2>&1 || true; done
    for id in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers delete "$id" >/dev/null 2>&1 || true; done
  fi
  stop_daemon containerd 30
  stop_daemon registry
  # 3. mounts, netns, network, per-run state
  umount_under "$STATE/kubelet" "$RUN" "$STATE/containerd"
  local ns
  for ns in /run/netns/cni-*; do [ -e "$ns" ] || continue; umount "$ns" 2>/dev/null || umount -l "$ns" 2>/dev/null || true; rm -f "$ns"; done
  ip link del "$CNI_BRIDGE" 2>/dev/null || true
  ip link del "$VETH_HOST" 2>/dev/null || true
  iptables_cleanup
  # the (now empty) pod cgroups kubelet made under each v1 controller
  local cg
  for cg in /sys/fs/cgroup/*/kubepods; do
    [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  rm -rf "$STATE/etcd" "$STATE/kubelet" "$STATE/cni/networks" "$STATE/pod-logs" "$RUN" /tmp/hostpath_pv "$STATE/volumes" "$STATE/cluster.env" "$STATE/ports.env"
  find /var/log/containers -maxdepth 1 -type l -lname "$STATE/*" -delete 2>/dev/null || true
}

cmd_down() {
  need_root
  cmd_down_inner
  local d left=""
  for d in $DAEMONS; do daemon_pid "$d" >/dev/null && left="$left $d"; done
  [ -z "$left" ] || die "still running:$left"
  log "cluster down"
}

cmd_status() {
  local d pid rc=0
  for d in $DAEMONS; do
    if pid=$(daemon_pid "$d"); then log "$(printf '%-24s running (pid %s)' "$d" "$pid")"
    else log "$(printf '%-24s stopped' "$d")"; rc=3; fi
  done
  log "node $NODE_NAME, node IP $NODE_IP ($(ip -o addr show dev "$VETH_HOST" 2>/dev/null | grep -q "$NODE_IP/" && echo present || echo absent)), pod CIDR $POD_CIDR"
  log "state $STATE, binaries $BIN, env file $STATE/cluster.env"
  print_exports
  return $rc
}

# run CMD...: up, run CMD with the cluster's environment, then down (unless the cluster was already up)
cmd_run() {
  need_root
  local was_up="" rc=0
  all_running && was_up=1
  local exports; exports=$(cmd_up) || { cmd_down_inner || true; die "cluster did not come up"; }
  eval "$exports"
  # shellcheck disable=SC1091
  . "$STATE/cluster.env"
  "$@" || rc=$?
  if [ -z "$was_up" ]; then ( cmd_down ) || { [ "$rc" -ne 0 ] || rc=1; }; else log "cluster was already up before: leaving it running"; fi
  return $rc
}

# ---------------------------------------------------------------- main -----
case "${1:-}" in
  build) mkdir -p "$STATE/logs" 2>/dev/null || true; cmd_build ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  run) shift; [ "${1:-}" = -- ] && shift; [ $# -gt 0 ] || die "usage: $0 run [--] CMD..."; cmd_run "$@" ;;
  *) echo "usage: $0 build|up|down|status|run [--] CMD..." >&2; exit 2 ;;
esac
