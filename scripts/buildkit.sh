#!/usr/bin/env bash
# BuildKit for the test cluster (docs/test-cluster.md): buildkitd and buildctl built from the Go module
# proxy with the rootlesskit it pins, cached by version under ~/.cache/devc-tools/buildkit-v<version>/
# (the binaries are checked, not the folder); a rootless image made of them and debian:bookworm-slim
# (no Docker Hub); and deploy/buildkitd.yaml (rootless) applied with that image. Safe to run again
# and concurrently (a lock; builds go to a temporary folder and are moved into place).
#   bash scripts/buildkit.sh build                 build the binaries when missing
#   bash scripts/buildkit.sh image REGISTRY        + the image, pushed as REGISTRY/devc/buildkit:v<version>-rootless
#                                                  (prints it by digest)
#   bash scripts/buildkit.sh deploy REGISTRY       + the Deployment (KUBECONFIG; kubectl on PATH or KUBECTL)
set -euo pipefail

VERSION="${DEVC_BUILDKIT_VERSION:-0.34.2}"
# The rootlesskit BuildKit's own Dockerfile pins for this version.
ROOTLESSKIT_VERSION="${DEVC_ROOTLESSKIT_VERSION:-3.2.0}"
ROOT="${DEVC_TOOLS_CACHE:-$HOME/.cache/devc-tools}"
DIR="$ROOT/buildkit-v$VERSION"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="/usr/local/go/bin:$PATH"

tmp=""
log() { printf 'buildkit: %s\n' "$*" >&2; }
built() {
  [ -x "$DIR/buildkitd" ] && [ -x "$DIR/buildctl" ] && "$DIR/buildctl" --version >/dev/null 2>&1 &&
    [ -x "$DIR/rootlesskit-v$ROOTLESSKIT_VERSION" ]
}

