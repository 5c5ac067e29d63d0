#!/usr/bin/env bash
# Stop the engine started by start-docker.sh (by its pid file), leaving any
# engine this script did not start alone. Removes containers we left behind.
set -euo pipefail

pid_file="${DOCKERD_PIDFILE:-/tmp/oauth-gameday-dockerd.pid}"

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ! -s "$pid_file" ]; then
  echo "stop-docker: no pid file at $pid_file; nothing to stop"
  exit 0
fi
pid="$(cat "$pid_file")"
if ! kill -0 "$pid" 2>/dev/null; then
  echo "stop-docker: dockerd ($pid) is not running"
  rm -f "$pid_file"
  exit 0
fi

leftover="$(docker ps -aq --filter label=org.oauth-gameday.component 2>/dev/null || true)"
if [ -n "$leftover" ]; then
  echo "stop-docker: removing leftover containers: $(echo "$leftover" | tr '\n' ' ')"
  # shellcheck disable=SC2086
  docker rm -f $leftover >/dev/null 2>&1 || true
fi

echo "stop-docker: stopping dockerd ($pid)"
sudo_if_needed kill -TERM "$pid"
for _ in $(seq 1 30); do
  kill -0 "$pid" 2>/dev/null || { echo "stop-docker: stopped"; exit 0; }
  sleep 1
done
echo "stop-docker: dockerd ($pid) still alive after 30s; sending SIGKILL" >&2
sudo_if_needed kill -KILL "$pid" || true
