#!/usr/bin/env bash
# The suites every engine must pass (walking-skeleton, ports and cp: the `engines` project in
# vitest.config.ts), against an engine other than this machine's own Docker (issue 20):
#
#   run.sh remote   a Docker engine reached only over ssh:// (test/remote/engine.sh): its container
#                   addresses don't route from here, as with Docker Desktop or a bigger machine
#   run.sh podman   rootless Podman 4 (slirp4netns): the suites run as its own user against its
#                   Docker-compatible socket, as a rootless Podman user runs devc
#
# More arguments go to vitest (a file, -t NAME). Each engine keeps nothing of a run: the suites remove
# their workspaces, and the Podman service started here stops with it.
set -euo pipefail
cd "$(dirname "$0")/../.."
engine=${1:?usage: test/engines/run.sh remote|podman [vitest arguments]}
shift
VERSION="$(node -p "require('./package.json').version")"

case "$engine" in
remote)
  eval "$(bash test/remote/engine.sh up)"
  DOCKER_HOST="$DEVC_REMOTE_SSH" DEVC_TEST_ENGINE=remote exec npx vitest run --project engines "$@"
  ;;
podman)
  # A user of its own: test/e2e/podman.test.ts (devc-podman) may run at the same time.
  user=devc-engines
  DEVC_PODMAN_USER=$user bash scripts/podman-user.sh
  uid="$(id -u "$user")"
  # Outside /run: Podman 4.3's rootless network namespace can't bind-mount a runtime folder there
  # unless it is a mount of its own (test/e2e/support/podman.ts).
  runtime="/tmp/devc-podman-run-$uid"
  install -d -m 700 -o "$user" -g "$user" "$runtime"
  socket="$runtime/engines.sock"
  as() { runuser -u "$user" -- env -i PATH="$PATH" HOME="/home/$user" XDG_RUNTIME_DIR="$runtime" "$@"; }
  # Stopped by its own pid: runuser does not pass a signal on to the command it runs.
  as sh -c 'echo $$ >"$0"; exec podman system service --time 0 "$1"' "$runtime/engines.pid" "unix://$socket" &
  trap 'kill "$(cat "$runtime/engines.pid" 2>/dev/null)" 2>/dev/null || true; wait' EXIT
  for _ in $(seq 100); do
    as env DOCKER_HOST="unix://$socket" docker version >/dev/null 2>&1 && break
    sleep 0.3
  done
  as env DOCKER_HOST="unix://$socket" docker version --format 'podman: {{.Server.Version}}' ||
    { echo "podman system service did not answer on $socket" >&2; exit 1; }
  # The images the suites start from, from the Docker engine (one id in both): loaded when missing.
  for image in "devc/dev8-base:$VERSION" debian:bookworm-slim; do
    want="$(docker image inspect --format '{{.Id}}' "$image")"
    have="$(as podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
    [ -n "$have" ] && [[ "$want" == *"$have" ]] && continue
    echo "loading $image into rootless Podman"
    docker save "$image" | as podman load -q >/dev/null
  done
  # What an image loaded or built here before this one left (no tag): on vfs storage each is whole
  # copies of its layers, gigabytes that a machine running the suite again and again would fill up with.
  as podman image prune -f >/dev/null
  as env DOCKER_HOST="unix://$socket" DEVC_TEST_ENGINE=podman npx vitest run --project engines --configLoader runner "$@"
  ;;
*)
  echo "test/engines/run.sh: unknown engine $engine (remote or podman)" >&2
  exit 2
  ;;
esac
