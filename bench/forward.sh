#!/usr/bin/env bash
# The port forwarder against the paths it competes with, side by side in one run, on one workspace:
#   throughput of one stream: forwarder vs raw loopback (target ≥ 0.25×), vs `ssh -L`, and vs Docker's
#   own published-port proxy (docker-proxy, a separate container from the same image), sending to the
#   workspace (upload) and, against raw loopback, receiving from it (download);
#   the forwarder's own CPU time per GiB relayed (less sensitive to the machine's load than MB/s);
#   added latency per connection (connect, 1-byte echo, close): forwarder vs dialling the
#   container directly (target ≤ +1 ms p50); and to servers on the workspace's loopback only (which
#   the forwarder reaches through one SSH connection to its sshd): latency and one stream vs `ssh -L`.
# Forwarder and raw loopback are measured in alternating pairs and the ratio is the median of the
# pairs' ratios, so a load change during the run moves both sides of a ratio alike.
# Prints table rows like the other benchmarks. Needs the Docker engine and dev8-base.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
MIB="${BENCH_MIB:-512}"
RUNS="${BENCH_RUNS:-3}"
CONNS="${BENCH_CONNS:-300}"

work="$(mktemp -d)"
export DEVC_HOME="$work/home" CI=1
name="benchfwd$$"
ssh_pid=""
host_pids=()
cleanup() {
  [ -n "$ssh_pid" ] && kill "$ssh_pid" 2>/dev/null || true
  for p in "${host_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ./bin/devc delete -w "$name" --force >/dev/null 2>&1 || true
  docker rm -f "devc-bench-proxy-$$" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The servers and the client (bench/net/): a perl server (sink, source, echo) and a node client.
cp "$BENCH_DIR/net/server.pl" "$BENCH_DIR/net/client.mjs" "$work/"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
throughput() { for _ in $(seq "$RUNS"); do node "$work/client.mjs" stream "$1" "$MIB" "${2:-127.0.0.1}"; done | median; }
# paired MODE RAW_PORT FWD_PORT: RUNS alternating pairs; prints "raw-median fwd-median median-of-ratios".
paired() {
  for _ in $(seq "$RUNS"); do
    echo "$(node "$work/client.mjs" "$1" "$2" "$MIB") $(node "$work/client.mjs" "$1" "$3" "$MIB")"
  done | node -e '
    const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => l.split(" ").map(Number));
    const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
    console.log(med(rows.map((r) => r[0])), med(rows.map((r) => r[1])), med(rows.map((r) => r[1] / r[0])).toFixed(2));'
}
# The forwarder's CPU time so far (user + system), in seconds, from /proc.
fwd_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$fwd_pid/stat"; }
latency() { node "$work/client.mjs" echo "$1" 20 "${2:-127.0.0.1}" >/dev/null; node "$work/client.mjs" echo "$1" "$CONNS" "${2:-127.0.0.1}"; }
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0; sleep 0.1; done; echo "nothing on $1:$2" >&2; return 1; }

# The workspace, with a sink and an echo server inside.
git -C "$work" init -q -b main repo && cp "$work/server.pl" "$work/repo/" \
  && git -C "$work/repo" add -A && git -C "$work/repo" -c user.name=b -c user.email=b@b commit -qm bench
./bin/devc up "$work/repo" --name "$name" >/dev/null 2>"$work/up.log" || { cat "$work/up.log" >&2; exit 1; }
cid="devc-$name"
docker exec -d -u dev "$cid" perl "/workspaces/repo/server.pl" sink 5001
docker exec -d -u dev "$cid" perl "/workspaces/repo/server.pl" echo 5002
docker exec -d -u dev "$cid" perl "/workspaces/repo/server.pl" source 5003 0.0.0.0 "$MIB"
# Servers on the workspace's loopback only (Vite's default), which its address does not reach.
docker exec -d -u dev "$cid" perl "/workspaces/repo/server.pl" echo 5004 127.0.0.1
docker exec -d -u dev "$cid" perl "/workspaces/repo/server.pl" sink 5005 127.0.0.1
docker exec "$cid" bash -c 'for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/5004 && exec 3<>/dev/tcp/127.0.0.1/5005) 2>/dev/null && exit 0; sleep 0.1; done; exit 1'
ip="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$cid")"
wait_port "$ip" 5001 && wait_port "$ip" 5002 && wait_port "$ip" 5003
fwd_json="$(./bin/devc ports forward -w "$name" 5001 5002 5003 5004 5005 --json)"
local_of() { node -e 'console.log(JSON.parse(process.argv[1]).find(p=>p.remote===Number(process.argv[2])).local)' "$fwd_json" "$1"; }
fwd_sink="$(local_of 5001)"; fwd_echo="$(local_of 5002)"; fwd_source="$(local_of 5003)"
fwd_loop_echo="$(local_of 5004)"; fwd_loop_sink="$(local_of 5005)"
fwd_pid="$(cat "$DEVC_HOME/workspaces/$name/forwarder/pid")"

# Baselines on the host: the same servers on raw loopback.
raw_sink="$(free_port)"; raw_echo="$(free_port)"; raw_source="$(free_port)"
perl "$work/server.pl" sink "$raw_sink" 127.0.0.1 & host_pids+=($!)
perl "$work/server.pl" echo "$raw_echo" 127.0.0.1 & host_pids+=($!)
perl "$work/server.pl" source "$raw_source" 127.0.0.1 "$MIB" & host_pids+=($!)
wait_port 127.0.0.1 "$raw_sink" && wait_port 127.0.0.1 "$raw_echo" && wait_port 127.0.0.1 "$raw_source"

