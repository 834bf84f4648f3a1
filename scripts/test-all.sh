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

# dev8-base and devc's agent image (about 12 minutes the first time, a no-op when current): built
# beside the static checks and unit tests, which need no engine.
images_log=$(mktemp /tmp/devc-images.XXXXXX.log)
node scripts/images-ready.mjs >"$images_log" 2>&1 &
images_build=$!
trap 'kill "$k8s_build" "$tools_build" "$images_build" 2>/dev/null || true' EXIT

step "static checks: typecheck, lint, format"
npm run --silent typecheck
npm run --silent lint
npm run --silent format:check

step "unit tests"
npx vitest run --project unit

waited() { # name pid log: wait for a background step, or show its log and fail
  if ! wait "$2"; then
    tail -n 30 "$3"
    echo "$1 failed; its log: $3" >&2
    exit 1
  fi
}
step "waiting for the test tools (oauth2-proxy) and the images"
waited "The oauth2-proxy build" "$tools_build" "$tools_log"
waited "The image build" "$images_build" "$images_log"
cat "$images_log"

# Beside the end-to-end tests (each suite runs its files one at a time), a second lane: the Kubernetes
# tests (the cluster has its own containerd), then the walking-skeleton, ports and cp suites against a
# remote engine and rootless Podman (test/engines/run.sh); they wait on engines more than on the two
# cores, and the Kubernetes tests end well before the end-to-end ones. Only the fault tests, which
# restart the Docker engine the cluster's builds use, run alone afterwards.
step "end-to-end tests (real Docker engine) beside the Kubernetes tests (real single-node cluster), then the other engines"
lanes=$(mktemp -d /tmp/devc-lanes.XXXXXX)
k8s_tests_log="$lanes/k8s.log"
second_lane() { # each step's exit code in $lanes/NAME, its output in $lanes/NAME.log
  local code=0
  # `up` builds the cluster if needed: it waits for the background build's lock, then finds it made.
  bash test/cluster/cluster.sh run -- npx vitest run --project k8s >"$k8s_tests_log" 2>&1 || code=$?
  echo "$code" >"$lanes/k8s"
  for engine in remote podman; do
    code=0
    bash test/engines/run.sh "$engine" >"$lanes/$engine.log" 2>&1 || code=$?
    echo "$code" >"$lanes/$engine"
  done
}
second_lane &
lane=$!
e2e_log=$(mktemp /tmp/devc-e2e-tests.XXXXXX.log)
e2e=0
npx vitest run --project e2e --exclude test/e2e/faults.test.ts 2>&1 | tee "$e2e_log" || e2e=${PIPESTATUS[0]}
wait "$lane" || true
k8s=$(cat "$lanes/k8s" 2>/dev/null || echo 1)
remote=$(cat "$lanes/remote" 2>/dev/null || echo 1)
podman=$(cat "$lanes/podman" 2>/dev/null || echo 1)
step "Kubernetes tests (their output)"
cat "$k8s_tests_log"
step "walking-skeleton, ports and cp on a remote engine (ssh://): their output"
cat "$lanes/remote.log"
step "walking-skeleton, ports and cp on rootless Podman: their output"
cat "$lanes/podman.log"
wait "$k8s_build" || { tail -n 30 "$k8s_log"; echo "The Kubernetes build failed; its log: $k8s_log" >&2; }

step "fault tests (they restart the Docker engine: alone)"
faults_log=$(mktemp /tmp/devc-faults-tests.XXXXXX.log)
faults=0
npx vitest run --project e2e test/e2e/faults.test.ts 2>&1 | tee "$faults_log" || faults=${PIPESTATUS[0]}

step "done in $(( $(date +%s) - started ))s"
# A failure's details come again last, where a log cut to its tail still shows them.
failures() { # lane exit log
  [ "$2" = 0 ] && return
  printf '\n=== what failed in the %s tests (exit %s; whole log: %s)\n' "$1" "$2" "$3"
  if grep -q 'Failed Tests' "$3"; then
    sed -n '/Failed Tests/,$p' "$3" | grep -v -E '^ *(Start at|Duration)' | head -n 150
  else # it failed before or outside its tests (an engine that did not start): its last lines
    tail -n 30 "$3"
  fi
}
# Tests that passed only on their second try (vitest's retry; test/support/flaky-reporter.ts): named.
flaky=$(grep -h '^FLAKY ' "$e2e_log" "$k8s_tests_log" "$lanes/remote.log" "$lanes/podman.log" "$faults_log" || true)
if [ -n "$flaky" ]; then
  printf '\n=== flaky: these tests passed only on a second try (look at them)\n%s\n' "$flaky"
fi
failures end-to-end "$e2e" "$e2e_log"
failures Kubernetes "$k8s" "$k8s_tests_log"
failures "remote engine" "$remote" "$lanes/remote.log"
failures "rootless Podman" "$podman" "$lanes/podman.log"
failures fault "$faults" "$faults_log"
if [ "$e2e$k8s$remote$podman$faults" != 00000 ]; then
  echo "failed: end-to-end exit $e2e, Kubernetes exit $k8s, remote engine exit $remote, rootless Podman exit $podman, faults exit $faults" >&2
  exit 1
fi
