# shellcheck shell=sh
# devc-agent's supervisor: starts sshd and code-server, restarts them, stops them (sourced by
# bin/devc-agent).

# Set when this file is sourced, before the traps: on_signal may read them during setup.
SSHD_PID=
CODE_SERVER_PID=
SSHD_NEXT=0 SSHD_BACKOFF=1
CODE_SERVER_NEXT=0 CODE_SERVER_BACKOFF=1

# True while the process runs (a zombie, not yet reaped, counts as gone). No fork.
alive() {
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
  read -r _stat <"/proc/$1/stat" 2>/dev/null || return 1
  _state=${_stat##*) }
  [ "${_state%% *}" != Z ]
}

start_sshd() {
  [ -n "$ROOTLESS" ] || { mkdir -p /run/sshd && chmod 0755 /run/sshd; }
  sshd=$(command -v sshd 2>/dev/null || echo /usr/sbin/sshd)
  rexec=
  if [ "$sshd" = /opt/devc/bin/sshd ]; then
    # The bundle runs through its own loader, which re-exec would bypass; it needs the privsep user.
    rexec=-r
    getent passwd sshd >/dev/null || useradd -r -M -d /run/sshd -s /usr/sbin/nologin sshd 2>/dev/null ||
      echo 'sshd:x:105:65534::/run/sshd:/usr/sbin/nologin' >>/etc/passwd
  fi
  "$sshd" -D -e $rexec -f "$SSHD_CONFIG" &
  SSHD_PID=$!
}

start_code_server() {
  [ -n "$CODE_SERVER" ] || return 0
  user_dir "$USER_HOME/.local" 0755
  user_dir "$USER_HOME/.local/share" 0755
  folder=${DEVC_WORKSPACE_FOLDER:-$USER_HOME}
  [ -d "$folder" ] || folder=$USER_HOME
  # Its own session and process group (pid = pgid), so a restart can clear leftovers; a clean
  # environment plus the AI keys and the secrets, sourced as the user from their 0600 files.
  as_user=
  [ -n "$ROOTLESS" ] || as_user="setpriv --reuid=$USER_UID --regid=$USER_GID --init-groups"
  # shellcheck disable=SC2086,SC2016 # $as_user is several words; the inner sh expands $1, $HOME, $@
  setsid $as_user \
    env -i HOME="$USER_HOME" USER="$USER_NAME" LOGNAME="$USER_NAME" SHELL="$USER_SHELL" \
    PATH="$USER_HOME/.local/bin:$SYSTEM_PATH" LANG="${LANG:-C.UTF-8}" \
    ${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"} \
    ${DEVC_WORKSPACE:+DEVC_WORKSPACE="$DEVC_WORKSPACE"} \
    ${DEVC_WORKSPACE_FOLDER:+DEVC_WORKSPACE_FOLDER="$DEVC_WORKSPACE_FOLDER"} \
    ${GIT_CONFIG_SYSTEM:+GIT_CONFIG_SYSTEM="$GIT_CONFIG_SYSTEM"} \
    ${CODE_SERVER_LAUNCHER:+DEVC_CODE_SERVER_LAUNCHER="$CODE_SERVER_LAUNCHER"} \
    sh -c 'for f in "$1" "$2"; do if [ -r "$f" ]; then . "$f"; fi; done; shift 2; cd "$HOME"; exec "$@"' \
    devc-code-server "$AI_ENV_SH" "$SECRETS_SH" \
    "$CODE_SERVER" --config "$CODE_SERVER_CONFIG" --ignore-last-opened "$folder" </dev/null &
  CODE_SERVER_PID=$!
}

stop_services() {
  alive "$SSHD_PID" && kill -TERM "$SSHD_PID" 2>/dev/null
  alive "$CODE_SERVER_PID" && kill -TERM "-$CODE_SERVER_PID" 2>/dev/null
  i=0
  while { alive "$SSHD_PID" || alive "$CODE_SERVER_PID"; } && [ $i -lt 50 ]; do
    sleep 0.1; i=$((i + 1))
  done
  alive "$CODE_SERVER_PID" && kill -KILL "-$CODE_SERVER_PID" 2>/dev/null
  alive "$SSHD_PID" && kill -KILL "$SSHD_PID" 2>/dev/null
  return 0
}

on_signal() {
  log "stopping ($1)"
  # shellcheck disable=SC2153 # set in bin/devc-agent
  rm -f "$READY"
  stop_services
  exit 0
}

# Checks every second: restarts a dead sshd or code-server (backoff 1 s doubling to 30 s), marks the
# workspace ready, and keeps the activity clock. Returns only through a signal or the idle stop.
supervise() {
  ready=0
  activity_init
  while :; do
    t=$(now)
    if ! alive "$SSHD_PID" && [ "$t" -ge "$SSHD_NEXT" ]; then
      [ -n "$SSHD_PID" ] && { rm -f "$READY"; ready=0; log "sshd exited; restarting"; }
      start_sshd
      SSHD_NEXT=$((t + SSHD_BACKOFF)); [ $SSHD_BACKOFF -lt 30 ] && SSHD_BACKOFF=$((SSHD_BACKOFF * 2))
    fi
    if [ -n "$CODE_SERVER" ] && ! alive "$CODE_SERVER_PID" && [ "$t" -ge "$CODE_SERVER_NEXT" ]; then
      if [ -n "$CODE_SERVER_PID" ]; then
        rm -f "$READY"; ready=0; log "code-server exited; restarting"
        kill -KILL "-$CODE_SERVER_PID" 2>/dev/null
      fi
      start_code_server
      CODE_SERVER_NEXT=$((t + CODE_SERVER_BACKOFF)); [ $CODE_SERVER_BACKOFF -lt 30 ] && CODE_SERVER_BACKOFF=$((CODE_SERVER_BACKOFF * 2))
    fi

    if [ $ready = 0 ] && alive "$SSHD_PID" && alive "$CODE_SERVER_PID" && listening /proc/net "$SSH_PORT" "$CODE_SERVER_PORT"; then
      : >"$READY"
      ready=1
      SSHD_BACKOFF=1 CODE_SERVER_BACKOFF=1
      activity_ready "$t"
      log "ready"
    fi

    activity_tick "$t"

    # A background sleep keeps signals prompt: the trap runs as soon as `wait` is interrupted.
    sleep 1 &
    wait $!
  done
}
