#!/usr/bin/env bash
# Start or stop a real single-node OpenSearch (jars from Maven Central) for the logdb tests.
#   scripts/opensearch.sh build            -> resolve the jars and compile the launcher (cached)
#   scripts/opensearch.sh start DIR PORT   -> prints the URL once the REST API answers
#   scripts/opensearch.sh stop DIR
# Needs java (17) and mvn. The build lives in .services/opensearch (TIDEMILL_OPENSEARCH_BUILD).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=$root/scripts/opensearch
build=${TIDEMILL_OPENSEARCH_BUILD:-$root/.services/opensearch}

do_build() {
  if [ -f "$build/classes/tidemill/OpenSearchNode.class" ] && [ -f "$build/stamp" ] \
      && cmp -s "$build/stamp" <(cat "$src/pom.xml" "$src/src/tidemill/OpenSearchNode.java"); then
    return
  fi
  command -v mvn >/dev/null || { echo "mvn is not installed: run 'make services'" >&2; exit 1; }
  command -v javac >/dev/null || { echo "a JDK is not installed: run 'make services'" >&2; exit 1; }
  rm -rf "$build" && mkdir -p "$build/classes"
  mvn -q -B -f "$src/pom.xml" dependency:copy-dependencies -DoutputDirectory="$build/lib" >&2
  javac -d "$build/classes" -cp "$build/lib/*" "$src/src/tidemill/OpenSearchNode.java" >&2
  cat "$src/pom.xml" "$src/src/tidemill/OpenSearchNode.java" >"$build/stamp"
}

cmd=${1:?usage: opensearch.sh build | start DIR PORT | stop DIR}
case "$cmd" in
  build) do_build ;;
  start)
    dir=${2:?home directory}
    port=${3:?port}
    do_build
    mkdir -p "$dir/config"
    dir=$(cd "$dir" && pwd)
    : >"$dir/config/opensearch.yml"
    # setsid: its own process group, so stop ends the JVM and nothing else.
    setsid java -Xms256m -Xmx512m -XX:+UseSerialGC -cp "$build/classes:$build/lib/*" \
      tidemill.OpenSearchNode "$dir" "$port" >"$dir/node.log" 2>&1 </dev/null &
    echo $! >"$dir/node.pid"
    for _ in $(seq 1 600); do
      if curl -fs "http://127.0.0.1:$port/_cluster/health?wait_for_status=yellow&timeout=1s" \
          >/dev/null 2>&1; then
        echo "http://127.0.0.1:$port"
        exit 0
      fi
      kill -0 "$(cat "$dir/node.pid")" 2>/dev/null || break
      sleep 0.2
    done
    echo "OpenSearch did not start; see $dir/node.log" >&2
    tail -n 20 "$dir/node.log" >&2 || true
    exit 1
    ;;
  stop)
    dir=${2:?home directory}
    [ -f "$dir/node.pid" ] || exit 0
    pid=$(cat "$dir/node.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$dir/node.pid"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
