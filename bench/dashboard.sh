#!/usr/bin/env bash
# `devc dashboard`'s first frame against `devc list`, side by side (target ≤ 1.5×). `--once` prints the
# frame the dashboard draws first, from its first list, before ink and React load (dashboard-tty.sh
# times both frames in a real terminal); both list one workspace of ours plus whatever else the engine
# holds, the same for both.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
RUNS=${RUNS:-20}
name="bench-dash-$$"
bench_home
bench_repo "$work/src"
./bin/devc up "$work/src" --name "$name" --idle-timeout 0 >/dev/null 2>&1

hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$RESULTS/dashboard.json" \
  './bin/devc list' './bin/devc dashboard --once' >&2
ratio 'dashboard first frame vs devc list' "$RESULTS/dashboard.json"
