#!/usr/bin/env bash
# code-server's idle memory in a dev8-base workspace.
#
#   bench/code-server-memory.sh [IMAGE]        (default devc/dev8-base:<devc version>; build it first with
#                                               `./bin/devc images build base`)
#
# Starts the image the way devc does (secret in a read-only /etc/devc), waits for /run/devc/ready, lets it
# settle (SETTLE seconds, default 30), then reports:
#   - code-server's memory, PSS and RSS summed over its process group (its launcher and the server
#     child), read from /proc inside the container, before any client connected;
#   - the same after one login and one load of the workbench page, then SETTLE seconds of quiet;
#   - the whole container's memory as `docker stats` sees it.
# Prints one table row per figure (like bench/run.sh) and writes results/code-server-memory.json.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
RESULTS="$BENCH_DIR/results"
mkdir -p "$RESULTS"
VERSION=$(node -p "require('$ROOT/package.json').version")
IMAGE=${1:-devc/dev8-base:$VERSION}
SETTLE=${SETTLE:-30}

docker image inspect "$IMAGE" >/dev/null 2>&1 || { echo "no image $IMAGE: run ./bin/devc images build base" >&2; exit 1; }

tmp=$(mktemp -d)
cid=
cleanup() {
  [ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/config"
secret=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s' "$secret" >"$tmp/config/code-server-secret"
chmod 0755 "$tmp/config" && chmod 0644 "$tmp/config/code-server-secret"

cid=$(docker run -d --label dev.devc.bench=code-server-memory -p 127.0.0.1::8080 \
  -v "$tmp/config:/etc/devc:ro" -e DEVC_WORKSPACE=bench "$IMAGE")
for _ in $(seq 1 240); do
  docker exec "$cid" test -f /run/devc/ready 2>/dev/null && break
  sleep 0.5
done
docker exec "$cid" test -f /run/devc/ready || { docker logs "$cid" >&2; echo "not ready" >&2; exit 1; }
port=$(docker port "$cid" 8080/tcp | head -1 | sed 's/.*://')

# "RSS PSS" in KiB summed over code-server's process group (the group the agent started it in), from
# /proc/PID/smaps_rollup. RSS counts pages both node processes share (the node binary) twice; PSS splits
# them, so PSS is what code-server really costs. (As dev: root here lacks CAP_SYS_PTRACE for smaps.)
code_server_mem_kib() {
  docker exec -u 1000 "$cid" sh -c '
    leader=$(pgrep -o -f "code-server/out/node/entry.js") || exit 1
    pgid=$(ps -o pgid= -p "$leader" | tr -d " ")
    for pid in $(ps -e -o pid=,pgid= | awk -v g="$pgid" "\$2 == g { print \$1 }"); do
      cat /proc/$pid/smaps_rollup 2>/dev/null
    done | awk "/^Rss:/ { r += \$2 } /^Pss:/ { p += \$2 } END { print r + 0, p + 0 }"'
}
container_mem() { docker stats --no-stream --format '{{.MemUsage}}' "$cid" | cut -d/ -f1 | tr -d ' '; }

sleep "$SETTLE"
read -r idle_rss idle_pss < <(code_server_mem_kib)
idle_container=$(container_mem)

# One client: log in, load the workbench page once, go away.
curl -fsS -o /dev/null -c "$tmp/jar" --data-urlencode "password=$secret" "http://127.0.0.1:$port/login"
curl -fsS -o /dev/null -L -b "$tmp/jar" "http://127.0.0.1:$port/"
sleep "$SETTLE"
read -r after_rss after_pss < <(code_server_mem_kib)
after_container=$(container_mem)

mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
cs_version=$(docker exec "$cid" code-server --version 2>/dev/null | tail -1 | cut -d' ' -f1)
echo "| code-server $cs_version idle, no client (${SETTLE}s after ready) | PSS $(mib "$idle_pss") | RSS $(mib "$idle_rss") | container (docker stats) $idle_container |"
echo "| code-server $cs_version after one workbench load (${SETTLE}s quiet) | PSS $(mib "$after_pss") | RSS $(mib "$after_rss") | container (docker stats) $after_container |"
cat >"$RESULTS/code-server-memory.json" <<EOF
{"image":"$IMAGE","codeServer":"$cs_version","settleSeconds":$SETTLE,"idle":{"pssKiB":$idle_pss,"rssKiB":$idle_rss,"container":"$idle_container"},"afterWorkbench":{"pssKiB":$after_pss,"rssKiB":$after_rss,"container":"$after_container"},"measuredAt":"$(date -u +%FT%TZ)"}
EOF
