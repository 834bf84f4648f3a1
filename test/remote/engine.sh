#!/usr/bin/env bash
# A second Docker engine that the tests reach only as a remote one (issue 20): dockerd in its own network
# namespace, with its own data-root, exec-root and bridge, reached over ssh:// through an sshd in that
# namespace (key auth, pinned host key) and over tcp:// with TLS (certificates made here by openssl).
# Its container addresses do not route from the test's namespace, as on Docker Desktop.
#
#   engine.sh up       start it (idempotent) and load the dev8 images it lacks; prints the variables
#   engine.sh status   prints the variables when it is up (exit 1 otherwise)
#   engine.sh down     stops exactly what `up` started and removes the namespace
#
# Variables printed: DEVC_REMOTE_SSH (ssh://root@devc-remote-engine), DEVC_REMOTE_TCP
# (tcp://10.231.0.2:2376), DEVC_REMOTE_CERTS (the client's DOCKER_CERT_PATH), DEVC_REMOTE_BAD_CERTS.
set -euo pipefail

NS=devc-remote
HOST_IF=devcrem0
NS_IF=devcrem1
HOST_ADDR=10.231.0.1
ENGINE_ADDR=10.231.0.2
BRIDGE_CIDR=10.232.0.1/24   # the engine's docker0
POOL=10.233.0.0/16          # its user-defined networks (devc's)
ALIAS=devc-remote-engine
STATE=/var/lib/devc-remote
RUN=/run/devc-remote
VERSION="$(node -p "require('$(cd "$(dirname "$0")/../.." && pwd)/package.json').version")"
IMAGES=("devc/dev8-base:$VERSION" "devc/devc-agent:$VERSION" debian:bookworm-slim)
SSH_CONFIG="$HOME/.ssh/config"

log() { printf 'remote-engine: %s\n' "$*" >&2; }
# Only the network namespace: `ip netns exec` also remounts /sys, which hides the cgroups dockerd needs.
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

print_vars() {
  cat <<EOF
export DEVC_REMOTE_SSH=ssh://root@$ALIAS
export DEVC_REMOTE_TCP=tcp://$ENGINE_ADDR:2376
export DEVC_REMOTE_CERTS=$STATE/client
export DEVC_REMOTE_BAD_CERTS=$STATE/stranger
export DEVC_REMOTE_SOCKET=$RUN/docker.sock
EOF
}

