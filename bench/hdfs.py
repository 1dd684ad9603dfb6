"""HDFS figure for `make bench`: a GROUP BY over parquet read from HDFS vs the same file local.

One parquet file of 8M rows (snappy) is put on a MiniDFSCluster started here (scripts/hdfs.sh,
or TIDEMILL_BENCH_HDFS_URL). The engine reads HDFS inputs through `Storage.local_path` (a
streamed copy into scratch, then DuckDB over the copy: docs/decisions.md, "HDFS storage"), so
the HDFS side is that copy plus the query; the local side is the query over the local file.
Printed: rows/s of each, best of 5 interleaved runs, and their ratio (HDFS / local).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from tidemill.storage.hdfs import HdfsFiles  # noqa: E402

ROWS = 8_000_000
QUERY = "SELECT k, count(*), sum(v), max(s) FROM read_parquet('{}') GROUP BY k"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def query_seconds(path: Path) -> float:
    started = time.perf_counter()
    duckdb.sql(QUERY.format(path)).fetchall()
    return time.perf_counter() - started


def measure(url: str, work: Path) -> None:
    local = work / "g.parquet"
    duckdb.sql(
        f"SELECT range % 1000 AS k, range AS v, 'x' || (range % 77) AS s FROM range({ROWS})"
    ).write_parquet(str(local), compression="snappy")
    files = HdfsFiles()
    uri = f"{url}/tidemill-bench/g.parquet"
    files.upload(uri, local)
    from_hdfs, from_disk = [], []
    for _ in range(5):  # interleaved, best of 5: the machine is shared
        started = time.perf_counter()
        with files.local_path(uri) as copy:
            query_seconds(copy)
        from_hdfs.append(time.perf_counter() - started)
        from_disk.append(query_seconds(local))
    files.delete(uri)
    size = local.stat().st_size / 1e6
    hdfs, disk = min(from_hdfs), min(from_disk)
    print(f"hdfs GROUP BY over {ROWS:,} rows of parquet ({size:.0f} MB):")
    print(f"  local file:  {ROWS / disk / 1e6:6.1f} M rows/s")
    print(f"  from HDFS:   {ROWS / hdfs / 1e6:6.1f} M rows/s (copy + query)")
    print(f"  ratio hdfs/local: {disk / hdfs:.2f}")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="tidemill-bench-hdfs-"))
    given = os.environ.get("TIDEMILL_BENCH_HDFS_URL", "").rstrip("/")
    script, cluster = str(ROOT / "scripts/hdfs.sh"), work / "cluster"
    try:
        if given:
            url = given
        else:
            started = subprocess.run(
                [script, "start", str(cluster), str(free_port())], capture_output=True, text=True
            )
            if started.returncode != 0:
                sys.exit(f"bench/hdfs.py: could not start HDFS: {started.stderr.strip()[-500:]}")
            url = started.stdout.strip()
        measure(url, work)
    finally:
        if not given:
            subprocess.run([script, "stop", str(cluster)], check=False, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
