#!/usr/bin/env bash
# Runs a repository's tests inside its devcontainer with devc, then deletes the workspace, pass or fail.
# The script form of devc-test.yml, for any CI system.
#
#   run-tests.sh [REPO] [-- COMMAND...]    REPO: a folder or a repository reference (default: .)
#   TEST_COMMAND="npm test"                 run with `sh -c` when no COMMAND is given
#
# Exit code: the tests' own; devc's (1 error, 2 usage, 4 authentication) when the workspace can't be made.
set -euo pipefail

repo=.
if [ $# -gt 0 ] && [ "$1" != -- ]; then
  repo=$1
  shift
fi
if [ "${1:-}" = -- ]; then shift; fi
if [ $# -eq 0 ]; then set -- sh -c "${TEST_COMMAND:-npm test}"; fi

# No terminal games in logs: no spinners, no colour, no prompts (a missing choice fails naming the flag).
export CI=${CI:-true}

result=$(devc up "$repo" --json)
# devc needs Node, so Node is here to read its JSON (jq may not be).
name=$(printf '%s' "$result" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => process.stdout.write(JSON.parse(s).name))')
echo "Workspace $name is up; running the tests in it." >&2

# The workspace goes whatever happens; the script still exits with the tests' code.
trap 'devc delete -w "$name" --force >&2' EXIT
devc exec -w "$name" -- "$@"
