# shellcheck shell=sh
# Helpers every part of devc-agent uses (sourced by bin/devc-agent).

log() { printf 'devc-agent: %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
# Seconds since boot, without forking.
now() { read -r _up _ </proc/uptime; echo "${_up%%.*}"; }
# Single-quotes a value for sh.
shquote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# Makes a directory (and missing parents) under the user's home, owned by the user.
user_dir() { # path mode
  install -d -m "$2" -o "$USER_UID" -g "$USER_GID" "$1"
}

# Writes stdin to a file only the user can read (replacing whatever was there, symlinks included).
user_secret_file() { # path
  rm -f "$1"
  (umask 077 && cat >"$1")
  chown "$USER_UID:$USER_GID" "$1"
}
