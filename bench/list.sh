#!/usr/bin/env bash
# `devc list` with 50 stopped workspaces vs `docker ps -a` with the same label filter; target ≤ 300 ms.
# One real workspace is made with `devc up` and stopped; 49 more are `docker create`d with its labels
# (a new name each): stopped containers are cheap, and `list` reads only the engine's answer.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
name=bench-list
bench_home
trap 'bench_cleanup; docker ps -aq --filter label=dev.devc.workspace | while read -r id; do
  case "$(docker inspect -f "{{index .Config.Labels \"dev.devc.workspace\"}}" "$id")" in bench-list-*) docker rm -f "$id" >/dev/null ;; esac
done' EXIT
bench_repo "$work/$name"
./bin/devc up "$work/$name" --name "$name" >/dev/null 2>&1
./bin/devc stop -w "$name" >/dev/null 2>&1
image=$(docker inspect -f '{{.Config.Image}}' "devc-$name")
labels=$(docker inspect -f '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}}{{"\n"}}{{end}}' "devc-$name" | grep '^dev\.devc\.' | grep -v '^dev\.devc\.workspace=')
for i in $(seq 1 49); do
  args=()
  while IFS= read -r l; do args+=(--label "$l"); done <<<"$labels"
  docker create -q --name "devc-$name-$i" "${args[@]}" --label "dev.devc.workspace=$name-$i" "$image" true >/dev/null
done
count=$(./bin/devc list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).length))')
[ "$count" -ge 50 ] || { echo "devc list saw $count workspaces, expected 50" >&2; exit 1; }
hyperfine -N --warmup 2 --runs 20 --export-json "$RESULTS/list.json" \
  -n 'docker ps -a (label filter)' "docker ps -a --filter label=dev.devc.workspace" \
  -n 'devc list (50 workspaces)' "./bin/devc list" >&2
ratio "docker: devc list with 50 stopped workspaces vs docker ps -a (same filter)" "$RESULTS/list.json"
