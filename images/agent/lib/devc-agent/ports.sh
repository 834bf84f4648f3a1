# shellcheck shell=sh
# Listening ports and connections, read from /proc/net/tcp{,6} (sourced by bin/devc-agent): no extra
# packages needed. Each function takes the folder holding tcp and tcp6 (/proc/net, this network
# namespace's), so tests can point it at fixtures.

# The tables of folder $1 that can be read, one a line.
tcp_tables() { for f in "$1/tcp" "$1/tcp6"; do [ -r "$f" ] && echo "$f"; done; }
hexport() { printf ':%04X' "$1"; }

# Exit 0 if something listens on each given port: listening DIR PORT...
listening() {
  _dir=$1
  shift
  # shellcheck disable=SC2046 # one word per table; the folder has no spaces
  awk -v want="$(for p in "$@"; do hexport "$p"; done)" '
    $4 == "0A" { l = substr($2, length($2) - 4); if (index(want, l)) seen[l] = 1 }
    END { n = 0; for (k in seen) n++; exit (n == length(want) / 5) ? 0 : 1 }' $(tcp_tables "$_dir")
}

# Prints the number of established inbound connections to the given ports (sshd's and code-server's:
# SSH sessions, browser tabs): active_connections DIR PORT...
active_connections() {
  _dir=$1
  shift
  # shellcheck disable=SC2046 # one word per table; the folder has no spaces
  awk -v want="$(for p in "$@"; do hexport "$p"; done)" '
    $4 == "01" { l = substr($2, length($2) - 4); if (index(want, l)) n++ }
    END { print n + 0 }' $(tcp_tables "$_dir")
}
