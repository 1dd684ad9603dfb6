#!/usr/bin/env bash
# Start or stop a throwaway InfluxDB 1.x (Debian package influxdb) for the tsdb export tests.
#   scripts/influxdb.sh start DIR PORT   -> prints the URL once /ping answers
#   scripts/influxdb.sh stop DIR
# Both of its ports (HTTP and the RPC/backup bind address) are on loopback.
set -euo pipefail

cmd=${1:?usage: influxdb.sh start DIR PORT | stop DIR}
dir=${2:?data directory}
case "$cmd" in
  start)
    port=${3:?port}
    command -v influxd >/dev/null || { echo "influxd is not installed: run 'make services'" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    rpc=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$port"
  log-enabled = false
[monitor]
  store-enabled = false
CONF
    setsid influxd run -config "$dir/influxdb.conf" >"$dir/influxd.log" 2>&1 </dev/null &
    echo $! >"$dir/influxd.pid"
    for _ in $(seq 1 200); do
      if curl -fs "http://127.0.0.1:$port/ping" >/dev/null 2>&1; then
        echo "http://127.0.0.1:$port"
        exit 0
      fi
      kill -0 "$(cat "$dir/influxd.pid")" 2>/dev/null || break
      sleep 0.1
    done
    echo "influxd did not start; see $dir/influxd.log" >&2
    tail -n 20 "$dir/influxd.log" >&2 || true
    exit 1
    ;;
  stop)
    [ -f "$dir/influxd.pid" ] || exit 0
    pid=$(cat "$dir/influxd.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$dir/influxd.pid"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
