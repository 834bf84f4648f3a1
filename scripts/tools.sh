#!/usr/bin/env bash
# Test tools built from the Go module proxy, cached by version under ~/.cache/devc-tools and reused:
# oauth2-proxy, the forward-auth proxy of test/e2e/serve-browser.test.ts. Safe to run again and
# concurrently (each build goes to a temporary directory and is moved into place). Prints nothing when
# cached. Uses the Go the test cluster uses (/usr/local/go/bin, or go on PATH).
#   bash scripts/tools.sh            build what is missing
#   bash scripts/tools.sh path       print the oauth2-proxy binary's path
set -euo pipefail

OAUTH2_PROXY_VERSION="${DEVC_OAUTH2_PROXY_VERSION:-7.15.6}"
ROOT="${DEVC_TOOLS_CACHE:-$HOME/.cache/devc-tools}"
DIR="$ROOT/oauth2-proxy-v$OAUTH2_PROXY_VERSION"
BIN="$DIR/oauth2-proxy"
export PATH="/usr/local/go/bin:$PATH"

log() { printf 'tools: %s\n' "$*" >&2; }

if [ "${1:-}" = path ]; then
  echo "$BIN"
  exit 0
fi

if [ ! -x "$BIN" ]; then
  command -v go >/dev/null || { log "go not found (expected /usr/local/go/bin/go, as for test/cluster)"; exit 1; }
  log "building oauth2-proxy v$OAUTH2_PROXY_VERSION (a few minutes; log: $ROOT/oauth2-proxy-build.log)"
  mkdir -p "$ROOT"
  tmp=$(mktemp -d "$ROOT/.oauth2-proxy.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  if ! env GOBIN="$tmp" GOCACHE="$ROOT/gocache" GOMODCACHE="$ROOT/gomodcache" GOTOOLCHAIN=local \
    GOFLAGS="-buildvcs=false -p=${DEVC_BUILD_PARALLEL:-2}" CGO_ENABLED=0 \
    go install "github.com/oauth2-proxy/oauth2-proxy/v7@v$OAUTH2_PROXY_VERSION" >"$ROOT/oauth2-proxy-build.log" 2>&1; then
    tail -n 20 "$ROOT/oauth2-proxy-build.log" >&2
    log "the oauth2-proxy build failed; see $ROOT/oauth2-proxy-build.log"
    exit 1
  fi
  mkdir -p "$DIR"
  mv "$tmp/oauth2-proxy" "$BIN.tmp.$$" && mv "$BIN.tmp.$$" "$BIN"
  log "oauth2-proxy: $BIN"
fi
