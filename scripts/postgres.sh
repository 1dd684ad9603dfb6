#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL for the tests, on a loopback port.
#   scripts/postgres.sh start DIR PORT   -> prints the SQLAlchemy URL
#   scripts/postgres.sh stop DIR
set -euo pipefail

bindir() {
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
    return
  fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$found" ] || { echo "PostgreSQL is not installed: run 'make services'" >&2; exit 1; }
  echo "$found"
}

as_postgres() {
  # initdb refuses to run as root; the Debian package provides the postgres user.
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

cmd=${1:?usage: postgres.sh start DIR PORT | stop DIR}
dir=${2:?data directory}
bin=$(bindir)
case "$cmd" in
  start)
    port=${3:?port}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_postgres "'$bin/initdb' -D '$dir' -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8" >/dev/null
    fi
    as_postgres "'$bin/pg_ctl' -D '$dir' -l '$dir/server.log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start" >/dev/null
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_postgres "'$bin/pg_ctl' -D '$dir' -m fast -w stop" >/dev/null 2>&1 || true
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
