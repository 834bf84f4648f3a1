# shellcheck shell=sh
# devc-agent's one-time setup, as root (or as the user, rootless), once per start (sourced by
# bin/devc-agent).

ensure_user() {
  if [ -n "$ROOTLESS" ]; then
    USER_NAME=$(id -un 2>/dev/null || echo "$USER_NAME")
    USER_UID=$(id -u) USER_GID=$(id -g)
    USER_HOME=${HOME:-$(getent passwd "$USER_UID" | cut -d: -f6)}
    USER_SHELL=$(getent passwd "$USER_UID" | cut -d: -f7)
    [ -x "${USER_SHELL:-}" ] || USER_SHELL=/bin/sh
    return 0
  fi
  if ! getent passwd "$USER_NAME" >/dev/null; then
    # A repository's own image runs as the user its devcontainer.json names: one the image lacks is a
    # typo there, which the Dev Containers CLI refuses too; making it would hide it behind an empty home.
    if [ -n "$INJECTED" ]; then
      log "error: the image has no user $USER_NAME (remoteUser or containerUser in devcontainer.json)"
      exit 1
    fi
    if getent passwd 1000 >/dev/null; then useradd -m -s /bin/bash "$USER_NAME"
    else groupadd -g 1000 "$USER_NAME" 2>/dev/null; useradd -m -u 1000 -g 1000 -s /bin/bash "$USER_NAME"; fi
    log "created user $USER_NAME"
  fi
  # '!' locks the account for key logins too when sshd runs without PAM; '*' only forbids passwords.
  if [ "$(getent shadow "$USER_NAME" | cut -d: -f2)" = '!' ]; then usermod -p '*' "$USER_NAME"; fi
  if [ -d /etc/sudoers.d ] && [ ! -e "/etc/sudoers.d/$USER_NAME" ]; then
    echo "$USER_NAME ALL=(ALL) NOPASSWD:ALL" >"/etc/sudoers.d/$USER_NAME" && chmod 0440 "/etc/sudoers.d/$USER_NAME"
  fi
  USER_UID=$(id -u "$USER_NAME")
  USER_GID=$(id -g "$USER_NAME")
  USER_HOME=$(getent passwd "$USER_NAME" | cut -d: -f6)
  USER_SHELL=$(getent passwd "$USER_NAME" | cut -d: -f7)
  [ -x "${USER_SHELL:-}" ] || USER_SHELL=/bin/sh
  # A fresh volume or PVC mounted as home may belong to root.
  mkdir -p "$USER_HOME"
  [ "$(stat -c %u "$USER_HOME")" = "$USER_UID" ] || chown "$USER_UID:$USER_GID" "$USER_HOME"
}

host_key() {
  # Made once per container and kept across stop/start. A key baked into the image (Debian's
  # openssh-server makes one at install time) would be shared by every container: replace it.
  # Without root, /etc/ssh is read-only: a key not provided there is made for this start only.
  if [ -n "$ROOTLESS" ] && { [ ! -f "$HOST_KEY" ] || [ ! -f "$HOST_KEY_MARK" ]; }; then
    HOST_KEY=$RUN_DIR/ssh_host_ed25519_key HOST_KEY_MARK=$RUN_DIR/.devc-host-key
  fi
  if [ ! -f "$HOST_KEY" ] || [ ! -f "$HOST_KEY_MARK" ]; then
    mkdir -p "$(dirname "$HOST_KEY")"
    rm -f "$HOST_KEY" "$HOST_KEY.pub"
    ssh-keygen -q -t ed25519 -N '' -C "devc@${DEVC_WORKSPACE:-$(hostname)}" -f "$HOST_KEY"
    : >"$HOST_KEY_MARK"
    log "made SSH host key $(ssh-keygen -l -f "$HOST_KEY.pub" | cut -d' ' -f2)"
  fi
}

authorized_key() {
  if [ -f "$CONF/authorized_keys" ]; then
    user_dir "$USER_HOME/.ssh" 0700
    install -m 0600 -o "$USER_UID" -g "$USER_GID" "$CONF/authorized_keys" "$USER_HOME/.ssh/authorized_keys"
  else
    log "warning: no $CONF/authorized_keys; nobody can log in over SSH"
  fi
}

