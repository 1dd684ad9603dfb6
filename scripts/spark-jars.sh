#!/usr/bin/env bash
# Fetch the jars the Spark engine needs beyond pyspark's own, into a cache directory, and print
# that directory (what TIDEMILL_SPARK__JARS names): hadoop-aws matching pyspark's Hadoop client
# and the AWS SDK bundle that hadoop-aws version names, from Maven Central (scripts/spark-jars/pom.xml).
#   scripts/spark-jars.sh            -> prints the directory; a no-op once fetched
# The cache is .services/spark-jars (TIDEMILL_SPARK_JARS_BUILD overrides it). Needs mvn
# ('make services'). Every machine running Spark (driver and executors) needs the same jars at
# the same path (docs/deploy-multi-node.md).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pom=$root/scripts/spark-jars/pom.xml
build=${TIDEMILL_SPARK_JARS_BUILD:-$root/.services/spark-jars}
venv=${TIDEMILL_VENV:-$root/.venv}

if ! { [ -f "$build/stamp" ] && cmp -s "$build/stamp" "$pom" && ls "$build"/lib/hadoop-aws-*.jar >/dev/null 2>&1; }; then
  command -v mvn >/dev/null || { echo "mvn is not installed: run 'make services'" >&2; exit 1; }
  rm -rf "$build" && mkdir -p "$build"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$build/lib" >&2
  cp "$pom" "$build/stamp"
fi
# hadoop-aws must be pyspark's Hadoop version: say so loudly when pyspark moved on.
if [ -x "$venv/bin/python" ]; then
  jars=$("$venv/bin/python" -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')
  client=$(cd "$jars" && ls hadoop-client-api-*.jar | sed 's/hadoop-client-api-\(.*\)\.jar/\1/')
  aws=$(cd "$build/lib" && ls hadoop-aws-*.jar | sed 's/hadoop-aws-\(.*\)\.jar/\1/')
  if [ "$client" != "$aws" ]; then
    echo "hadoop-aws $aws does not match pyspark's Hadoop client $client: edit $pom" >&2
    exit 1
  fi
fi
echo "$build/lib"
