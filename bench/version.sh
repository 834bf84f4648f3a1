#!/usr/bin/env bash
# devc --version against a bare `node -e 0`, side by side (target ≤ 1.3×).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
hyperfine -N --warmup 5 --runs 40 --export-json "$RESULTS/version.json" 'node -e 0' './bin/devc --version' >&2
ratio 'devc --version vs node -e 0' "$RESULTS/version.json"
