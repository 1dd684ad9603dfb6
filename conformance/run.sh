#!/usr/bin/env bash
# Start a throwaway Tidemill server and run the Go conformance program
# against it. Extra arguments go to the program (e.g. -execution, -v).
#
#   bash conformance/run.sh [-execution=false] [-v] [-only auth,batch]
#
# VENV (default: .venv in the repo root) must contain the `tidemill` CLI.
# Exits with the conformance program's status.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
case "$VENV" in /*) ;; *) VENV="$ROOT/$VENV" ;; esac
TIDEMILL="$VENV/bin/tidemill"
[ -x "$TIDEMILL" ] || { echo "run.sh: $TIDEMILL not found (set VENV)" >&2; exit 2; }
command -v go >/dev/null || { echo "run.sh: go not found" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tidemill-conformance.XXXXXX")"
D="$WORK/data"
mkdir -p "$D"
SERVER_PID=""

HDFS_DIR=""

cleanup() {
	if [ -n "$HDFS_DIR" ]; then
		"$ROOT/scripts/hdfs.sh" stop "$HDFS_DIR" >/dev/null 2>&1 || true
	fi
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [ -z "${KEEP_WORK:-}" ]; then
		rm -rf "$WORK"
	else
		echo "run.sh: kept $WORK" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Keys: {"account":..,"accessKey":..,"secretKey":..}
KEYS_JSON="$("$TIDEMILL" keys create --account conformance --data-dir "$D")"
read -r AK SK < <(printf '%s' "$KEYS_JSON" | python3 -c '
import json, sys
k = json.load(sys.stdin)
print(k["accessKey"], k["secretKey"])')
[ -n "$AK" ] && [ -n "$SK" ] || { echo "run.sh: could not parse keys from: $KEYS_JSON" >&2; exit 2; }

# The bucket the execution and schema checks read: a local bucket of the conformance account
# (<data dir>/kodo/<account>/<bucket>), and the one most exports write to (a kodo export must
# name an existing bucket). The export checks also write to a fresh bucket per run, which
# TIDEMILL_EXPORTS__CREATE_BUCKETS lets the batch create.
mkdir -p "$D/kodo/conformance/conformance-bkt/logs" "$D/kodo/conformance/conformance-out"
cat >"$D/kodo/conformance/conformance-bkt/logs/a.json" <<'JSON'
{"a": 1, "b": "x", "c": 1.5, "d": "2026-11-23T10:00:00+08:00", "e": true}
{"a": 2, "b": "y", "c": 2.5, "d": "2026-11-23T11:00:00+08:00", "e": false}
JSON

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The hdfs and exports groups need an HDFS (an hdfs export is created only when its namenode
# answers): start one (scripts/hdfs.sh) only when one of them runs and TIDEMILL_HDFS_URL does
# not name one already.
need_hdfs=1
only=""
prev=""
for arg in "$@"; do
	case "$arg" in
	-execution=false | --execution=false) need_hdfs=0 ;;
	-only=* | --only=*) only="${arg#*=}" ;;
	esac
	case "$prev" in -only | --only) only="$arg" ;; esac
	prev="$arg"
done
if [ -n "$only" ]; then
	case ",$only," in *,hdfs,* | *,exports,*) ;; *) need_hdfs=0 ;; esac
fi
if [ "$need_hdfs" = 1 ] && [ -z "${TIDEMILL_HDFS_URL:-}" ]; then
	HDFS_DIR="$WORK/hdfs"
	mkdir -p "$HDFS_DIR"
	TIDEMILL_HDFS_URL="$("$ROOT/scripts/hdfs.sh" start "$HDFS_DIR" "$(free_port)")" || {
		echo "run.sh: could not start HDFS (scripts/hdfs.sh)" >&2
		exit 2
	}
fi
export TIDEMILL_HDFS_URL="${TIDEMILL_HDFS_URL:-}"

# The fusion group writes a small CDN-log corpus here, which the server reads as its log root.
export TIDEMILL_FUSION_DIR="$WORK/cdn"
mkdir -p "$TIDEMILL_FUSION_DIR"

PORT="$(free_port)"
LOG="$WORK/server.log"
TIDEMILL_EXPORTS__CREATE_BUCKETS=true TIDEMILL_FUSION__URL="file://$TIDEMILL_FUSION_DIR" \
	"$TIDEMILL" serve --data-dir "$D" --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
SERVER_PID=$!

# Wait up to 120 s for the port to accept connections (a loaded machine is slow to start it).
up=""
for _ in $(seq 1 1200); do
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		echo "run.sh: server exited early; log:" >&2
		cat "$LOG" >&2
		exit 2
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
		up=1
		break
	fi
	sleep 0.1
done
[ -n "$up" ] || { echo "run.sh: server did not listen on $PORT within 120 s; log:" >&2; cat "$LOG" >&2; exit 2; }

BIN="$WORK/conformance"
(cd "$ROOT/conformance/go" && GOFLAGS=-mod=mod GOPROXY=off go build -o "$BIN" .)

status=0
TIDEMILL_URL="http://127.0.0.1:$PORT" TIDEMILL_ACCESS_KEY="$AK" TIDEMILL_SECRET_KEY="$SK" \
	"$BIN" "$@" || status=$?
if [ "$status" -ne 0 ] && [ -n "${SHOW_SERVER_LOG:-}" ]; then
	echo "---- server log ----" >&2
	cat "$LOG" >&2
fi
exit "$status"
