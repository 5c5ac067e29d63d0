#!/usr/bin/env bash
# Start a Docker engine suitable for CI sandboxes: no iptables, no bridge
# (containers use host networking on loopback), vfs storage (works without
# overlayfs). Idempotent: does nothing when `docker info` already succeeds.
set -euo pipefail

log_file="${DOCKERD_LOG:-/tmp/oauth-gameday-dockerd.log}"
pid_file="${DOCKERD_PIDFILE:-/tmp/oauth-gameday-dockerd.pid}"
wait_seconds="${DOCKERD_WAIT_SECONDS:-60}"

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
  echo "start-docker: installing docker.io"
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq docker.io
fi

if docker info >/dev/null 2>&1; then
  echo "start-docker: engine already running"
  exit 0
fi

echo "start-docker: starting dockerd (log: $log_file)"
# setsid: the engine must outlive this script and must not receive the
# caller's Ctrl-C; stop-docker.sh stops it by the pid recorded here.
sudo_if_needed setsid dockerd \
  --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
  --pidfile "$pid_file" >"$log_file" 2>&1 < /dev/null &

deadline=$((SECONDS + wait_seconds))
until docker info >/dev/null 2>&1; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "start-docker: dockerd did not answer 'docker info' within ${wait_seconds}s; last log lines:" >&2
    tail -n 30 "$log_file" >&2 || true
    exit 1
  fi
  sleep 1
done
echo "start-docker: engine ready after $((SECONDS))s ($(docker version --format '{{.Server.Version}}'))"
