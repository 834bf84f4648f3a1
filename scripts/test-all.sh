#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one: set-up, static checks, unit tests,
# end-to-end tests against the real Docker engine. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "prepare: host, dependencies, build"
bash scripts/prepare.sh

step "static checks: typecheck, lint, format"
npm run --silent typecheck
npm run --silent lint
npm run --silent format:check

step "unit tests"
npx vitest run --project unit

step "end-to-end tests (real Docker engine)"
npx vitest run --project e2e

step "done in $(( $(date +%s) - started ))s"
