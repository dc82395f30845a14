#!/usr/bin/env bash
# `make run`: runs the daemon on the shipped config. When nothing answers on 127.0.0.1:6379 it
# starts a throw-away redis-server there (no persistence), so a newcomer sees live numbers; that
# redis-server is stopped by PID when the daemon exits.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=build/redis-timeout-exporter
config=${CONFIG:-config/redis-timeout-exporter.yaml}
listen=${LISTEN:-:9478}
log() { echo "ts=$(date -u +%Y-%m-%dT%H:%M:%S.000Z) level=info $*" >&2; }

redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ] && kill -0 "$redis_pid" 2>/dev/null; then
    kill "$redis_pid"
    log "event=throwaway_redis_stopped pid=$redis_pid"
  fi
}
trap cleanup EXIT

if [ "$(timeout 2 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null || true)" != "PONG" ] &&
   ! timeout 2 redis-cli -h 127.0.0.1 -p 6379 ping 2>&1 | grep -q NOAUTH; then
  workdir=$(mktemp -d /tmp/rte-redis.XXXXXX)
  redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir "$workdir" \
    --daemonize no --logfile "$workdir/redis.log" &
  redis_pid=$!
  for _ in $(seq 50); do
    [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null || true)" = "PONG" ] && break
    sleep 0.1
  done
  log "event=throwaway_redis_started pid=$redis_pid address=127.0.0.1:6379 dir=$workdir" \
      "note=\"nothing answered on 127.0.0.1:6379; this redis-server stops with make run\""
fi

log "event=run config=$config metrics=http://localhost:${listen##*:}/metrics"
"$binary" --config.file="$config" --web.listen-address="$listen" "$@" &
exporter_pid=$!
trap 'kill -TERM $exporter_pid 2>/dev/null || true' INT TERM
wait $exporter_pid || true
