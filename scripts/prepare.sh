#!/usr/bin/env bash
# Everything both README commands need first: host set-up, dependencies, the build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Not `npm ci`: npm 11 here rejects any lock that leaves out other platforms' optional packages
  # (rollup's), even one it just wrote. `npm install` follows the lock all the same.
  npm install --no-audit --no-fund --loglevel=error
fi
npm run build --silent
