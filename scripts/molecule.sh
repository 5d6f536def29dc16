#!/usr/bin/env bash
# Run Molecule scenarios in lanes side by side (no two scenarios share a port or a container name), timing each.
# usage: molecule.sh [scenario]   default: every scenario under molecule/
# WSGI_STACK_LANES (default 2) sets how many scenarios run at once; each lane keeps its own package cache, since
# apt inside two containers cannot share one archive directory.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -gt 0 ] && [ -n "$1" ]; then
  scenarios=("$1")
else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
fi
lanes=${WSGI_STACK_LANES:-2}
[[ $lanes =~ ^[1-9]$ ]] || { echo "WSGI_STACK_LANES must be a number from 1 to 9; got '$lanes'" >&2; exit 2; }
cache_dir=${WSGI_STACK_CACHE_DIR:-/var/tmp/wsgi-stack/cache}

work=$(mktemp -d)
started_engine=false
lane_pids=()
# Stop the lanes if this run is cut short, and the engine only if this run started it.
trap 'for pid in "${lane_pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait; rm -rf "$work"
      if $started_engine; then scripts/engine.sh stop; fi' EXIT
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

printf '%s\n' "${scenarios[@]}" >"$work/queue"

# Print the next scenario and take it off the queue; nothing once the queue is empty or a scenario failed.
next_scenario() {
  (
    flock 9
    [ -e "$work/failed" ] && exit 0
    head -n 1 "$work/queue"
    sed -i 1d "$work/queue"
  ) 9>"$work/queue.lock"
}

run_lane() {
  local lane=$1 scenario start result
  while scenario=$(next_scenario) && [ -n "$scenario" ]; do
    echo "=== lane $lane: molecule test -s $scenario"
    start=$(date +%s)
    # A scenario's output is printed whole once it ends, so that two lanes do not interleave their lines.
    if WSGI_STACK_CACHE_DIR=$cache_dir/lane$lane molecule test -s "$scenario" >"$work/$scenario.log" 2>&1; then
      result="$scenario: $(( $(date +%s) - start )) s"
    else
      result="$scenario: failed after $(( $(date +%s) - start )) s"
      touch "$work/failed"
    fi
    (flock 9; cat "$work/$scenario.log"; echo "=== lane $lane: $result"; echo "$result" >>"$work/times") 9>"$work/output.lock"
  done
}

for lane in $(seq 1 "$lanes"); do
  run_lane "$lane" &
  lane_pids+=($!)
done
wait "${lane_pids[@]}"
lane_pids=()

if [ -e "$work/failed" ]; then
  # Molecule's own recap follows the tests' summary: repeat the summaries last, where a short log tail still shows them.
  for scenario in "${scenarios[@]}"; do
    grep -q "^$scenario: failed" "$work/times" 2>/dev/null || continue
    echo "=== $scenario failed; the tests' summary:"
    sed 's/\x1b\[[0-9;]*m//g' "$work/$scenario.log" | sed -n '/short test summary info/,/Return code/p'
  done
  echo "=== scenario times"
  cat "$work/times"
  exit 1
fi
echo "=== scenario times"
cat "$work/times"