status() {
  alive "$RUN/dockerd.pid" && alive "$RUN/sshd.pid" &&
    DOCKER_HOST="ssh://root@$ALIAS" timeout 20 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

network() {
  ip netns list 2>/dev/null | grep -qw "$NS" || ip netns add "$NS"
  if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
    ip link add "$HOST_IF" type veth peer name "$NS_IF"
    ip link set "$NS_IF" netns "$NS"
    ip addr add "$HOST_ADDR/30" dev "$HOST_IF"
    ip link set "$HOST_IF" up
    in_ns ip addr add "$ENGINE_ADDR/30" dev "$NS_IF"
    in_ns ip link set "$NS_IF" up
    in_ns ip link set lo up
  fi
  # The engine's container networks must not route from here, and a packet for them must not leave the
  # machine by its default route either: an unreachable route answers at once.
  ip route show type unreachable | grep -q '^unreachable 10.232.0.0/15' || ip route add unreachable 10.232.0.0/15
}

certs() {
  [ -f "$STATE/client/cert.pem" ] && [ -f "$STATE/stranger/cert.pem" ] && return 0
  local d="$STATE/tls"
  mkdir -p "$d" "$STATE/client" "$STATE/stranger"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=devc-remote-ca -keyout "$d/ca-key.pem" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$ENGINE_ADDR" -keyout "$d/server-key.pem" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$ENGINE_ADDR" >"$d/server.ext"
  openssl x509 -req -days 3650 -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial -extfile "$d/server.ext" -out "$d/server.pem" 2>/dev/null
  client_cert "$d/ca.pem" "$d/ca-key.pem" "$STATE/client"
  # Another CA's client: the wrong certificate a test shows the engine refusing.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=stranger-ca -keyout "$d/stranger-ca-key.pem" -out "$d/stranger-ca.pem" 2>/dev/null
  client_cert "$d/stranger-ca.pem" "$d/stranger-ca-key.pem" "$STATE/stranger"
  cp "$d/stranger-ca.pem" "$STATE/stranger/ca.pem"
  chmod 600 "$STATE"/*/key.pem "$d"/*key.pem
}

client_cert() {
  local ca=$1 cakey=$2 out=$3
  openssl req -newkey rsa:2048 -nodes -subj /CN=devc-client -keyout "$out/key.pem" -out "$out/client.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$out/client.ext"
  openssl x509 -req -days 3650 -in "$out/client.csr" -CA "$ca" -CAkey "$cakey" -CAcreateserial -extfile "$out/client.ext" -out "$out/cert.pem" 2>/dev/null
  cp "$ca" "$out/ca.pem"
}

engine() {
  alive "$RUN/dockerd.pid" && return 0
  mkdir -p "$STATE/docker" "$RUN/exec"
  local d="$STATE/tls"
  # setsid: the engine outlives this script; its own pidfile is how `down` finds exactly it.
  nsenter --net="/run/netns/$NS" setsid dockerd \
    --data-root "$STATE/docker" --exec-root "$RUN/exec" --pidfile "$RUN/dockerd.pid" \
    -H "unix://$RUN/docker.sock" -H "tcp://$ENGINE_ADDR:2376" \
    --tlsverify --tlscacert "$d/ca.pem" --tlscert "$d/server.pem" --tlskey "$d/server-key.pem" \
    --bip "$BRIDGE_CIDR" --default-address-pool "base=$POOL,size=24" --cgroup-parent devc-remote \
    </dev/null >"$STATE/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do
    DOCKER_HOST="unix://$RUN/docker.sock" docker version >/dev/null 2>&1 && return 0
    sleep 1
  done
  log "dockerd did not answer; see $STATE/dockerd.log"; tail -5 "$STATE/dockerd.log" >&2; return 1
}

sshd_up() {
  mkdir -p "$STATE/ssh"
  [ -f "$STATE/ssh/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$STATE/ssh/host_ed25519"
  [ -f "$STATE/ssh/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C devc-remote-client -f "$STATE/ssh/client_ed25519"
  cp "$STATE/ssh/client_ed25519.pub" "$STATE/ssh/authorized_keys"
  chmod 600 "$STATE/ssh/authorized_keys"
  echo "$ENGINE_ADDR $(cut -d' ' -f1,2 "$STATE/ssh/host_ed25519.pub")" >"$STATE/ssh/known_hosts"
  # `docker system dial-stdio` on the far side must reach this engine, not the machine's own.
  cat >"$STATE/ssh/sshd_config" <<EOF
ListenAddress $ENGINE_ADDR:22
HostKey $STATE/ssh/host_ed25519
PidFile $RUN/sshd.pid
AuthorizedKeysFile $STATE/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 100:30:200
MaxSessions 100
SetEnv DOCKER_HOST=unix://$RUN/docker.sock
EOF
  alive "$RUN/sshd.pid" && return 0
  mkdir -p /run/sshd
  in_ns /usr/sbin/sshd -f "$STATE/ssh/sshd_config"
}

client_config() {
  mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
  touch "$SSH_CONFIG"
  grep -q "^# devc-remote-engine begin" "$SSH_CONFIG" && return 0
  cat >>"$SSH_CONFIG" <<EOF
# devc-remote-engine begin (test/remote/engine.sh; removed by its down)
Host $ALIAS
  HostName $ENGINE_ADDR
  User root
  IdentityFile $STATE/ssh/client_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $STATE/ssh/known_hosts
  StrictHostKeyChecking yes
  ControlMaster auto
  ControlPath $RUN/ssh-%C
  ControlPersist 60
# devc-remote-engine end
EOF
}

load_images() {
  for image in "${IMAGES[@]}"; do
    local want have
    want="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null)" || { log "missing here: $image (build it first)"; return 1; }
    have="$(DOCKER_HOST="ssh://root@$ALIAS" docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
    [ "$want" = "$have" ] && continue
    log "loading $image into the remote engine over ssh"
    docker save "$image" | DOCKER_HOST="ssh://root@$ALIAS" docker load -q >/dev/null
  done
}

up() {
  mkdir -p "$STATE" "$RUN"
  network
  certs
  engine
  sshd_up
  client_config
  load_images
  status || { log "the engine does not answer over ssh"; return 1; }
  print_vars
}

down() {
  for pidfile in "$RUN/sshd.pid" "$RUN/dockerd.pid"; do
    if alive "$pidfile"; then
      local pid; pid="$(cat "$pidfile")"
      kill "$pid"
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    fi
  done
  ip link del "$HOST_IF" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  ip route del unreachable 10.232.0.0/15 2>/dev/null || true
  if [ -f "$SSH_CONFIG" ]; then
    sed -i '/^# devc-remote-engine begin/,/^# devc-remote-engine end/d' "$SSH_CONFIG"
  fi
}

# One `up` or `down` at a time: the end-to-end suite and test/engines/run.sh may start it together.
# flock -o holds the lock itself and closes it for this script, so the dockerd, sshd and ssh masters
# started here don't inherit it (they would hold it for as long as they run).
if [ -z "${DEVC_REMOTE_LOCKED:-}" ]; then
  mkdir -p "$RUN"
  DEVC_REMOTE_LOCKED=1 exec flock -o "$RUN/lock" bash "$0" "$@"
fi

case "${1:-}" in
  up) up ;;
  status) status && print_vars ;;
  down) down ;;
  *) echo "usage: engine.sh up|status|down" >&2; exit 2 ;;
esac
