#!/usr/bin/env bash
# Run the Molecule scenarios and the benchmark's short run in lanes side by side (no two share a port or a container
# name), the longest first by their last times, timing each.
# usage: suite.sh [job...]   a job is a scenario under molecule/ or bench-smoke; default: every scenario and bench-smoke
# WSGI_STACK_LANES (default 2) sets how many jobs run at once; each lane keeps its own package cache, since apt inside
# two containers cannot share one archive directory.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -gt 0 ]; then
  jobs=("$@")
else
  mapfile -t jobs < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename | sort)
  jobs+=(bench-smoke)
fi
lanes=${WSGI_STACK_LANES:-2}
[[ $lanes =~ ^[1-9]$ ]] || { echo "WSGI_STACK_LANES must be a number from 1 to 9; got '$lanes'" >&2; exit 2; }
cache_dir=${WSGI_STACK_CACHE_DIR:-/var/tmp/wsgi-stack/cache}
# Each job's last passing time, in seconds: the queue starts with the longest, so that no lane idles at the end.
times_dir=$cache_dir/times
mkdir -p "$times_dir"

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
# wrk: the load the deploy tests count requests with; ssh: the release scenario reaches its host as users do.
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# A job never timed comes first (it may well be the longest); jobs never timed keep their order.
for job in "${jobs[@]}"; do
  printf '%s %s\n' "$(cat "$times_dir/$job" 2>/dev/null || echo 999999)" "$job"
done | sort -s -k1,1nr | cut -d' ' -f2 >"$work/queue"

# Print the next job and take it off the queue; nothing once the queue is empty or a job failed.
next_job() {
  (
    flock 9
    [ -e "$work/failed" ] && exit 0
    head -n 1 "$work/queue"
    sed -i 1d "$work/queue"
  ) 9>"$work/queue.lock"
}

# The benchmark once, briefly, so that it cannot rot; no figure is checked, and its results stay out of bench/results.
run_job() {
  if [ "$1" = bench-smoke ]; then
    bench/run.sh --duration 2 --repeat 1 --out "$PWD/.cache/bench-smoke"
  else
    molecule test -s "$1"
  fi
}

run_lane() {
  local lane=$1 job start seconds result
  while job=$(next_job) && [ -n "$job" ]; do
    echo "=== lane $lane: $job"
    start=$(date +%s)
    # A job's output is printed whole once it ends, so that two lanes do not interleave their lines.
    if WSGI_STACK_CACHE_DIR=$cache_dir/lane$lane run_job "$job" >"$work/$job.log" 2>&1; then
      seconds=$(( $(date +%s) - start ))
      echo "$seconds" >"$times_dir/$job"
      result="$job: $seconds s"
    else
      result="$job: failed after $(( $(date +%s) - start )) s"
      touch "$work/failed"
    fi
    (flock 9; cat "$work/$job.log"; echo "=== lane $lane: $result"; echo "$result" >>"$work/times") 9>"$work/output.lock"
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
  for job in "${jobs[@]}"; do
    grep -q "^$job: failed" "$work/times" 2>/dev/null || continue
    echo "=== $job failed; the tests' summary:"
    sed 's/\x1b\[[0-9;]*m//g' "$work/$job.log" | sed -n '/short test summary info/,/Return code/p'
  done
  echo "=== times"
  cat "$work/times"
  exit 1
fi
echo "=== times"
cat "$work/times"
