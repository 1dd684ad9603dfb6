#!/usr/bin/env bash
# Start or stop a throwaway Spark standalone cluster (one master, one worker) on loopback, from
# the pyspark package's own jars (spark-class; pyspark 3.5.9 is in the dev group).
#   scripts/spark.sh start DIR PORT   -> prints TIDEMILL_SPARK__URL=spark://127.0.0.1:PORT
#   scripts/spark.sh stop DIR
# The worker offers SPARK_WORKER_CORES (default 1) cores and SPARK_WORKER_MEMORY (default 1g);
# logs, pids and the worker's directory are kept in DIR. A second start on one DIR is refused.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${TIDEMILL_VENV:-$root/.venv}
spark_home=$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')

running_pid() {
  # The PID in DIR/$1.pid, if that process is still our $1 for DIR.
  local pid
  [ -f "$dir/$1.pid" ] || return 1
  pid=$(cat "$dir/$1.pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/$1.conf" || return 1
  echo "$pid"
}

launch() {  # launch NAME CLASS ARGS...: a daemon whose command line names DIR/NAME.conf
  local name=$1 class=$2
  shift 2
  : >"$dir/$name.conf"
  SPARK_HOME=$spark_home SPARK_LOCAL_IP=127.0.0.1 SPARK_LOG_DIR=$dir \
    nohup "$spark_home/bin/spark-class" "$class" --properties-file "$dir/$name.conf" "$@" \
    >"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
}

wait_port() {  # wait_port PORT SECONDS
  local deadline=$((SECONDS + $2))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "nothing listens on $1 after $2 s; see $dir" >&2; exit 1; }
    sleep 0.5
  done
}

cmd=${1:?usage: spark.sh start DIR PORT | stop DIR}
dir=${2:?directory}
[ "$cmd" = start ] && mkdir -p "$dir"
[ -d "$dir" ] || exit 0  # stop: nothing was started there
dir=$(cd "$dir" && pwd)

case "$cmd" in
  start)
    port=${3:?port}
    if running_pid master >/dev/null || running_pid worker >/dev/null; then
      echo "a Spark cluster already runs on $dir: stop it first" >&2
      exit 1
    fi
    launch master org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port "$port" --webui-port 0
    wait_port "$port" 120
    launch worker org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --webui-port 0 --work-dir "$dir/work" \
      --cores "${SPARK_WORKER_CORES:-1}" --memory "${SPARK_WORKER_MEMORY:-1g}" \
      "spark://127.0.0.1:$port"
    deadline=$((SECONDS + 120))
    until grep -q "Successfully registered with master" "$dir/worker.log" 2>/dev/null; do
      [ $SECONDS -lt $deadline ] || { echo "the worker did not register; see $dir" >&2; exit 1; }
      sleep 0.5
    done
    echo "TIDEMILL_SPARK__URL=spark://127.0.0.1:$port"
    ;;
  stop)
    for name in worker master; do
      if pid=$(running_pid "$name"); then
        kill "$pid"
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -9 "$pid" 2>/dev/null || true
      fi
      rm -f "$dir/$name.pid"
    done
    ;;
  *)
    echo "usage: spark.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
