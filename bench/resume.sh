#!/usr/bin/env bash
# Resuming a stopped workspace (`devc start`, and `devc up` on it) against `docker start` of the same
# container, side by side (target ≤ 2.5×). devc waits until sshd answers and pins the host key;
# `docker start` returns once the process runs: the ratio is the price of "ready", not just "started".
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
RUNS=${RUNS:-10}
name="bench-resume-$$"
bench_home
bench_repo "$work/src"
git clone -q --bare "$work/src" "$work/repo.git"
./bin/devc up "file://$work/repo.git" --name "$name" --idle-timeout 0 >/dev/null 2>&1

stop="docker stop --time 10 devc-$name"
hyperfine -N --warmup 1 --runs "$RUNS" --prepare "$stop" --export-json "$RESULTS/resume-start.json" \
  "docker start devc-$name" "./bin/devc start -w $name" >&2
ratio 'resume: devc start vs docker start' "$RESULTS/resume-start.json"
hyperfine -N --warmup 1 --runs "$RUNS" --prepare "$stop" --export-json "$RESULTS/resume-up.json" \
  "docker start devc-$name" "./bin/devc up file://$work/repo.git" >&2
ratio 'resume: devc up (stopped workspace) vs docker start' "$RESULTS/resume-up.json"
