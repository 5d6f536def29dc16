#!/usr/bin/env bash
# Start or stop the container engine the test bench uses: host networking only, no bridge, no iptables.
# usage: engine.sh start|stop   (stop ends only an engine this script started, by its PID)
set -euo pipefail

state_dir=${WSGI_STACK_STATE_DIR:-/var/tmp/wsgi-stack}
pid_file=$state_dir/dockerd.pid
log_file=$state_dir/dockerd.log

engine_answers() { docker info >/dev/null 2>&1; }

install_engine() {
  command -v dockerd >/dev/null 2>&1 && return 0
  echo "engine: installing Debian's docker.io"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
}

start() {
  mkdir -p "$state_dir"
  if engine_answers; then
    echo "engine: already answering"
    return 0
  fi
  install_engine
  echo "engine: starting dockerd (log: $log_file)"
  dockerd --bridge=none --iptables=false --ip6tables=false >"$log_file" 2>&1 &
  echo $! >"$pid_file"
  for _ in $(seq 1 60); do
    engine_answers && { echo "engine: ready"; return 0; }
    kill -0 "$(cat "$pid_file")" 2>/dev/null || break
    sleep 1
  done
  echo "engine: dockerd did not answer; last log lines:" >&2
  tail -n 20 "$log_file" >&2
  return 1
}

stop() {
  [ -f "$pid_file" ] || { echo "engine: not started by this project, left running"; return 0; }
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    echo "engine: stopping dockerd (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -f "$pid_file"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
