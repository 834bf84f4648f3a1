#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one: set-up, static checks, unit tests,
# end-to-end tests against the real Docker engine, and the Kubernetes tests against a real cluster
# built from source (cached under ~/.cache after the first run). .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

# The cluster's first build takes 10-25 minutes on 2 cores: it starts first and overlaps the rest.
step "Kubernetes build started in the background (a no-op when cached)"
k8s_log=$(mktemp /tmp/devc-k8s-build.XXXXXX.log)
bash test/cluster/cluster.sh build >"$k8s_log" 2>&1 &
k8s_build=$!
# oauth2-proxy for the gateway's browser test: a few minutes the first time, also in the background.
tools_log=$(mktemp /tmp/devc-tools-build.XXXXXX.log)
bash scripts/tools.sh >"$tools_log" 2>&1 &
tools_build=$!
trap 'kill "$k8s_build" "$tools_build" 2>/dev/null || true' EXIT

step "prepare: host, dependencies, build"
bash scripts/prepare.sh

step "static checks: typecheck, lint, format"
npm run --silent typecheck
npm run --silent lint
npm run --silent format:check

step "unit tests"
npx vitest run --project unit

step "waiting for the test tools (oauth2-proxy)"
if ! wait "$tools_build"; then
  tail -n 30 "$tools_log"
  echo "The oauth2-proxy build failed; its log: $tools_log" >&2
  exit 1
fi

step "end-to-end tests (real Docker engine)"
npx vitest run --project e2e

step "waiting for the Kubernetes build"
if ! wait "$k8s_build"; then
  tail -n 30 "$k8s_log"
  echo "The Kubernetes build failed; its log: $k8s_log" >&2
  exit 1
fi

step "Kubernetes tests (real single-node cluster: up, tests, down)"
bash test/cluster/cluster.sh run -- npx vitest run --project k8s

step "done in $(( $(date +%s) - started ))s"
