#!/usr/bin/env bash
# `devc serve` side by side, in one run (figures for the README): a browser request on a stopped
# workspace until code-server's first byte vs `devc start` (≤ 1.3×); a proxied code-server request's
# p50 vs straight to code-server (≤ +1 ms); a 256 MiB download through the file API vs `devc cp`
# (≥ 0.5× its speed); USERS (20) users opening as many repositories at once, all reaching code-server
# (bounded: 20 minutes). Needs the Docker engine and the dev8 images (scripts/prepare.sh); cleans up
# what it made. RUNS=3 USERS=20 LATENCY_REQUESTS=300 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli.js ] || npm run build >/dev/null
exec npx vite-node bench/serve.ts
