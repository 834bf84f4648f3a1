# shellcheck shell=sh
# devc-agent's idle accounting: the activity clock and the stop for inactivity (sourced by
# bin/devc-agent).

# PID 1 shares our mount namespace only when it is this container's own process (not the host's init,
# as with --pid=host). A PID 1 of another user hides its namespace from us: then its cgroup tells.
own_pid1() {
  if ns1=$(readlink /proc/1/ns/mnt 2>/dev/null); then
    [ "$ns1" = "$(readlink /proc/self/ns/mnt 2>/dev/null)" ]
  else
    [ -r /proc/1/cgroup ] && [ "$(cat /proc/1/cgroup)" = "$(cat /proc/self/cgroup)" ]
  fi
}

# The clock starts when the workspace becomes ready (activity_ready); until then, at the supervisor's start.
activity_init() {
  active=0
  last_active=$(now)
  last_written=0
}

# The workspace became ready at $1 (seconds since boot).
activity_ready() {
  last_active=$1
  # shellcheck disable=SC2153 # set in bin/devc-agent
  date +%s >"$LAST_ACTIVE"
}

# One tick of the clock at $1 (seconds since boot): activity = established connections to sshd or
# code-server (SSH sessions, browser tabs); none for DEVC_IDLE_TIMEOUT seconds stops the workspace.
activity_tick() {
  # last-active (epoch seconds, for devc's list/status): refreshed every 10 s while there is activity,
  # and once more when the last connection ends.
  if [ "$(active_connections /proc/net "$SSH_PORT" "$CODE_SERVER_PORT")" -gt 0 ]; then
    last_active=$1
    if [ "$active" = 0 ] || [ $(($1 - last_written)) -ge 10 ]; then date +%s >"$LAST_ACTIVE"; last_written=$1; fi
    active=1
  elif [ "$active" = 1 ]; then
    date +%s >"$LAST_ACTIVE"; last_written=$1
    active=0
  elif [ "$IDLE_TIMEOUT" -gt 0 ] && [ $(($1 - last_active)) -ge "$IDLE_TIMEOUT" ]; then
    echo idle >"$STOP_REASON"
    # In a Kubernetes pod the kubelet keeps this file's text as the container's termination message,
    # which outlives the pod's files (devc view reads the stop reason there). Elsewhere it is absent.
    if [ -w /dev/termination-log ]; then echo idle >/dev/termination-log; fi
    log "idle for $(($1 - last_active))s (no SSH session, no code-server connection; DEVC_IDLE_TIMEOUT=${IDLE_TIMEOUT}s): stopping the workspace"
    rm -f "$READY"
    stop_services
    # Beside a repository's own PID 1, stopping the workspace means ending that process — only when
    # PID 1 is the container's own: with --pid=host it is the host's init, which must never be signalled.
    [ -n "$INJECTED" ] && own_pid1 && kill -TERM 1 2>/dev/null
    exit 0
  fi
}
