#!/usr/bin/env bash
# Run the benchmark: the engine, the Debian 12 image and wrk if missing, then bench.py with these options.
# usage: run.sh [--duration SECONDS] [--repeat N] [--connections N] [--threads N] [--out DIR] [--keep] [--connection docker|ssh] [--ansible-only [--flavour F]...]
set -euo pipefail
cd "$(dirname "$0")/.."

# Run directly, it uses the same venv and collection link as make.
export PATH=$PWD/.venv/bin:$PATH
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$PWD/.cache/collections}

# Stop the engine at the end only if this run started it.
if ! docker info >/dev/null 2>&1; then
  scripts/engine.sh start
  trap 'scripts/engine.sh stop' EXIT
fi
scripts/images.sh bookworm
# wrk loads the stack; ssh-keygen makes the key of --connection ssh.
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 bench/bench.py "$@"
