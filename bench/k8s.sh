#!/usr/bin/env bash
# Kubernetes, side by side on the same cluster (test/cluster/cluster.sh up; KUBECONFIG, DEVC_REGISTRY):
#   1. `devc up` of a local tree to ready (SSH answers, host key pinned) vs a bare pod of the same image
#      becoming Ready (`kubectl run` + `kubectl wait`); target ≤ 1.5×. The same for a remote repository
#      (served by `git daemon` on the node IP, cloned inside the cluster), and resume: `devc up` of
#      a stopped workspace (its pod made again) vs the same bare pod.
#   2. 256 MiB through devc's API-server port-forward vs `kubectl port-forward`; target ≥ 1× throughput
#      (the ratio printed is devc's time / kubectl's: ≤ 1 means at least as fast).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
: "${KUBECONFIG:?run eval \"\$(test/cluster/cluster.sh up)\" first}" "${DEVC_REGISTRY:?}"
RUNS=${RUNS:-5}
KUBECTL=${KUBECTL:-$(command -v kubectl || ls -1 ~/.cache/devc-k8s/*/bin/kubectl | head -1)}
NS=devc-bench-$$
IMAGE="$DEVC_REGISTRY/devc/dev8-base:$(node -p 'require("./package.json").version')"
export DEVC_HOME CI=1 DEVC_NAMESPACE=$NS DEVC_BACKEND=kubernetes
DEVC_HOME=$(mktemp -d /tmp/devc-bench-home-XXXXXX)
work=$(mktemp -d /tmp/devc-bench-k8s-XXXXXX)
name="bench-k8s"
k() { "$KUBECTL" -n "$NS" "$@"; }
cleanup() {
  # Every step, even when one fails (set -e would end the trap at the first).
  ./bin/devc delete -w "$name" --force >/dev/null 2>&1 || true # ends its forwarder too
  ./bin/devc delete -w "$name-remote" --force >/dev/null 2>&1 || true
  [ -z "${gitd:-}" ] || kill "$gitd" 2>/dev/null || true
  [ -z "${pf:-}" ] || kill "$pf" 2>/dev/null || true
  "$KUBECTL" delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  rm -rf "$DEVC_HOME" "$work"
}
trap cleanup EXIT
"$KUBECTL" create namespace "$NS" >/dev/null
until k get serviceaccount default >/dev/null 2>&1; do sleep 0.5; done

bench_repo "$work/$name"
./bin/devc up "$work/$name" --idle-timeout 0 >/dev/null 2>&1 # warms the node's image cache

K="$KUBECTL -n $NS"
bare="$K run bare --image=$IMAGE --restart=Never >/dev/null && $K wait --for=condition=Ready pod/bare --timeout=180s >/dev/null"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$RESULTS/k8s-up.json" \
  --prepare "$K delete pod bare --now --ignore-not-found --wait >/dev/null; ./bin/devc delete -w $name --force >/dev/null 2>&1 || true" \
  -n 'bare pod Ready' "$bare" -n 'devc up (new workspace)' "./bin/devc up $work/$name --idle-timeout 0" >&2
ratio 'kubernetes: devc up (new, local tree) vs bare pod Ready' "$RESULTS/k8s-up.json"

# The same repository as a remote one: pods reach this machine on the node IP.
git clone -q --bare "$work/$name" "$work/srv/$name.git"
git_port=$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")
git daemon --reuseaddr --export-all --base-path="$work/srv" --listen="${DEVC_NODE_IP:-10.213.0.1}" --port="$git_port" "$work/srv" >/dev/null 2>&1 & gitd=$!
url="git://${DEVC_NODE_IP:-10.213.0.1}:$git_port/$name.git"
until git ls-remote "$url" >/dev/null 2>&1; do sleep 0.2; done
hyperfine --warmup 1 --runs "$RUNS" --export-json "$RESULTS/k8s-up-remote.json" \
  --prepare "$K delete pod bare --now --ignore-not-found --wait >/dev/null; ./bin/devc delete -w $name-remote --force >/dev/null 2>&1 || true" \
  -n 'bare pod Ready' "$bare" -n 'devc up (new workspace, remote repository)' "./bin/devc up $url --name $name-remote --idle-timeout 0" >&2
ratio 'kubernetes: devc up (new, remote repository) vs bare pod Ready' "$RESULTS/k8s-up-remote.json"
./bin/devc delete -w "$name-remote" --force >/dev/null 2>&1
./bin/devc up "$work/$name" --idle-timeout 0 >/dev/null 2>&1
hyperfine --warmup 1 --runs "$RUNS" --export-json "$RESULTS/k8s-resume.json" \
  --prepare "$K delete pod bare --now --ignore-not-found --wait >/dev/null; ./bin/devc stop -w $name >/dev/null" \
  -n 'bare pod Ready' "$bare" -n 'devc up (stopped workspace)' "./bin/devc up $work/$name" >&2
ratio 'kubernetes: devc up (resume) vs bare pod Ready' "$RESULTS/k8s-resume.json"

# A server in the workspace that sends 256 MiB per request.
./bin/devc exec -w "$name" -- sh -c "setsid /opt/devc/node/bin/node -e \"const b = Buffer.alloc(1 << 20); require('http').createServer((q, s) => { let n = 256; const w = () => { while (n > 0) { n--; if (!s.write(b)) return s.once('drain', w); } s.end(); }; w(); }).listen(3000)\" >/dev/null 2>&1 </dev/null & sleep 1"
# devc's side: the workspace's forwarder (`devc up` started it), as a user forwards a port: every
# connection one API port-forward.
./bin/devc ports forward 3000 -w "$name" --json | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s)[0].local))' >"$work/relay.port"
pf_port=$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")
for _ in $(seq 1 60); do
  if [ -z "${pf:-}" ] || ! kill -0 "$pf" 2>/dev/null; then
    # Not through k(): $! must be kubectl itself, or cleanup's kill leaves it running.
    "$KUBECTL" -n "$NS" port-forward "pod/devc-$name" "$pf_port:3000" >"$work/pf.log" 2>&1 & pf=$!
  fi
  [ -s "$work/relay.port" ] && curl -sf -o /dev/null --max-time 30 "http://127.0.0.1:$pf_port/" && break
  sleep 1
done
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$RESULTS/k8s-forward.json" \
  -n 'kubectl port-forward' "curl -sf -o /dev/null http://127.0.0.1:$pf_port/" \
  -n 'devc ports forward (API port-forward)' "curl -sf -o /dev/null http://127.0.0.1:$(cat "$work/relay.port")/" >&2
ratio 'kubernetes: 256 MiB through devc vs kubectl port-forward (time)' "$RESULTS/k8s-forward.json"
