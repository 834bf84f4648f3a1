#!/usr/bin/env bash
# Builds in the cluster (BuildKit in devc-build; test/cluster/cluster.sh up starts it): `devc up
# --backend kubernetes --builder cluster` of a Dockerfile + local Feature config, RUNS times each:
#   cold     the config was never built: its first step (200 MB of data) changes every run, so no
#            layer of it is in BuildKit or in the registry cache (the base image is)
#   rebuild  a one-line change to the last Dockerfile step after a build: the first steps come from
#            the cache; target: ≤ 0.3× the cold build
# Each run starts from a deleted workspace. The build's own time is what devc logs
# (`devc: built and pushed … in N s`: planning, upload, buildctl, push, cache export); the whole
# `up` (build + pod + SSH) is timed too.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
: "${KUBECONFIG:?run eval \"\$(test/cluster/cluster.sh up)\" first}" "${DEVC_REGISTRY:?}"
RUNS=${RUNS:-3}
NS=devc-bench-cb-$$
IMAGE="$DEVC_REGISTRY/devc/dev8-base:$(node -p 'require("./package.json").version')"
KUBECTL=${KUBECTL:-$(command -v kubectl || ls -1 ~/.cache/devc-k8s/*/bin/kubectl | head -1)}
export DEVC_HOME CI=1 DEVC_NAMESPACE=$NS DEVC_BACKEND=kubernetes DEVC_IDLE_TIMEOUT=0
DEVC_HOME=$(mktemp -d /tmp/devc-bench-home-XXXXXX)
work=$(mktemp -d /tmp/devc-bench-cb-XXXXXX)
name=bench-cb
cleanup() {
  ./bin/devc delete -w "$name" --force >/dev/null 2>&1 || true
  "$KUBECTL" delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  rm -rf "$DEVC_HOME" "$work"
}
trap cleanup EXIT
"$KUBECTL" create namespace "$NS" >/dev/null
# A Deployment left from an earlier run is "rolled out" while its pod restarts: wait for the pod too.
"$KUBECTL" -n devc-build rollout status deployment/buildkitd --timeout=300s >/dev/null
"$KUBECTL" -n devc-build wait pod -l app.kubernetes.io/name=buildkitd --for=condition=Ready --timeout=300s >/dev/null

repo="$work/$name"
mkdir -p "$repo/.devcontainer/hello"
cat >"$repo/.devcontainer/devcontainer.json" <<JSON
{ "build": { "dockerfile": "Dockerfile" }, "features": { "./hello": { "word": "bench" } }, "remoteUser": "dev" }
JSON
echo '{ "id": "hello", "version": "1.0.0", "options": { "word": { "type": "string", "default": "hi" } } }' \
  >"$repo/.devcontainer/hello/devcontainer-feature.json"
printf '#!/bin/sh\necho "$WORD" > /usr/local/share/hello\n' >"$repo/.devcontainer/hello/install.sh"
chmod +x "$repo/.devcontainer/hello/install.sh"
git init -q -b main "$repo"
token() { head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# dockerfile FIRST LAST: the config's Dockerfile, committed.
dockerfile() {
  printf 'FROM %s\nRUN echo %s > /etc/first && head -c 200M /dev/urandom > /opt/data && sha256sum /opt/data > /opt/data.sum\nRUN echo %s > /etc/last\n' \
    "$IMAGE" "$1" "$2" >"$repo/.devcontainer/Dockerfile"
  git -C "$repo" add -A && git -C "$repo" -c user.name=b -c user.email=b@example.invalid commit -q --allow-empty -m "$1 $2"
}
# one KIND: a fresh `up`; appends "KIND up-seconds build-seconds" to $work/times.
one() {
  ./bin/devc delete -w "$name" --force >/dev/null 2>&1 || true
  local t0 t1 built
  t0=$(date +%s.%N)
  ./bin/devc up "$repo" --name "$name" --builder cluster >/dev/null 2>"$work/up.err" || { cat "$work/up.err" >&2; exit 1; }
  t1=$(date +%s.%N)
  built=$(./bin/devc logs --build -w "$name" | sed -n 's/^devc: built and pushed .* in \([0-9.]*\) s\.$/\1/p' | tail -1)
  [ -n "$built" ] || { echo "bench: $1 built nothing (see devc logs --build)" >&2; exit 1; }
  echo "$1 $(echo "$t1 - $t0" | bc) $built" | tee -a "$work/times" >&2
}
for _ in $(seq "$RUNS"); do
  first=cold-$(token)
  dockerfile "$first" last
  one cold
  dockerfile "$first" "last-$(token)"
  one rebuild
done
awk '
  { up[$1] += $2; build[$1] += $3; n[$1]++ }
  END {
    for (k in n) { up[k] /= n[k]; build[k] /= n[k] }
    printf "| cold in-cluster build | build %.1f s | up %.1f s | %d runs |\n", build["cold"], up["cold"], n["cold"]
    printf "| rebuild after a one-line change to the last step | build %.1f s | up %.1f s | %d runs |\n", build["rebuild"], up["rebuild"], n["rebuild"]
    printf "| rebuild / cold (target ≤ 0.3×) | builds %.2f× | ups %.2f× | |\n", build["rebuild"] / build["cold"], up["rebuild"] / up["cold"]
  }' "$work/times" | tee "$RESULTS/cluster-build.md"
