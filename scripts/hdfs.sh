#!/usr/bin/env bash
# Start or stop a real HDFS for the tests: Hadoop's MiniDFSCluster (a namenode and a datanode in
# one JVM; jars from Maven Central) with its namenode on a loopback port.
#   scripts/hdfs.sh build            -> resolve the jars and compile the launcher (cached)
#   scripts/hdfs.sh start DIR PORT   -> prints hdfs://127.0.0.1:PORT once the namenode answers
#   scripts/hdfs.sh stop DIR
# DIR keeps the file system (DIR/cluster, formatted on the first start, reused after), the log
# (DIR/hdfs.log) and the JVM's PID (DIR/hdfs.pid). Needs java (17) and mvn ('make services').
# The build lives in .services/hdfs (TIDEMILL_HDFS_BUILD overrides it).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=$root/scripts/hdfs
build=${TIDEMILL_HDFS_BUILD:-$root/.services/hdfs}
launcher=$src/src/tidemill/HdfsCluster.java

do_build() {
  if [ -f "$build/classes/tidemill/HdfsCluster.class" ] && [ -f "$build/stamp" ] \
      && cmp -s "$build/stamp" <(cat "$src/pom.xml" "$launcher"); then
    return
  fi
  command -v mvn >/dev/null || { echo "mvn is not installed: run 'make services'" >&2; exit 1; }
  command -v javac >/dev/null || { echo "a JDK is not installed: run 'make services'" >&2; exit 1; }
  rm -rf "$build" && mkdir -p "$build/classes"
  mvn -q -B -f "$src/pom.xml" dependency:copy-dependencies -DoutputDirectory="$build/lib" >&2
  javac -d "$build/classes" -cp "$build/lib/*" "$launcher" >&2
  cat "$src/pom.xml" "$launcher" >"$build/stamp"
}

running_pid() {
  # The PID in DIR/hdfs.pid, if that process is still our cluster for DIR.
  local pid
  [ -f "$dir/hdfs.pid" ] || return 1
  pid=$(cat "$dir/hdfs.pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "tidemill.HdfsCluster $dir/cluster " \
    || return 1
  echo "$pid"
}

cmd=${1:?usage: hdfs.sh build | start DIR PORT | stop DIR}
case "$cmd" in
  build) do_build ;;
  start)
    dir=${2:?data directory}
    port=${3:?port}
    do_build
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if pid=$(running_pid); then
      echo "HDFS already runs for $dir (pid $pid): stop it first" >&2
      exit 1
    fi
    # setsid: its own process group, so stop ends the JVM and nothing else.
    setsid java -Xms128m -Xmx512m -XX:+UseSerialGC \
      -cp "$build/classes:$build/lib/*" tidemill.HdfsCluster "$dir/cluster" "$port" \
      >"$dir/hdfs.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/hdfs.pid"
    # Ready once the launcher says so (namenode out of safe mode, datanode registered) and the
    # namenode's port takes connections.
    for _ in $(seq 1 1200); do
      if grep -q '^STARTED ' "$dir/hdfs.log" 2>/dev/null \
          && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "hdfs://127.0.0.1:$port"
        exit 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "HDFS did not answer within 120 s; see $dir/hdfs.log (last lines):" >&2
    else
      echo "HDFS exited during start-up; see $dir/hdfs.log (last lines):" >&2
    fi
    tail -n 20 "$dir/hdfs.log" >&2 || true
    kill -TERM -- "-$pid" 2>/dev/null || true
    exit 1
    ;;
  stop)
    dir=${2:?data directory}
    [ -d "$dir" ] || exit 0  # nothing was started there
    dir=$(cd "$dir" && pwd)
    pid=$(running_pid) || { rm -f "$dir/hdfs.pid"; exit 0; }
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "HDFS (pid $pid) ignored SIGTERM for 30 s: killing it" >&2
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$dir/hdfs.pid"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
