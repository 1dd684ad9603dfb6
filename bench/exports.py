"""Export figures for `make bench`: Parquet export vs plain DuckDB COPY, and http rows/s.

* 5M result rows exported to Parquet (snappy, one file) in a local bucket by the kodo exporter,
  as a ratio to DuckDB's own `COPY (SELECT * FROM result) TO ... (FORMAT parquet)` of the same
  result on the same threads, each side opening its database for the run, best of 7 alternating
  runs (goal >= 0.95, issue 16: export overhead <= 5%).
* http export throughput in rows/s into a local receiver (json lines, 2 MiB chunks).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from tidemill.config import Settings
from tidemill.exporters import run_exports
from tidemill.exporters.base import ExportContext, ExportPlan, Targets
from tidemill.storage import open_kodo
from tidemill.storage.base import AccountScope
from tidemill.storage.local import LocalFiles

ROWS = 5_000_000
HTTP_ROWS = 1_000_000
THREADS = 2
ROUNDS = 7  # timed runs of each side, alternating


def make_result(directory: Path, rows: int) -> Path:
    path = directory / "result.parquet"
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'http://cdn.example.com/p/' || (range % 900000) || '.jpg' AS url,
                 (range * 7919) % 100000 AS bytes, 200 + (range % 5) AS status,
                 TIMESTAMPTZ '2026-11-23 00:00:00+08' + to_seconds(range % 86400) AS t,
                 range % 3 = 0 AS hit
             FROM range({rows})) TO '{path}' (FORMAT parquet)"""
    )
    con.close()
    return path


def context(result: Path, data: Path, scratch: Path, rows: int) -> ExportContext:
    scratch.mkdir(parents=True, exist_ok=True)
    return ExportContext(
        account=1,
        tenant="bench",
        job="bench",
        run_id=1,
        attempt=0,
        result=result,
        rows=rows,
        zone=ZoneInfo("Asia/Shanghai"),
        store=open_kodo(Settings(data_dir=data)).for_account(AccountScope("bench")),
        files=LocalFiles(),
        targets=Targets(create_buckets=True),
        scratch=scratch,
        threads=THREADS,
    )


def parquet_ratio(work: Path, rounds: int = ROUNDS) -> tuple[list[float], list[float]]:
    """Seconds of plain DuckDB's COPY and of the kodo export of the same 5M-row result, `rounds`
    of each after one untimed run of each (docs/performance.md, "session 6, groupby").

    The same conditions for both: each side opens its database inside its clock (a connection
    kept warm across runs would measure DuckDB's caches, not the cost of an export), without
    DuckDB's progress bar (the exporter's database has none), and writes a file no earlier run
    left in its place (a replaced file's blocks are freed, and discarded, at the next journal
    commit: the export's fsync would wait for it). Each output is removed once timed and the
    file system synced before the next run: nothing either side wrote is written back during
    the other's. The order alternates (plain first in even rounds)."""
    work.mkdir(parents=True)
    result = make_result(work, ROWS)
    spec = {
        "bucket": "bench",
        "keyPrefix": "out/",
        "format": "parquet",
        "compression": "snappy",
        "fileCount": 1,
        "saveMode": "overwrite",
    }
    data = work / "data"

    def plain(i: int) -> float:
        out = work / f"plain-{i}.parquet"
        started = time.perf_counter()
        con = duckdb.connect(config={"threads": THREADS})
        con.execute("SET enable_progress_bar = false")
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{result}')) TO '{out}'"
            " (FORMAT parquet, COMPRESSION snappy)"
        )
        con.close()
        elapsed = time.perf_counter() - started
        out.unlink()
        os.sync()
        return elapsed

    def export(i: int) -> float:
        ctx = context(result, data, work / f"scratch-{i}", ROWS)
        started = time.perf_counter()
        [outcome] = run_exports(ctx, [ExportPlan("e", "kodo", spec, True)])
        elapsed = time.perf_counter() - started
        assert outcome.status == "Successful", outcome.message
        for written in (data / "kodo").rglob("*.parquet"):
            written.unlink()  # the next export writes a new file, as plain DuckDB does
        os.sync()
        return elapsed

    plain(-1), export(-1)  # untimed: both sides warm, the bucket made
    plains, exported = [], []
    for i in range(rounds):
        if i % 2 == 0:
            plains.append(plain(i))
            exported.append(export(i))
        else:
            exported.append(export(i))
            plains.append(plain(i))
    return plains, exported


def http_throughput(work: Path) -> float:
    work.mkdir(parents=True)
    result = make_result(work, HTTP_ROWS)

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        spec = {"host": f"127.0.0.1:{server.server_address[1]}", "uri": "/in", "format": "json"}
        ctx = context(result, work / "data", work / "scratch-http", HTTP_ROWS)
        started = time.perf_counter()
        [outcome] = run_exports(ctx, [ExportPlan("h", "http", spec)])
        elapsed = time.perf_counter() - started
        assert outcome.status == "Successful", outcome.message
    finally:
        server.shutdown()
        server.server_close()
    return HTTP_ROWS / elapsed


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="tidemill-bench-exports-"))
    try:
        load = os.getloadavg()[0]
        plains, exported = parquet_ratio(work / "parquet")
        load = max(load, os.getloadavg()[0])
        plain, export = min(plains), min(exported)
        ratio = plain / export
        median = statistics.median(plains) / statistics.median(exported)
        print(
            f"export 5M rows to Parquet (local bucket), best of {len(exported)}: {export:.2f} s;"
            f" plain DuckDB COPY {plain:.2f} s; ratio {ratio:.2f} (goal >= 0.95)"
            f" {'met' if ratio >= 0.95 else 'NOT met'}; ratio of medians {median:.2f};"
            f" load average {load:.1f}"
        )
        rate = http_throughput(work / "http")
        print(f"http export (json, 2 MiB chunks, local receiver): {rate:,.0f} rows/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
