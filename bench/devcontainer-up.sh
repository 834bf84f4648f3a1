#!/usr/bin/env bash
# devc up to ready (SSH answering) versus `devcontainer up` + `devcontainer exec true`, on the same
# repository and image, side by side (target ≤ 0.8×); and devc up on a running workspace (≤ 300 ms).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
work=$(mktemp -d) && repo="$work/benchrepo"
mkdir -p "$repo" && printf '{ "image": "debian:bookworm-slim" }\n' >"$repo/.devcontainer.json"
bench_repo "$repo"
export DEVC_HOME="$work/home"
dc="node $ROOT/node_modules/@devcontainers/cli/devcontainer.js"
# Docker ANDs label filters: each kind of container is removed on its own.
clean="docker rm -f \$(docker ps -aq --filter label=devc.bench=1) >/dev/null 2>&1; ./bin/devc delete -w benchws --force >/dev/null 2>&1; true"
./bin/devc up "$repo" --name benchws >/dev/null 2>&1   # builds the agent image once, outside the timing
hyperfine -N --warmup 1 --runs 5 --prepare "bash -c '$clean'" --export-json "$RESULTS/devcontainer-up.json" \
  "bash -c '$dc up --workspace-folder $repo --id-label devc.bench=1 >/dev/null 2>&1 && $dc exec --workspace-folder $repo --id-label devc.bench=1 true'" \
  "./bin/devc up $repo --name benchws" >&2
ratio 'devc up (new workspace) vs devcontainer up + exec' "$RESULTS/devcontainer-up.json"
./bin/devc up "$repo" --name benchws >/dev/null 2>&1
hyperfine -N --warmup 2 --runs 15 --export-json "$RESULTS/up-running.json" 'docker ps -q' "./bin/devc up $repo --name benchws" >&2
ratio 'devc up (running) vs docker ps' "$RESULTS/up-running.json"
bash -c "$clean"; rm -rf "$work"
