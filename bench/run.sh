#!/usr/bin/env bash
# Runs every benchmark and prints the table the README carries. Needs the Docker engine (scripts/prepare.sh).
set -euo pipefail
cd "$(dirname "$0")"
echo "| benchmark | devc | baseline | ratio |"
echo "|---|---|---|---|"
for b in version.sh resume.sh list.sh dashboard.sh dashboard-tty.sh forward.sh forwarder-memory.sh k8s.sh; do bash "$b"; done
