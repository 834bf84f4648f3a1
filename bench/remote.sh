#!/usr/bin/env bash
# Ports of a workspace on a remote engine (ssh://, test/remote/engine.sh), side by side in one run:
#   devc's forwarder (through its own ControlMaster to the engine's host: one `-O forward -L` per port,
#   docs/ports.md), a bare ControlMaster's `-O forward -L` (no forwarder in front), vs `ssh -L`
#   through the same SSH host (the engine's sshd) to the container's address there;
#   one stream's throughput (BENCH_MIB MiB sent, target ≥ 2× ssh -L) and connection latency p50
#   (connect, 1-byte echo, close; target ≤ ssh -L's); and the alternative devc could take, `ssh -W`
#   through the workspace's own sshd (its published port on the engine's host, reached with ProxyJump),
#   one ssh process per connection as devc's ssh-dial does (socat spawns it).
# Both use the same SSH connection settings (~/.ssh/config's devc-remote-engine entry, ControlMaster).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
MIB="${BENCH_MIB:-64}"
RUNS="${BENCH_RUNS:-3}"
CONNS="${BENCH_CONNS:-30}"

eval "$(bash test/remote/engine.sh up)"
export DOCKER_HOST="$DEVC_REMOTE_SSH"
name=benchremote$$
bench_home
ssh_pid=""
socat_pids=()
trap 'kill $ssh_pid "${socat_pids[@]}" 2>/dev/null || true; bench_cleanup' EXIT

# The sink and echo servers of bench/forward.sh, and its client.
sed -n "/^cat >\"\$work\/server.pl\" <<'PERL'/,/^PERL/p" bench/forward.sh | sed '1d;$d' >"$work/server.pl"
sed -n "/^cat >\"\$work\/client.mjs\" <<'JS'/,/^JS/p" bench/forward.sh | sed '1d;$d' >"$work/client.mjs"
cp "$work/server.pl" "$work/repo-server.pl"
mkdir -p "$work/repo" && mv "$work/repo-server.pl" "$work/repo/server.pl" && bench_repo "$work/repo"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
throughput() { for _ in $(seq "$RUNS"); do node "$work/client.mjs" stream "$1" "$MIB"; done | median; }
latency() { node "$work/client.mjs" echo "$1" 3 >/dev/null; node "$work/client.mjs" echo "$1" "$CONNS"; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "nothing on 127.0.0.1:$1" >&2; return 1; }

./bin/devc up "$work/repo" --name "$name" >/dev/null 2>"$work/up.log" || { cat "$work/up.log" >&2; exit 1; }
cid="devc-$name"
docker exec -d -u dev "$cid" perl /workspaces/repo/server.pl sink 5001
docker exec -d -u dev "$cid" perl /workspaces/repo/server.pl echo 5002
fwd_json="$(./bin/devc ports forward -w "$name" 5001 5002 --json)"
local_of() { node -e 'console.log(JSON.parse(process.argv[1]).find(p=>p.remote===Number(process.argv[2])).local)' "$fwd_json" "$1"; }
fwd_sink="$(local_of 5001)"; fwd_echo="$(local_of 5002)"
wait_port "$fwd_sink"; wait_port "$fwd_echo"

# ssh -L through the engine's host to the container's address on its network.
ip="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$cid")"
l_sink="$(free_port)"; l_echo="$(free_port)"
ssh -N -o ExitOnForwardFailure=yes -L "127.0.0.1:$l_sink:$ip:5001" -L "127.0.0.1:$l_echo:$ip:5002" devc-remote-engine & ssh_pid=$!
wait_port "$l_sink"; wait_port "$l_echo"

# A bare ControlMaster's `-O forward -L` (what devc's forwarder does, without the forwarder in front).
m_sock="$work/m.sock"
ssh -M -S "$m_sock" -N -o ControlPersist=no devc-remote-engine & ssh_pid="$ssh_pid $!"
for _ in $(seq 100); do ssh -S "$m_sock" -O check devc-remote-engine 2>/dev/null && break; sleep 0.1; done
m_sink="$(free_port)"; m_echo="$(free_port)"
ssh -S "$m_sock" -O forward -L "127.0.0.1:$m_sink:$ip:5001" -L "127.0.0.1:$m_echo:$ip:5002" devc-remote-engine
wait_port "$m_sink"; wait_port "$m_echo"

# ssh -W through the workspace's sshd: its published 2222 is on the engine host's loopback.
ws_port="$(docker port "$cid" 2222/tcp | head -1 | sed 's/.*://')"
w_sink="$(free_port)"; w_echo="$(free_port)"
# One ssh per connection: to the published port on the engine host's loopback, through that host.
cat >"$work/ssh-w.sh" <<SH
#!/bin/sh
exec ssh -F none -i $DEVC_HOME/ssh/id_ed25519 -p $ws_port -o IdentitiesOnly=yes -o BatchMode=yes \\
  -o UserKnownHostsFile=$DEVC_HOME/ssh/known_hosts -o HostKeyAlias=$name.devc -o StrictHostKeyChecking=yes \\
  -o "ProxyCommand=ssh -W %h:%p devc-remote-engine" -W "127.0.0.1:\$1" dev@127.0.0.1
SH
chmod +x "$work/ssh-w.sh"
socat "TCP-LISTEN:$w_sink,bind=127.0.0.1,reuseaddr,fork" "EXEC:$work/ssh-w.sh 5001" & socat_pids+=($!)
socat "TCP-LISTEN:$w_echo,bind=127.0.0.1,reuseaddr,fork" "EXEC:$work/ssh-w.sh 5002" & socat_pids+=($!)
wait_port "$w_sink"; wait_port "$w_echo"

t_fwd="$(throughput "$fwd_sink")"
t_ssh="$(throughput "$l_sink")"
lat_fwd="$(latency "$fwd_echo")"
lat_ssh="$(latency "$l_echo")"
t_m="$(throughput "$m_sink")"
lat_m="$(latency "$m_echo")"
t_w="$(throughput "$w_sink")"
lat_w="$(latency "$w_echo")"
ratio_of() { node -e 'console.log((Number(process.argv[1]) / Number(process.argv[2])).toFixed(2))' "$1" "$2"; }
echo "| remote engine (ssh://), one stream ($MIB MiB) | devc forwarder $t_fwd MB/s | ssh -L $t_ssh MB/s | $(ratio_of "$t_fwd" "$t_ssh")× (target ≥ 2×) |"
echo "| remote engine (ssh://), connection latency p50 ($CONNS conns) | devc forwarder $lat_fwd ms | ssh -L $lat_ssh ms | $(ratio_of "$lat_fwd" "$lat_ssh")× (target ≤ 1×) |"
echo "| remote engine (ssh://), -O forward -L through a ControlMaster, one stream / latency p50 | $t_m MB/s | $lat_m ms | (no forwarder in front) |"
echo "| remote engine (ssh://), ssh -W via the workspace's sshd (ProxyJump), one stream / latency p50 | $t_w MB/s | $lat_w ms | (the alternative path) |"