# The source folder ($DEVC_WORKSPACE_FOLDER) is never given away here: on Docker it is a bind mount of
# the user's own tree (which may be any folder they own, or one of root's), and its ownership is
# theirs. Whoever makes a tree for the workspace gives it to the user: devc's host-side clone
# (src/services/up.ts), the Kubernetes pod's own preparation. git_config marks it safe instead.
shared_folder() {
  # The user's shared volume, new and empty, belongs to root until someone gives it away.
  if [ -z "$ROOTLESS" ] && [ -d /shared ] && [ "$(stat -c %u /shared)" = 0 ]; then
    chown "$USER_UID:$USER_GID" /shared
  fi
}

# ai.env -> $AI_ENV_SH (export lines, 0600 user) and $AI_SETENV (sshd SetEnv words). Values are taken
# literally; lines that are not NAME=VALUE are skipped.
ai_env() {
  AI_ENV_SH=/etc/profile.d/devc-ai.sh
  [ -n "$ROOTLESS" ] && AI_ENV_SH=$RUN_DIR/ai-env.sh
  AI_SETENV=
  rm -f "$AI_ENV_SH"
  [ -f "$CONF/ai.env" ] || return 0
  names=
  tmp=$(mktemp)
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in '#'* | '') continue ;; esac
    name=${line%%=*}
    value=${line#*=}
    case $name in '' | [0-9]* | *[!A-Za-z0-9_]*) continue ;; esac
    [ "$name" != "$line" ] || continue
    # shellcheck disable=SC1003 # '\' is a backslash, not an escaped quote
    case $value in *'"'* | *'\'*) log "warning: skipped $name from ai.env (quotes or backslashes)"; continue ;; esac
    printf 'export %s=%s\n' "$name" "$(shquote "$value")" >>"$tmp"
    AI_SETENV="$AI_SETENV \"$name=$value\""
    names="$names $name"
  done <"$CONF/ai.env"
  user_secret_file "$AI_ENV_SH" <"$tmp"
  rm -f "$tmp"
  [ -n "$names" ] && log "AI keys passed to $USER_NAME:$names"
  return 0
}

# remote.env: containerEnv and remoteEnv of a devcontainer.json (not secret) -> SSH sessions, which
# don't inherit PID 1's environment. Unresolved ${...} references are left out.
remote_env() {
  REMOTE_SETENV=
  [ -f "$CONF/remote.env" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    name=${line%%=*}
    value=${line#*=}
    case $name in '' | [0-9]* | *[!A-Za-z0-9_]*) continue ;; esac
    [ "$name" != "$line" ] || continue
    # shellcheck disable=SC1003,SC2016 # '\' is a backslash, not an escaped quote; '${' a literal ${
    case $value in *'"'* | *'\'* | *'${'*) continue ;; esac
    REMOTE_SETENV="$REMOTE_SETENV \"$name=$value\""
  done <"$CONF/remote.env"
}

# Non-secret facts every login shell sees.
profile_snippet() {
  [ -d /etc/profile.d ] && [ -w /etc/profile.d ] || return 0
  {
    echo '# devc-agent: written at every start'
    [ -n "${DEVC_WORKSPACE:-}" ] && echo "export DEVC_WORKSPACE=$(shquote "$DEVC_WORKSPACE")"
    [ -n "${DEVC_WORKSPACE_FOLDER:-}" ] && echo "export DEVC_WORKSPACE_FOLDER=$(shquote "$DEVC_WORKSPACE_FOLDER")"
    echo "case \":\$PATH:\" in *:\$HOME/.local/bin:*) ;; *) PATH=\"\$HOME/.local/bin:\$PATH\" ;; esac"
  } >/etc/profile.d/devc.sh
}

sshd_config() {
  SSHD_CONFIG=$RUN_DIR/sshd_config
  # An image's own PAM stack may be missing or differ; devc's bundled sshd runs without it.
  USE_PAM=yes
  # A config whose remoteUser is root still gets key-only SSH; every other user keeps root out.
  ROOT_LOGIN=no
  [ "$USER_NAME" = root ] && ROOT_LOGIN=prohibit-password
  [ -n "$INJECTED" ] && [ ! -f /etc/pam.d/sshd ] && USE_PAM=no
  # A non-root sshd can't use PAM (nor needs it: it can only log in its own user).
  [ -n "$ROOTLESS" ] && USE_PAM=no
  setenv="\"PATH=$USER_HOME/.local/bin:$SYSTEM_PATH\""
  for v in DEVC_WORKSPACE DEVC_WORKSPACE_FOLDER LANG GIT_CONFIG_SYSTEM; do
    eval "val=\${$v:-}"
    # shellcheck disable=SC2154 # val is set by the eval above
    case $val in '' | *'"'*) ;; *) setenv="$setenv \"$v=$val\"" ;; esac
  done
  (umask 077 && cat >"$SSHD_CONFIG") <<EOF
# written by devc-agent at every start: keys only, no root, no passwords, keep-alives.
Port $SSH_PORT
HostKey $HOST_KEY
PidFile $RUN_DIR/sshd.pid
PermitRootLogin $ROOT_LOGIN
AllowUsers $USER_NAME
PubkeyAuthentication yes
AuthenticationMethods publickey
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
PermitEmptyPasswords no
KbdInteractiveAuthentication no
UsePAM $USE_PAM
StrictModes yes
ClientAliveInterval 30
ClientAliveCountMax 4
TCPKeepAlive yes
AllowTcpForwarding yes
AllowAgentForwarding yes
X11Forwarding no
PermitTunnel no
PermitUserEnvironment no
PrintMotd no
PrintLastLog no
AcceptEnv LANG LC_* TERM COLORTERM
SetEnv $setenv$REMOTE_SETENV$AI_SETENV$SECRETS_SETENV
Subsystem sftp internal-sftp
EOF
}

