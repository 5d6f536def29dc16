#!/usr/bin/env bash
# Serve the example app from one local container: start the engine and the container, run playbooks/site.yml.
# usage: demo.sh PORT | demo.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."

container=wsgi-stack-demo
image=local/debian:bookworm

if [ "${1:-}" = stop ]; then
  docker rm -f "$container" >/dev/null 2>&1 && echo "demo: container removed" || echo "demo: no container"
  scripts/engine.sh stop
  exit 0
fi

port=${1:-8080}
[[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || { echo "demo: bad port '$port'" >&2; exit 2; }

scripts/engine.sh start
scripts/images.sh bookworm
if ! docker container inspect "$container" >/dev/null 2>&1; then
  docker run --detach --name "$container" --hostname "$container" \
    --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
    --network host "$image" /lib/systemd/systemd >/dev/null
fi
docker start "$container" >/dev/null
for _ in $(seq 1 30); do
  state=$(docker exec "$container" systemctl is-system-running 2>/dev/null || true)
  case $state in running|degraded) break ;; esac
  sleep 1
done

ansible-playbook -i examples/demo/hosts.yml playbooks/site.yml -e "nginx_http_port=$port"
echo
echo "demo: the example app is served at http://127.0.0.1:$port/  (stop it with: make demo-stop)"
