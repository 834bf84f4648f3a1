#!/bin/sh
# devc's in-container agent: prepares the user, then runs the services.
# Configured by /etc/devc (mounted read-only by devc) and DEVC_* variables.
set -eu

USER_NAME="${DEVC_USER:-dev}"
USER_HOME="$(getent passwd "$USER_NAME" | cut -d: -f6)"
CONF=/etc/devc
READY=/run/devc/ready

log() { printf 'devc-agent: %s\n' "$*"; }

mkdir -p /run/devc /run/sshd
rm -f "$READY"

# Host keys: made once per container, kept across stop/start.
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key

# The authorized key devc gives this workspace.
if [ -f "$CONF/authorized_keys" ]; then
  install -d -m 0700 -o "$USER_NAME" -g "$USER_NAME" "$USER_HOME/.ssh"
  install -m 0600 -o "$USER_NAME" -g "$USER_NAME" "$CONF/authorized_keys" "$USER_HOME/.ssh/authorized_keys"
fi

# A source folder made by root on the host belongs to the workspace user inside.
if [ -n "${DEVC_WORKSPACE_FOLDER:-}" ] && [ -d "$DEVC_WORKSPACE_FOLDER" ] && [ "$(stat -c %u "$DEVC_WORKSPACE_FOLDER")" = 0 ]; then
  chown -R "$USER_NAME:$USER_NAME" "$DEVC_WORKSPACE_FOLDER"
fi

/usr/sbin/sshd -D -e &
sshd_pid=$!

trap 'kill -TERM "$sshd_pid" 2>/dev/null; wait "$sshd_pid" 2>/dev/null; exit 0' TERM INT

touch "$READY"
log "ready"
wait "$sshd_pid"
