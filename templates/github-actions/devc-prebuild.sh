#!/usr/bin/env bash
# Prebuilds a repository's devcontainer image and pushes it, tagged by its content hash: the script
# form of devc-prebuild.yml, for any CI system. An unchanged config is a no-op.
#
#   devc-prebuild.sh [REPO]        REPO: a folder or a repository reference (default: .)
#   DEVC_REGISTRY                  where it goes (else the config's customizations.devc.prebuildRegistry)
#   REGISTRY_USERNAME, REGISTRY_PASSWORD   a login for DEVC_REGISTRY's host (docker login; optional)
#
# Prints prebuild's JSON: {"outcome","image","digest","hash","pushed","cached"}. Exit code: devc's.
set -euo pipefail
repo=${1:-.}

# No terminal games in logs: no spinners, no colour, no prompts.
export CI=${CI:-true}

if [ -n "${REGISTRY_USERNAME:-}" ]; then
  : "${DEVC_REGISTRY:?DEVC_REGISTRY names the registry to log in to}"
  # The password goes on stdin: never in argv or the log.
  printf '%s' "${REGISTRY_PASSWORD:-}" |
    docker login "${DEVC_REGISTRY%%/*}" --username "$REGISTRY_USERNAME" --password-stdin >&2
fi
devc prebuild "$repo" --push --json
