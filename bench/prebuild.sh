#!/usr/bin/env bash
# Prebuilds, side by side in one run, against a registry the bench owns (Debian's docker-registry):
#   1. `devc up` of a Dockerfile + Feature config whose prebuild is on this engine (its content-hash tag
#      found: nothing built) vs `devc up` of a plain config naming that same image; target ≤ 1.5×.
#   2. The same, the local tag removed before each run: `up` pulls the prebuild from the registry.
#   3. `devc prebuild --push` of the unchanged config (the tag is in the registry: a no-op); target ≤ 2 s.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
RUNS=${RUNS:-5}
export DEVC_HOME CI=1
DEVC_HOME=$(mktemp -d /tmp/devc-bench-home-XXXXXX)
work=$(mktemp -d /tmp/devc-bench-prebuild-XXXXXX)
port=$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")
cat >"$work/registry.yml" <<REG
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $work/registry}
http:
  addr: 127.0.0.1:$port
REG
docker-registry serve "$work/registry.yml" >/dev/null 2>&1 & registry=$!
export DEVC_REGISTRY=127.0.0.1:$port/bench
cleanup() {
  for w in bench-pb-hit bench-pb-plain; do ./bin/devc delete -w "$w" --force >/dev/null 2>&1 || true; done
  [ -z "${image:-}" ] || docker rmi "$image" >/dev/null 2>&1 || true
  kill "$registry" 2>/dev/null || true
  rm -rf "$DEVC_HOME" "$work"
}
trap cleanup EXIT
until curl -sf "http://127.0.0.1:$port/v2/" >/dev/null; do sleep 0.1; done

app="$work/bench-prebuilt" plain="$work/bench-plain"
mkdir -p "$app/.devcontainer/feat" "$plain"
printf '{ "build": { "dockerfile": "Dockerfile" }, "features": { "./feat": { "color": "green" } } }\n' >"$app/.devcontainer/devcontainer.json"
printf 'FROM debian:bookworm-slim\nRUN useradd -m -u 1000 dev\n' >"$app/.devcontainer/Dockerfile"
printf '{ "id": "feat", "version": "1.0.0", "options": { "color": { "type": "string", "default": "red" } } }\n' >"$app/.devcontainer/feat/devcontainer-feature.json"
printf '#!/bin/sh\necho "feature:$COLOR" > /feature-marker\n' >"$app/.devcontainer/feat/install.sh"
chmod +x "$app/.devcontainer/feat/install.sh"
bench_repo "$app"
image=$(./bin/devc prebuild "$app" --push)
printf '{ "image": "%s" }\n' "$image" >"$plain/.devcontainer.json"
bench_repo "$plain"
# Outside the timing: the agent volume and the network are made once.
./bin/devc up "$plain" --name bench-pb-plain --idle-timeout 0 >/dev/null 2>&1

del="./bin/devc delete -w bench-pb-hit --force >/dev/null 2>&1; ./bin/devc delete -w bench-pb-plain --force >/dev/null 2>&1; true"
hyperfine -N --warmup 1 --runs "$RUNS" --prepare "bash -c '$del'" --export-json "$RESULTS/prebuild-hit.json" \
  -n 'devc up (plain image config)' "./bin/devc up $plain --name bench-pb-plain --idle-timeout 0" \
  -n 'devc up (prebuild on this engine)' "./bin/devc up $app --name bench-pb-hit --idle-timeout 0" >&2
ratio 'devc up: prebuild hit (local tag) vs plain image config' "$RESULTS/prebuild-hit.json"

hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$RESULTS/prebuild-pull.json" \
  --prepare "bash -c '$del'" -n 'devc up (plain image config)' "./bin/devc up $plain --name bench-pb-plain --idle-timeout 0" \
  --prepare "bash -c '$del; docker rmi $image >/dev/null'" -n 'devc up (prebuild pulled)' "./bin/devc up $app --name bench-pb-hit --idle-timeout 0" >&2
ratio 'devc up: prebuild hit (pulled from the registry) vs plain image config' "$RESULTS/prebuild-pull.json"

hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$RESULTS/prebuild-noop.json" \
  -n 'devc prebuild --push (unchanged)' "./bin/devc prebuild $app --push" >&2
node -e '
  const [r] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
  console.log(`| devc prebuild of an unchanged config (target ≤ 2 s) | ${(r.mean * 1000).toFixed(1)} ms | max ${(r.max * 1000).toFixed(1)} ms |`);
' "$RESULTS/prebuild-noop.json"