build() {
  built && return 0
  mkdir -p "$ROOT"
  exec 9>"$ROOT/buildkit.lock"
  flock 9
  built && return 0
  command -v go >/dev/null || { log "go not found (expected /usr/local/go/bin/go, as for test/cluster)"; exit 1; }
  : >"$ROOT/buildkit-build.log"
  local src
  tmp=$(mktemp -d "$ROOT/.buildkit.XXXXXX")
  trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT # the module cache is read-only
  export GOCACHE="$ROOT/gocache" GOMODCACHE="$ROOT/gomodcache" GOTOOLCHAIN=local
  if [ ! -x "$DIR/rootlesskit-v$ROOTLESSKIT_VERSION" ]; then
    log "building rootlesskit v$ROOTLESSKIT_VERSION from the Go module proxy (a minute)"
    if ! CGO_ENABLED=0 GOBIN="$tmp/rk" GOFLAGS="-buildvcs=false" \
      go install "github.com/rootless-containers/rootlesskit/v3/cmd/rootlesskit@v$ROOTLESSKIT_VERSION" >>"$ROOT/buildkit-build.log" 2>&1; then
      tail -n 20 "$ROOT/buildkit-build.log" >&2
      log "the rootlesskit build failed; see $ROOT/buildkit-build.log"
      exit 1
    fi
    mkdir -p "$DIR"
    mv "$tmp/rk/rootlesskit" "$DIR/rootlesskit-v$ROOTLESSKIT_VERSION"
  fi
  if [ -x "$DIR/buildkitd" ] && [ -x "$DIR/buildctl" ] && "$DIR/buildctl" --version >/dev/null 2>&1; then return 0; fi
  log "building buildkitd and buildctl v$VERSION from the Go module proxy (several minutes; log: $ROOT/buildkit-build.log)"
  # `go install …@v` refuses moby/buildkit (its go.mod has exclude directives): build inside a copy of
  # the module instead.
  src=$(go mod download -json "github.com/moby/buildkit@v$VERSION" 2>>"$ROOT/buildkit-build.log" |
    sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p') || true
  [ -d "$src" ] || { log "go mod download gave no folder for moby/buildkit@v$VERSION; see $ROOT/buildkit-build.log"; exit 1; }
  cp -r "$src" "$tmp/src" && chmod -R u+w "$tmp/src"
  if ! (cd "$tmp/src" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false -p=${DEVC_BUILD_PARALLEL:-2}" \
    go build -trimpath -ldflags "-X github.com/moby/buildkit/version.Version=v$VERSION" \
    -o "$tmp/bin/" ./cmd/buildkitd ./cmd/buildctl) >>"$ROOT/buildkit-build.log" 2>&1; then
    tail -n 20 "$ROOT/buildkit-build.log" >&2
    log "the BuildKit build failed; see $ROOT/buildkit-build.log"
    exit 1
  fi
  mkdir -p "$DIR"
  for b in buildkitd buildctl; do mv "$tmp/bin/$b" "$DIR/$b.tmp.$$" && mv "$DIR/$b.tmp.$$" "$DIR/$b"; done
  log "buildkitd and buildctl: $DIR"
}

image() { # REGISTRY: prints the pushed image by digest (the rootless one, for deploy/buildkitd.yaml)
  local ref="$1/devc/buildkit:v$VERSION-rootless" ctx
  build
  ctx=$(mktemp -d)
  cp "$DIR/buildkitd" "$DIR/buildctl" "$ctx/"
  cp "$DIR/rootlesskit-v$ROOTLESSKIT_VERSION" "$ctx/rootlesskit"
  # As upstream's rootless image, on debian:bookworm-slim (no Docker Hub): runc (the OCI worker runs
  # each build step with it), user 1000 with subordinate ids, and newuidmap/newgidmap. Debian's are
  # set-uid root, which maps the ids only with CAP_SYS_ADMIN in the container; with file capabilities
  # instead (as Fedora ships them) they run as the user, who owns the new user namespace, and need
  # nothing beyond the default capabilities.
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends runc uidmap libcap2-bin \
  && chmod u-s /usr/bin/newuidmap /usr/bin/newgidmap \
  && setcap cap_setuid+ep /usr/bin/newuidmap && setcap cap_setgid+ep /usr/bin/newgidmap \
  && apt-get purge -y libcap2-bin && rm -rf /var/lib/apt/lists/*
COPY buildkitd buildctl rootlesskit /usr/bin/
RUN useradd -m -u 1000 user \
  && mkdir -p /run/user/1000 /home/user/.local/tmp /home/user/.local/share/buildkit \
  && chown -R user /run/user/1000 /home/user \
  && echo user:100000:65536 | tee /etc/subuid > /etc/subgid
USER 1000:1000
ENV HOME=/home/user USER=user XDG_RUNTIME_DIR=/run/user/1000 TMPDIR=/home/user/.local/tmp \
  BUILDKIT_HOST=unix:///run/user/1000/buildkit/buildkitd.sock
ENTRYPOINT ["rootlesskit", "buildkitd"]
DOCKERFILE
  docker build -q -t "$ref" "$ctx" >/dev/null
  rm -rf "$ctx"
  docker push -q "$ref" >/dev/null
  # By digest: a node that ran an earlier image of the same tag would keep it (IfNotPresent).
  docker image inspect --format '{{index .RepoDigests 0}}' "$ref"
}

deploy() { # REGISTRY
  local registry="$1" ref kubectl="${KUBECTL:-kubectl}"
  ref=$(image "$registry")
  # The test cluster's registry is the node's 127.0.0.1 over plain HTTP: buildkitd shares the node's
  # network to reach it (hostNetwork; nothing else in this cluster needs it), and is told it is HTTP.
  sed -e "s|image: moby/buildkit:[^ ]*|image: $ref|" \
    -e "s|^      gc = true|      gc = true\n    [registry.\"${registry%%/*}\"]\n      http = true|" \
    -e 's|^      automountServiceAccountToken: false|      automountServiceAccountToken: false\n      hostNetwork: true|' \
    "$HERE/../deploy/buildkitd.yaml" | "$kubectl" apply -f - >&2
  if ! "$kubectl" -n devc-build rollout status deployment/buildkitd --timeout=180s >&2; then
    "$kubectl" -n devc-build get pods -o wide >&2 || true
    "$kubectl" -n devc-build logs deployment/buildkitd --tail=20 >&2 || true
    log "buildkitd did not become ready; its pod and last lines are above"
    exit 1
  fi
  log "buildkitd (rootless) is ready in namespace devc-build ($ref)"
}

case "${1:-build}" in
  build) build ;;
  image) image "${2:?usage: $0 image REGISTRY}" ;;
  deploy) deploy "${2:?usage: $0 deploy REGISTRY}" ;;
  *) log "usage: $0 build|image REGISTRY|deploy REGISTRY"; exit 2 ;;
esac