code_server_config() {
  CODE_SERVER_CONFIG=$RUN_DIR/code-server.yaml
  if [ ! -s "$CONF/code-server-secret" ]; then
    log "warning: no $CONF/code-server-secret; code-server gets a random password nobody knows"
    secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  else
    secret=$(tr -d '\r\n' <"$CONF/code-server-secret")
  fi
  # The password lives in a file only the user reads: not on a command line, not in the environment.
  # Cookies are per host, not per port: every workspace's code-server on 127.0.0.1 gets its own session
  # cookie name (code-server-session-NAME), or logging in to one would log the others out.
  suffix=$(printf '%s' "${DEVC_WORKSPACE:-}" | tr -c 'A-Za-z0-9-' '-')
  {
    # The workspace folder is the user's own (as in Codespaces): no Restricted Mode banner, and no
    # coder advertisement on the Getting Started page.
    printf 'bind-addr: 0.0.0.0:%s\nauth: password\npassword: "%s"\ncert: false\ndisable-telemetry: true\ndisable-update-check: true\ndisable-workspace-trust: true\ndisable-getting-started-override: true\n' \
      "$CODE_SERVER_PORT" "$(printf '%s' "$secret" | sed 's/[\\"]/\\&/g')"
    [ -z "$suffix" ] || printf 'cookie-suffix: "%s"\n' "$suffix"
  } | user_secret_file "$CODE_SERVER_CONFIG"
  unset secret
  CODE_SERVER=${DEVC_CODE_SERVER:-}
  [ -n "$CODE_SERVER" ] || CODE_SERVER=$(command -v code-server 2>/dev/null) || CODE_SERVER=
  [ -n "$CODE_SERVER" ] || { [ -x /opt/devc/bin/code-server ] && CODE_SERVER=/opt/devc/bin/code-server; }
  [ -n "$CODE_SERVER" ] || log "error: code-server not found; the workspace will not become ready"
  # devc's own code-server (dev8 images, the agent's bundle) starts through devc's launcher, which
  # overlaps its two processes' start and loads the editor before the first visitor: see code-server.js.
  CODE_SERVER_LAUNCHER=
  if [ -n "$CODE_SERVER" ] && grep -qs DEVC_CODE_SERVER_LAUNCHER "$CODE_SERVER"; then
    # shellcheck disable=SC2034 # read by supervise.sh
    CODE_SERVER_LAUNCHER=$AGENT_LIB/code-server.js
  fi
  code_server_settings
}

# The editor opens on the repository's README rather than a welcome page, as Codespaces does. Only
# when the user has no settings of their own: theirs are never touched.
code_server_settings() {
  dir=$USER_HOME/.local/share/code-server/User
  { [ -e "$dir/settings.json" ] || [ -L "$dir/settings.json" ]; } && return 0
  for d in "$USER_HOME/.local" "$USER_HOME/.local/share" "$USER_HOME/.local/share/code-server" "$dir"; do
    [ -d "$d" ] || user_dir "$d" 0755
  done
  printf '{\n  "workbench.startupEditor": "readme"\n}\n' >"$dir/settings.json"
  chown "$USER_UID:$USER_GID" "$dir/settings.json"
}

# Everything the services need, in order: the user first (the rest writes as or for it).
prepare() {
  ensure_user
  host_key
  authorized_key
  shared_folder
  git_config
  github_token
  ai_env
  secrets
  remote_env
  profile_snippet
  sshd_config
  code_server_config
}