# ssh -L through the same workspace's sshd, with devc's key and pinned host key.
ssh_port="$(docker port "$cid" 2222/tcp | head -1 | sed 's/.*://')"
ssh_local="$(free_port)"; ssh_loop_echo="$(free_port)"; ssh_loop_sink="$(free_port)"
ssh -F none -i "$DEVC_HOME/ssh/id_ed25519" -p "$ssh_port" -o IdentitiesOnly=yes -o BatchMode=yes \
  -o UserKnownHostsFile="$DEVC_HOME/ssh/known_hosts" -o HostKeyAlias="$name.devc" -o StrictHostKeyChecking=yes \
  -N -L "127.0.0.1:$ssh_local:127.0.0.1:5001" -L "127.0.0.1:$ssh_loop_echo:127.0.0.1:5004" \
  -L "127.0.0.1:$ssh_loop_sink:127.0.0.1:5005" dev@127.0.0.1 & ssh_pid=$!
wait_port 127.0.0.1 "$ssh_local"

# Docker's published-port path (docker-proxy) to the same sink in a plain container.
docker run -d --rm --name "devc-bench-proxy-$$" -p 127.0.0.1::5001 -v "$work/server.pl:/server.pl:ro" \
  --entrypoint perl "$(docker inspect -f '{{.Config.Image}}' "$cid")" /server.pl sink 5001 >/dev/null
pub_sink="$(docker port "devc-bench-proxy-$$" 5001/tcp | head -1 | sed 's/.*://')"
wait_port 127.0.0.1 "$pub_sink"

cpu0="$(fwd_cpu)"
read -r t_raw t_fwd r_up <<<"$(paired stream "$raw_sink" "$fwd_sink")"
cpu1="$(fwd_cpu)"
read -r d_raw d_fwd r_down <<<"$(paired download "$raw_source" "$fwd_source")"
cpu2="$(fwd_cpu)"
t_direct="$(throughput 5001 "$ip")"
t_ssh="$(throughput "$ssh_local")"
t_pub="$(throughput "$pub_sink")"
l_raw="$(latency "$raw_echo")"
l_direct="$(latency 5002 "$ip")"
l_fwd="$(latency "$fwd_echo")"
# The scan marks 5004 and 5005 as loopback-only within a second of the forward: then they go through sshd.
sleep 2
l_loop_fwd="$(latency "$fwd_loop_echo")"
l_loop_ssh="$(latency "$ssh_loop_echo")"
t_loop_fwd="$(throughput "$fwd_loop_sink")"
t_loop_ssh="$(throughput "$ssh_loop_sink")"

per_gib() { node -e 'console.log(((Number(process.argv[2]) - Number(process.argv[1])) / (Number(process.argv[3]) * Number(process.argv[4]) / 1024)).toFixed(2))' "$1" "$2" "$RUNS" "$MIB"; }
ratio_of() { node -e 'console.log((Number(process.argv[1]) / Number(process.argv[2])).toFixed(2))' "$1" "$2"; }
plus() { node -e 'console.log((Number(process.argv[1]) - Number(process.argv[2]) >= 0 ? "+" : "") + (Number(process.argv[1]) - Number(process.argv[2])).toFixed(3))' "$1" "$2"; }
echo "| port forward, one stream ($MIB MiB) vs raw loopback | forwarder $t_fwd MB/s | loopback $t_raw MB/s | $r_up× |"
echo "| port forward, one stream received (download) vs raw loopback | forwarder $d_fwd MB/s | loopback $d_raw MB/s | $r_down× |"
echo "| port forward, forwarder CPU per GiB relayed (upload, download) | $(per_gib "$cpu0" "$cpu1") s, $(per_gib "$cpu1" "$cpu2") s | | |"
echo "| port forward, one stream vs \`ssh -L\` | forwarder $t_fwd MB/s | ssh -L $t_ssh MB/s | $(ratio_of "$t_fwd" "$t_ssh")× |"
echo "| port forward, one stream vs docker-proxy (published port) | forwarder $t_fwd MB/s | docker-proxy $t_pub MB/s | $(ratio_of "$t_fwd" "$t_pub")× |"
echo "| port forward, one stream vs the container's IP | forwarder $t_fwd MB/s | direct $t_direct MB/s | $(ratio_of "$t_fwd" "$t_direct")× |"
echo "| port forward, connection latency p50 ($CONNS conns) | forwarder $l_fwd ms | direct $l_direct ms (loopback $l_raw ms) | $(plus "$l_fwd" "$l_direct") ms |"
echo "| port forward to a server on the workspace's loopback only, connection latency p50 vs \`ssh -L\` | forwarder $l_loop_fwd ms | ssh -L $l_loop_ssh ms | $(ratio_of "$l_loop_fwd" "$l_loop_ssh")× |"
echo "| port forward to a server on the workspace's loopback only, one stream vs \`ssh -L\` | forwarder $t_loop_fwd MB/s | ssh -L $t_loop_ssh MB/s | $(ratio_of "$t_loop_fwd" "$t_loop_ssh")× |"
