#!/usr/bin/env bash
# Install the real services the tests talk to, from the OS package registry, when missing.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v go >/dev/null 2>&1 || need+=(golang-go)
# tsdb exports: InfluxDB 1.x; logdb exports: a real OpenSearch node built from Maven jars;
# hdfs:// storage: a MiniDFSCluster from Maven jars (both need mvn and a JDK).
command -v influxd >/dev/null 2>&1 || need+=(influxdb)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v curl >/dev/null 2>&1 || need+=(curl)  # the service scripts probe health with it
# The web console's browser tests drive Debian's Chromium through Playwright.
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The HDFS jars and launcher (cached in .services/hdfs; a no-op once built).
"$(dirname "${BASH_SOURCE[0]}")/hdfs.sh" build
# The Spark engine's s3a:// jars (hadoop-aws + AWS SDK bundle; cached in .services/spark-jars).
"$(dirname "${BASH_SOURCE[0]}")/spark-jars.sh" >/dev/null
