#!/usr/bin/env bash
# `devc dashboard` in a real terminal (tmux): time until its first frame is on screen, and until the
# live (ink) frame replaces it, against `devc list` in the same terminal. Screens are polled, so each
# figure carries a few ms of polling. Prints two table rows (means of RUNS runs).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
RUNS=${RUNS:-5}
command -v tmux >/dev/null || { apt-get install -y -qq tmux >/dev/null; }
sock="devc-bench-$$"
T() { tmux -L "$sock" "$@"; }
trap 'T kill-server 2>/dev/null || true' EXIT
T -f /dev/null new-session -d -s b -x 100 -y 30 "env -u CI PS1='BENCH\$ ' bash --norc --noprofile"
sleep 1
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
wait_for() { # PATTERN START: polls the screen until PATTERN shows (15 s at most); prints the ms taken
  while :; do
    T capture-pane -p -t b | grep -q "$1" && { ms "$2"; return; }
    [ "$(ms "$2")" -gt 15000 ] && { echo 15000; return; }
  done
}
first=0 live=0 list=0
for _ in $(seq "$RUNS"); do
  T send-keys -t b 'clear' Enter && sleep 0.5
  start=$(date +%s%N)
  T send-keys -t b './bin/devc dashboard' Enter
  first=$((first + $(wait_for '^  NAME ' "$start")))
  live=$((live + $(wait_for '●' "$start")))
  T send-keys -t b q && sleep 1
  T send-keys -t b 'clear' Enter && sleep 0.5
  start=$(date +%s%N)
  T send-keys -t b './bin/devc list; echo LIST-DONE' Enter
  list=$((list + $(wait_for '^LIST-DONE' "$start")))
done
awk -v f="$first" -v l="$live" -v b="$list" -v n="$RUNS" 'BEGIN {
  printf "| dashboard first frame in a terminal vs devc list | %.0f ms | %.0f ms | %.2f× |\n", f / n, b / n, f / b
  printf "| dashboard live (ink) frame in a terminal vs devc list | %.0f ms | %.0f ms | %.2f× |\n", l / n, b / n, l / b
}'
