#!/usr/bin/env bash
# `devc dashboard`'s first frame against `devc list`, side by side (target ≤ 1.5×). `--once` prints the
# frame the dashboard draws first, from its first list, before ink and React load (dashboard-tty.sh
# times both frames in a real terminal); both list one workspace of ours plus whatever else the engine
# holds, the same for both.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
RUNS=${RUNS:-20}
export DEVC_HOME CI=1
DEVC_HOME=$(mktemp -d /tmp/devc-bench-home-XXXXXX)
work=$(mktemp -d /tmp/devc-bench-repo-XXXXXX)
name="bench-dash-$$"
cleanup() {
  ./bin/devc delete -w "$name" --force >/dev/null 2>&1 || true
  rm -rf "$DEVC_HOME" "$work"
}
trap cleanup EXIT

git init -q -b main "$work/src" && echo "# bench" >"$work/src/README.md"
git -C "$work/src" add -A && git -C "$work/src" -c user.name=b -c user.email=b@example.invalid commit -qm init
./bin/devc up "$work/src" --name "$name" --idle-timeout 0 >/dev/null 2>&1

hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$RESULTS/dashboard.json" \
  './bin/devc list' './bin/devc dashboard --once' >&2
ratio 'dashboard first frame vs devc list' "$RESULTS/dashboard.json"
