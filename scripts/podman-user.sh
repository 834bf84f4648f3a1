#!/usr/bin/env bash
# The non-root user rootless Podman runs as in the tests (test/e2e/support/podman.ts): a login-less
# account with subordinate uids and gids for its user namespace. Safe to run again.
set -euo pipefail
USER_NAME="${DEVC_PODMAN_USER:-devc-podman}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! id "$USER_NAME" >/dev/null 2>&1; then
  $SUDO useradd --create-home --shell /usr/sbin/nologin "$USER_NAME"
fi
uid=$(id -u "$USER_NAME")
for file in /etc/subuid /etc/subgid; do
  grep -q "^$USER_NAME:" "$file" 2>/dev/null || echo "$USER_NAME:$((200000 + (uid - 1000) * 65536)):65536" | $SUDO tee -a "$file" >/dev/null
done
runtime="/run/user/$uid"
$SUDO mkdir -p "$runtime" && $SUDO chown "$USER_NAME:" "$runtime" && $SUDO chmod 700 "$runtime"
# Rootless networking (slirp4netns, pasta) opens /dev/net/tun as that user: udev makes it 0666 on a
# normal host; machines without udev leave it root-only.
[ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" = 600 ] && $SUDO chmod 0666 /dev/net/tun
true
