#!/usr/bin/env bash
# Ports on rootless Podman, where container addresses don't route here (as on Docker Desktop): devc's
# forwarder against `ssh -L` through the same workspace's published sshd, side by side in one run:
# connection latency p50 (connect, 1-byte echo, close) and one stream, to a server on the workspace's
# loopback and to one on every address. Runs as a rootless user of its own (BENCH_PODMAN_USER, default
# devc-bench, made by scripts/podman-user.sh), apart from the test suites' users.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
MIB="${BENCH_MIB:-64}"
CONNS="${BENCH_CONNS:-100}"
VERSION="$(node -p "require('./package.json').version")"
user="${BENCH_PODMAN_USER:-devc-bench}"
DEVC_PODMAN_USER=$user bash scripts/podman-user.sh
uid="$(id -u "$user")"
runtime="/tmp/devc-podman-run-$uid"
install -d -m 700 -o "$user" -g "$user" "$runtime"
socket="$runtime/bench.sock"
work="$(mktemp -d /tmp/devc-bench-podman-XXXXXX)"
chown "$user:" "$work"
name="benchpod$$"
# As the rootless user, with its engine and a DEVC_HOME of the bench's own.
as() {
  runuser -u "$user" -- env -i PATH="$PATH" HOME="/home/$user" XDG_RUNTIME_DIR="$runtime" \
    DOCKER_HOST="unix://$socket" DEVC_HOME="$work/home" CI=1 "$@"
}
cleanup() {
  as "$ROOT/bin/devc" delete -w "$name" --force >/dev/null 2>&1 || true
  kill "$(cat "$work/ssh.pid" 2>/dev/null)" 2>/dev/null || true
  kill "$(cat "$runtime/bench.pid" 2>/dev/null)" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# Stopped by its own pid: runuser does not pass a signal on to the command it runs.
as sh -c 'echo $$ >"$0"; exec podman system service --time 0 "$1"' "$runtime/bench.pid" "unix://$socket" &
for _ in $(seq 100); do as docker version >/dev/null 2>&1 && break; sleep 0.3; done
# The dev8 image from the Docker engine (one id in both), when missing.
image="devc/dev8-base:$VERSION"
want="$(docker image inspect --format '{{.Id}}' "$image")"
have="$(as podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
if [ -z "$have" ] || [[ "$want" != *"$have" ]]; then
  docker save "$image" | as podman load -q >/dev/null
  as podman image prune -f >/dev/null
fi

cp "$BENCH_DIR/net/server.pl" "$BENCH_DIR/net/client.mjs" "$work/"
mkdir "$work/repo" && cp "$work/server.pl" "$work/repo/" && chown -R "$user:" "$work"
as git -C "$work/repo" init -q -b main
as git -C "$work/repo" add -A
as git -C "$work/repo" -c user.name=b -c user.email=b@b commit -qm bench
as "$ROOT/bin/devc" up "$work/repo" --name "$name" >/dev/null 2>"$work/up.log" || { cat "$work/up.log" >&2; exit 1; }
cid="devc-$name"
serve() { as docker exec -d -u dev "$cid" perl /workspaces/repo/server.pl "$@"; }
serve echo 6001 127.0.0.1
serve sink 6002 127.0.0.1
serve echo 6003 0.0.0.0
as docker exec "$cid" bash -c 'for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/6001 && exec 3<>/dev/tcp/127.0.0.1/6002 && exec 3<>/dev/tcp/127.0.0.1/6003) 2>/dev/null && exit 0; sleep 0.1; done; exit 1'
fwd_json="$(as "$ROOT/bin/devc" ports forward -w "$name" 6001 6002 6003 --json)"
local_of() { node -e 'console.log(JSON.parse(process.argv[1]).find(p=>p.remote===Number(process.argv[2])).local)' "$fwd_json" "$1"; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# ssh -L through the published sshd, with devc's key and pinned host key: what a user does by hand.
ssh_port="$(as docker port "$cid" 2222/tcp | head -1 | sed 's/.*://')"
s_echo="$(free_port)"; s_sink="$(free_port)"; s_wide="$(free_port)"
as sh -c 'echo $$ >"$0"; shift; exec ssh "$@"' "$work/ssh.pid" - -F none -i "$work/home/ssh/id_ed25519" -p "$ssh_port" -o IdentitiesOnly=yes -o BatchMode=yes \
  -o UserKnownHostsFile="$work/home/ssh/known_hosts" -o HostKeyAlias="$name.devc" -o StrictHostKeyChecking=yes \
  -N -L "127.0.0.1:$s_echo:127.0.0.1:6001" -L "127.0.0.1:$s_sink:127.0.0.1:6002" -L "127.0.0.1:$s_wide:127.0.0.1:6003" \
  dev@127.0.0.1 &
wait_port "$s_echo"
sleep 2 # the scan has seen all three listening

client() { node "$work/client.mjs" "$@"; }
latency() { client echo "$1" 10 >/dev/null; client echo "$1" "$CONNS"; }
ratio_of() { node -e 'console.log((Number(process.argv[1]) / Number(process.argv[2])).toFixed(2))' "$1" "$2"; }
l_fwd="$(latency "$(local_of 6001)")"; l_ssh="$(latency "$s_echo")"
w_fwd="$(latency "$(local_of 6003)")"; w_ssh="$(latency "$s_wide")"
t_fwd="$(client stream "$(local_of 6002)" "$MIB")"; t_ssh="$(client stream "$s_sink" "$MIB")"
echo "| rootless Podman, connection latency p50 to a server on the workspace's loopback ($CONNS conns) vs \`ssh -L\` | forwarder $l_fwd ms | ssh -L $l_ssh ms | $(ratio_of "$l_fwd" "$l_ssh")× |"
echo "| rootless Podman, connection latency p50 to a server on every address vs \`ssh -L\` | forwarder $w_fwd ms | ssh -L $w_ssh ms | $(ratio_of "$w_fwd" "$w_ssh")× |"
echo "| rootless Podman, one stream ($MIB MiB) vs \`ssh -L\` | forwarder $t_fwd MB/s | ssh -L $t_ssh MB/s | $(ratio_of "$t_fwd" "$t_ssh")× |"
