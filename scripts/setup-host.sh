#!/usr/bin/env bash
# Makes a fresh Debian machine ready for devc and its tests: a running Docker engine, the base image
# (made offline when it can't be pulled), and the host tools the tests use. Safe to run again.
set -euo pipefail

log() { printf 'setup: %s\n' "$*" >&2; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/devc"
mkdir -p "$CACHE"

apt_updated=""
need_pkgs() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  log "installing ${missing[*]}"
  # Packaged daemons (docker-registry, containerd) must not start on their own: tests start what they need.
  local made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod 755 /usr/sbin/policy-rc.d && made_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$made_policy" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
}

# Host tools: the OpenSSH client (devc ssh), git (clones, the test git server), rsync/tmux for tests,
# debootstrap for the offline base image, docker-compose for Compose configs, docker-registry for
# `images build --push` tests, hyperfine for bench/, shellcheck for `npm run lint` (the agent).
need_pkgs ca-certificates git openssh-client rsync tmux iproute2 procps curl debootstrap docker-compose docker-registry hyperfine shellcheck
# xdg-utils: `devc code --ide` opens editors through xdg-open, and its e2e test registers a fake handler
# with xdg-mime.
need_pkgs xdg-utils
# openssh-server: the sshd of the remote test engine's network namespace (test/remote/engine.sh; it is
# started there only, never as a service of this machine), openssl for its TLS certificates.
need_pkgs openssh-server openssl
# A real Secret Service for the keychain tests (test/e2e/credentials.test.ts): gnome-keyring under
# dbus-run-session, read back with secret-tool (libsecret-tools); gh, the last source of the token;
# python3 gives the prompt tests a real pseudo-terminal (test/e2e/support/pty-answer.py).
need_pkgs dbus gnome-keyring libsecret-tools gh python3
# A real browser for test/e2e/serve-browser.test.ts (driven by npm playwright-core, executablePath
# /usr/bin/chromium); its forward-auth proxy (oauth2-proxy) is built by scripts/tools.sh.
need_pkgs chromium

engine_up() { docker info >/dev/null 2>&1; }
if ! engine_up; then
  command -v dockerd >/dev/null 2>&1 || need_pkgs docker.io
  log "starting dockerd"
  setsid dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do engine_up && break; sleep 1; done
  engine_up || { log "dockerd did not start; see /var/log/dockerd.log"; exit 1; }
fi
log "docker engine $(docker version --format '{{.Server.Version}}') is up"

BASE=debian:bookworm-slim
tarball="$CACHE/debian-bookworm-minbase.tar"
# A tarball whose root folder kept mktemp's mode 0700 (made before the chmod below): Docker shows / as
# 0755 anyway, but Podman keeps 0700, and no user but root can start a program there. It is made
# again, and the images built on it go, so that they are built again on the good one.
first=$(tar -tvf "$tarball" 2>/dev/null | head -n 1 || true)
if [ "${first:0:10}" = "drwx------" ]; then
  log "$tarball has a root folder of mode 0700: making it again, with $BASE and the devc images built on it"
  rm -f "$tarball"
  # By name, not id: an id with child images (dev8-node on dev8-base) can't be removed, a tag can.
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^$BASE\$|(^|/)devc/" |
    xargs -r docker image rm >/dev/null 2>&1 || true
fi
if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  if timeout 60 docker pull -q "$BASE" >/dev/null 2>&1; then
    log "pulled $BASE"
  else
    if [ ! -s "$tarball" ]; then
      log "no registry: building $BASE with debootstrap (about a minute)"
      root=$(mktemp -d)
      $SUDO debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
      $SUDO chmod 0755 "$root" # mktemp made it 0700: an image's / must be 0755
      $SUDO tar -C "$root" -cf "$tarball.tmp" .
      mv "$tarball.tmp" "$tarball"
      $SUDO rm -rf "$root"
    fi
    docker import "$tarball" "$BASE" >/dev/null
    log "imported $BASE from $tarball"
  fi
fi

# Podman for the engine tests (test/e2e/podman.test.ts, docs/engines.md): rootful and rootless through
# its Docker-compatible socket. Nothing starts here; the tests start their own `podman system service`.
need_pkgs podman uidmap slirp4netns fuse-overlayfs catatonit
bash "$(dirname "$0")/podman-user.sh"
