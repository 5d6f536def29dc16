#!/usr/bin/env bash
# Run Molecule scenarios one after another (they share the host's loopback), timing each.
# usage: molecule.sh [scenario]   default: every scenario under molecule/
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -gt 0 ] && [ -n "$1" ]; then
  scenarios=("$1")
else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
fi

log=$(mktemp)
started_engine=false
# Stop the engine at the end only if this run started it.
trap 'rm -f "$log"; if $started_engine; then scripts/engine.sh stop; fi' EXIT
if ! docker info >/dev/null 2>&1; then
  scripts/engine.sh start
  started_engine=true
fi
scripts/images.sh
# The load tool the deploy tests count requests with.
command -v wrk >/dev/null 2>&1 || {
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}

report=()
for scenario in "${scenarios[@]}"; do
  echo "=== molecule test -s $scenario"
  start=$(date +%s)
  if ! molecule test -s "$scenario" 2>&1 | tee "$log"; then
    # Molecule's own recap follows the tests' summary: repeat the summary last, where a short log tail still shows it.
    echo "=== $scenario failed after $(( $(date +%s) - start )) s; the tests' summary:"
    sed 's/\x1b\[[0-9;]*m//g' "$log" | sed -n '/short test summary info/,/Return code/p'
    printf '%s\n' "${report[@]}"
    exit 1
  fi
  report+=("$scenario: $(( $(date +%s) - start )) s")
done
printf '=== scenario times\n'
printf '%s\n' "${report[@]}"
