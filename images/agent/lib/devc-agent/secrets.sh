# shellcheck shell=sh
# The workspace's secrets (sourced by bin/devc-agent). devc writes $CONF/secrets.env (NAME=base64 lines)
# before every start; the agent turns it into:
#   $SECRETS_SH       export lines, 0600, the user's: sourced by login shells (/etc/profile.d stub),
#                     code-server (so its terminals), `devc exec` and lifecycle hooks (devc wraps them)
#   $SECRETS_SETENV   sshd SetEnv words: every SSH session, `ssh -- CMD` included
# Names and values never reach the agent's output; a value is never on a command line.
SECRETS_SH=$RUN_DIR/secrets.sh

secrets() {
  SECRETS_SETENV=
  rm -f "$SECRETS_SH.new"
  if [ -z "$ROOTLESS" ] && [ -d /etc/profile.d ]; then
    printf '# devc-agent: the workspace'"'"'s secrets, readable by its user only\nif [ -r %s ]; then . %s; fi\n' \
      "$SECRETS_SH" "$SECRETS_SH" >/etc/profile.d/devc-secrets.sh
  fi
  # Replaced in one step (a hook may read it while `devc start` runs the agent): never missing midway.
  if [ ! -f "$CONF/secrets.env" ]; then rm -f "$SECRETS_SH"; return 0; fi
  count=0
  (umask 077 && : >"$SECRETS_SH.new")
  while IFS= read -r line || [ -n "$line" ]; do
    name=${line%%=*}
    case $name in '' | [0-9]* | *[!A-Za-z0-9_]*) continue ;; esac
    # A trailing x keeps the value's own trailing newlines from $(...).
    value=$(printf '%s' "${line#*=}" | base64 -d 2>/dev/null; echo x)
    value=${value%x}
    printf 'export %s=%s\n' "$name" "$(shquote "$value")" >>"$SECRETS_SH.new"
    count=$((count + 1))
    case $value in
      *'
'*) log "warning: secret $name has several lines; SSH sessions get it from login shells only" ;;
      *) SECRETS_SETENV="$SECRETS_SETENV \"$name=$(printf '%s' "$value" | sed 's/[\\"]/\\&/g')\"" ;;
    esac
  done <"$CONF/secrets.env"
  unset value line
  chown "$USER_UID:$USER_GID" "$SECRETS_SH.new"
  mv -f "$SECRETS_SH.new" "$SECRETS_SH"
  log "$count secret(s) passed to $USER_NAME"
}
