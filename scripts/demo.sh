#!/usr/bin/env bash
# The main job, on a fresh machine: start a real workspace from the example repository in this project
# and show it working. Leaves the workspace running: `./bin/devc ssh -w hello-devc` to step in.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prepare.sh

# Serve examples/hello-devc as a real git repository (devc clones it like any remote).
repo="${XDG_CACHE_HOME:-$HOME/.cache}/devc/demo/hello-devc.git"
rm -rf "$repo" "$repo.work" && mkdir -p "$repo.work"
cp -R examples/hello-devc/. "$repo.work/"
git -C "$repo.work" init -q -b main
git -C "$repo.work" add -A
git -C "$repo.work" -c user.name=devc -c user.email=demo@devc.invalid commit -q -m "hello-devc example"
git clone -q --bare "$repo.work" "$repo" && rm -rf "$repo.work"
git -C "$repo" config uploadpack.allowFilter true

./bin/devc up "file://$repo" --name hello-devc
echo
echo "\$ devc ssh -w hello-devc -- uname -a"
./bin/devc ssh -w hello-devc -- uname -a
echo "\$ devc ssh -w hello-devc -- ./hello.sh"
./bin/devc ssh -w hello-devc -- ./hello.sh
echo "\$ devc list"
./bin/devc list
