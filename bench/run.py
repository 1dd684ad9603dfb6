"""`make bench`: Tidemill's performance figures, measured in one run on this machine.

Each figure runs against a real `tidemill serve` on embedded defaults (SQLite, local buckets):

- API: `GET /v2/jobs/<name>` throughput and latency from the Go load generator (bench/loadgen);
- trigger -> Successful of a trivial manual job (p50/p99 over repeated runs), from the server's
  own timestamps (queued -> end);
- depend hand-off: upstream end -> downstream start;
- a GROUP BY over 5M rows of Parquet as a ratio to the same query in plain DuckDB.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from tidemill.core.signing import SignedRequest, candidates, sign

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SEED = 42
WARMUP_S = 2  # load generator's warm-up before its measured window
WARM_RUNS = 3  # trigger runs not in the CPU figure: the first start the workers' engines
GROUPBY_PAIRS = 21  # timed GROUP BY runs of each side, alternating (session 6, groupby)
GROUPBY_TRIM = 0.2  # share of each side's runs left out at each end of its trimmed mean


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A `tidemill serve` subprocess and a signed JSON client for it."""

    def __init__(self, data: Path) -> None:
        self.data = data
        keys = json.loads(self._tidemill("keys", "create", "--account", "bench"))
        self.ak, self.sk = keys["accessKey"], keys["secretKey"]
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process = subprocess.Popen(
            [str(VENV_BIN / "tidemill"), "serve", "--data-dir", str(data), "--port",
             self.url.rsplit(":", 1)[1]],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/v2/jobs", timeout=1)
            except urllib.error.HTTPError:
                break  # 401: it answers
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not come up") from None
                time.sleep(0.1)
        self.db = sa.create_engine(f"sqlite:///{data / 'tidemill.db'}")
        self._poller: sqlite3.Connection | None = None  # `wait`'s own connection

    def _tidemill(self, *args: str) -> str:
        command = [str(VENV_BIN / "tidemill"), *args, "--data-dir", str(self.data)]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Date": formatdate(usegmt=True)}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        request = SignedRequest(
            method, path.split("?")[0], [], {k.lower(): v for k, v in headers.items()}
        )
        headers["Authorization"] = f"Pandora {self.ak}:{sign(self.sk, candidates(request)[0])}"
        req = urllib.request.Request(self.url + path, data, headers, method=method)
        with urllib.request.urlopen(req) as response:
            text = response.read()
        return json.loads(text) if text else None

    def batch_times(self, job: str, run_id: int) -> tuple[float, float, float, str]:
        """(queued, start, end) as epoch seconds, and the status, from the store."""
        with self.db.connect() as conn:
            row = conn.execute(
                sa.text("select queued_at, start_time, end_time, status from batches "
                        "where job_name = :j and run_id = :r"), {"j": job, "r": run_id},
            ).one()  # fmt: skip
        return _epoch(row[0]), _epoch(row[1]), _epoch(row[2]), row[3]

    def wait(self, job: str, run_id: int, timeout: float = 120, every: float = 0.005) -> str:
        """Poll the store until the batch ends. Durations come from the server's own
        timestamps, so `every` only trades this process's CPU for promptness: keep it coarse
        while a long batch runs, or the polling competes with it for the 2 cores."""
        deadline = time.monotonic() + timeout
        if self._poller is None:  # ~7 µs of CPU a look, against ~100 through SQLAlchemy
            self._poller = sqlite3.connect(
                f"file:{self.data / 'tidemill.db'}?mode=ro", uri=True, isolation_level=None
            )
        while time.monotonic() < deadline:
            rows = self._poller.execute(  # all fetched: no read transaction stays open
                "select status from batches where job_name = ? and run_id = ?", (job, run_id)
            ).fetchall()
            status = rows[0][0] if rows else None
            if status in ("Successful", "Failed", "Canceled"):
                return str(status)
            time.sleep(every)
        raise SystemExit(f"{job}/{run_id} did not finish")

    def close(self) -> None:
        if self._poller is not None:
            self._poller.close()
        self.db.dispose()
        self.process.terminate()
        self.process.wait(timeout=15)


def _epoch(value: Any) -> float:
    if value is None:
        return float("nan")
    if isinstance(value, str):
        from datetime import datetime

        value = datetime.fromisoformat(value)
    return float(value.timestamp())


@contextmanager
def server() -> Iterator[Server]:
    work = Path(tempfile.mkdtemp(prefix="tidemill-bench-"))
    running = Server(work / "data")
    try:
        yield running
    finally:
        running.close()
        shutil.rmtree(work, ignore_errors=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def figure(name: str, measured: str, goal: str, ok: bool) -> None:
    """One row of the figures table: the figure, its value, its goal (issue 16), met or not."""
    print(f"{name:<44} {measured:>16}  {goal:<14} {met(ok)}")


def datasource(
    srv: Server, name: str, bucket: str, file_type: str, schema: list[tuple[str, str]]
) -> None:
    srv.call("POST", f"/v2/datasources/{name}", {
        "region": "nb", "type": "kodo", "noVerifySchema": True,
        "spec": {"bucket": bucket, "keyPrefixes": ["data/"], "fileType": file_type},
        "schema": [{"key": k, "valtype": t} for k, t in schema],
    })  # fmt: skip


def api_throughput(srv: Server, connections: int, seconds: int) -> dict[str, float]:
    datasource(srv, "logs", "bench-logs", "json", [("url", "string"), ("bytes", "long")])
    srv.call("POST", "/v2/jobs/traffic", {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs", "fileFilter": ""}],
        "computation": {
            "type": "sql", "code": "select url, sum(bytes) as total from logs group by url",
        },
        "container": {"type": "1U2G", "count": 1},
        "scheduler": {"type": "crontab", "spec": {"crontab": "0 0 0/1 * *"}},
    })  # fmt: skip
    loadgen = srv.data.parent / "loadgen"
    subprocess.run(["go", "build", "-o", str(loadgen), "."], cwd=ROOT / "bench/loadgen", check=True)
    # The server starts its warm workers in the background (~4 s of CPU over its first ~9 s
    # here): the figure is the serving's, not the start-up's, so wait until it is idle.
    settle(srv, most=20)
    run = subprocess.Popen(
        [str(loadgen), "-url", srv.url, "-ak", srv.ak, "-sk", srv.sk, "-path", "/v2/jobs/traffic",
         "-c", str(connections), "-d", f"{seconds}s", "-warmup", f"{WARMUP_S}s"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    # The server process's CPU over the measured window (not its workers': they may still be
    # starting): beside the load generator's own (it reports it), what a GET costs the cores.
    time.sleep(WARMUP_S)
    before = process_cpu(srv.process.pid)
    out, _ = run.communicate()
    used = process_cpu(srv.process.pid) - before
    if run.returncode != 0:
        raise SystemExit(f"the load generator failed ({run.returncode})")
    figures: dict[str, float] = json.loads(out)
    if figures["requests"]:
        figures["server_cpu_ms_per_request"] = 1000 * used / figures["requests"]
    figures["load_average"] = os.getloadavg()[0]
    return figures


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by the process `pid`; Linux /proc, 0 elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by `pid` and every live process under it (the
    server, its forkserver and workers); Linux /proc, 0 elsewhere."""
    parents: dict[int, list[tuple[int, float]]] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / tick
        parents.setdefault(int(fields[1]), []).append((int(entry.name), used))
        if int(entry.name) == pid:
            total += used
    todo = [pid]
    while todo:
        for child, used in parents.get(todo.pop(), []):
            total += used
            todo.append(child)
    return float(total)


def trigger_latency(srv: Server, runs: int) -> tuple[list[float], list[float], float]:
    """Trigger -> Successful of a trivial manual job; depend hand-off times (ms); the server's
    CPU per run in ms (its workers included; each run is two batches) past the first
    WARM_RUNS, which start the workers' engines (nan with fewer runs)."""
    bucket = srv.data / "kodo" / "bench" / "bench-tiny" / "data"
    bucket.mkdir(parents=True)
    (bucket / "rows.json").write_text('{"n": 1}\n{"n": 2}\n')
    datasource(srv, "tiny", "bench-tiny", "json", [("n", "long")])
    srv.call("POST", "/v2/jobs/trivial", {
        "srcs": [{"name": "tiny", "type": "DataSource", "tableName": "t"}],
        "computation": {"type": "sql", "code": "select sum(n) as total from t"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    })  # fmt: skip
    srv.call("POST", "/v2/jobs/after", {
        "srcs": [{"name": "trivial", "type": "Job", "tableName": "up"}],
        "computation": {"type": "sql", "code": "select total * 2 as doubled from up"},
        "scheduler": {"type": "depend"},
    })  # fmt: skip
    latencies, handoffs = [], []
    cpu_before = 0.0
    for run_id in range(1, runs + 1):
        if run_id == WARM_RUNS + 1:
            cpu_before = process_tree_cpu(srv.process.pid)
        srv.call("POST", "/v2/jobs/trivial/actions/start", {})
        if srv.wait("trivial", run_id) != "Successful":
            raise SystemExit(f"trivial batch {run_id} did not succeed")
        srv.wait("after", run_id)
        queued, _, end, _ = srv.batch_times("trivial", run_id)
        _, child_start, _, _ = srv.batch_times("after", run_id)
        latencies.append((end - queued) * 1000)
        handoffs.append((child_start - end) * 1000)
    cpu = float("nan")
    if runs > WARM_RUNS:
        cpu = (process_tree_cpu(srv.process.pid) - cpu_before) / (runs - WARM_RUNS) * 1000
    return latencies, handoffs, cpu


def generate_logs(path: Path, rows: int) -> None:
    """The GROUP BY input (also bench/spark.py's): `rows` rows of (url, bytes, hit) as
    Parquet at `path`, ~900k distinct urls, the same rows for the same SEED."""
    con = duckdb.connect()
    con.execute(f"select setseed({SEED / 100})")
    con.execute(
        f"copy (select '/item/' || cast(floor(random() * 900000) as bigint) as url, "
        f"cast(floor(random() * 100000) as bigint) as bytes, (random() < 0.9) as hit "
        f"from range({rows})) to '{path}' (format parquet)"
    )
    con.close()


def settle(srv: Server, most: float = 3.0) -> None:
    """Wait (at most `most` seconds) until the server and its workers are idle: no more than
    one clock tick of CPU in 0.2 s. After a batch its worker removes the run's directory and
    closes the run's database and opens the next unless it keeps it (a large batch's database
    is not kept: docs/decisions.md, "A kept DuckDB database"), and the runner records the
    end: work that would otherwise run beside whichever side is timed next."""
    deadline = time.monotonic() + most
    tick = 1 / (os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100)
    last = process_tree_cpu(srv.process.pid)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = process_tree_cpu(srv.process.pid)
        if now - last <= tick + 1e-9:
            return
        last = now


def trimmed_mean(values: list[float], share: float = GROUPBY_TRIM) -> float:
    """The mean of `values` without the lowest and the highest `share` of them."""
    ordered = sorted(values)
    cut = int(len(ordered) * share)
    return statistics.fmean(ordered[cut : len(ordered) - cut])


def groupby_ratio(
    srv: Server, rows: int, runs: int = GROUPBY_PAIRS
) -> tuple[list[float], list[float]]:
    """Seconds of Tidemill batches and of plain DuckDB for one GROUP BY over `rows` Parquet
    rows, `runs` of each (docs/performance.md, "GROUP BY ... (session 5, groupby)" and
    "session 6, groupby").

    Both sides get the same conditions: one untimed run each first (the worker's engine, this
    process's DuckDB), the server idle before each timed run (`settle`), and their order
    alternating (Tidemill first in even rounds, plain DuckDB first in odd ones), so neither
    always runs after the other's leftovers. Plain DuckDB runs on a connection opened before
    its clock starts, with the batch's threads and without the progress bar (Tidemill's
    database has none); its output file is removed once timed (its dirty pages would
    otherwise be written back during a later run). The batch is timed by its own stamps, so
    the bench first looks for its end only after 1.2 times the last batch's duration (then
    every 0.25 s): its reads of the store no longer run beside the batch, as none run beside
    plain DuckDB."""
    directory = srv.data / "kodo" / "bench" / "bench-big" / "data"
    directory.mkdir(parents=True)
    path = directory / "logs.parquet"
    generate_logs(path, rows)
    query = "select url, sum(bytes) as total from logs group by url order by total desc"
    datasource(
        srv,
        "big",
        "bench-big",
        "parquet",
        [("url", "string"), ("bytes", "long"), ("hit", "boolean")],
    )
    srv.call("POST", "/v2/jobs/groupby", {
        "srcs": [{"name": "big", "type": "DataSource", "tableName": "logs"}],
        "computation": {"type": "sql", "code": query},
        "container": {"type": "2U4G", "count": 1}, "scheduler": {"type": "manual"},
    })  # fmt: skip
    # The same output as the batch's: `total` a BIGINT (Spark's sum of a long; DuckDB's own
    # sum is a HUGEINT, which Parquet stores as DOUBLE), snappy, DuckDB's row groups.
    plain_query = (
        f"select url, cast(sum(bytes) as bigint) as total from read_parquet('{path}') "
        "group by url order by total desc"
    )
    started, last = 0, 1.0

    def batch() -> float:
        nonlocal started, last
        settle(srv)
        started += 1
        srv.call("POST", "/v2/jobs/groupby/actions/start", {})
        time.sleep(last * 1.2)  # not beside the batch: see above
        if srv.wait("groupby", started, timeout=600, every=0.25) != "Successful":
            raise SystemExit("the GROUP BY batch failed")
        _, start, end, _ = srv.batch_times("groupby", started)
        last = end - start
        return last

    def plain() -> float:
        out = srv.data / "plain.parquet"
        con = duckdb.connect(config={"threads": 2, "memory_limit": "4GB"})
        con.execute("SET enable_progress_bar = false")
        settle(srv)
        began = time.perf_counter()
        con.execute(f"copy ({plain_query}) to '{out}' (format parquet)")
        elapsed = time.perf_counter() - began
        con.close()
        out.unlink()
        return elapsed

    batch(), plain()  # untimed: both sides warm
    tidemill, plain_runs = [], []
    for round_ in range(runs):
        if round_ % 2 == 0:
            tidemill.append(batch())
            plain_runs.append(plain())
        else:
            plain_runs.append(plain())
            tidemill.append(batch())
    return tidemill, plain_runs


def main() -> None:
    connections = int(os.environ.get("BENCH_CONNECTIONS", "16"))
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    runs = int(os.environ.get("BENCH_RUNS", "100"))
    rows = int(os.environ.get("BENCH_ROWS", "5000000"))
    report: dict[str, Any] = {}
    with server() as srv:
        api = api_throughput(srv, connections, seconds)
        latencies, handoffs, cpu_per_run = trigger_latency(srv, runs)
        # The figures are the steady state's: the first WARM_RUNS are out of the percentiles as
        # they are out of the CPU figure (a fresh server's first batch end compiles its
        # statements; docs/performance.md, session 7, serverpath), and printed apart.
        warm_latencies, latencies = latencies[:WARM_RUNS], latencies[WARM_RUNS:] or latencies
        warm_handoffs, handoffs = handoffs[:WARM_RUNS], handoffs[WARM_RUNS:] or handoffs
        load = os.getloadavg()[0]
        groupby_load = os.getloadavg()[0]
        tidemill_runs, plain_runs = groupby_ratio(srv, rows)
        groupby_load = max(groupby_load, os.getloadavg()[0])
    report["api_get_job"] = api
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    h50, h99 = percentile(handoffs, 0.5), percentile(handoffs, 0.99)
    report["trigger_to_successful_ms"] = {
        "p50": p50, "p99": p99, "runs": len(latencies), "cpu_ms_per_run": cpu_per_run,
        "load_average": load,
    }  # fmt: skip
    slow_handoffs = sum(1 for h in handoffs if h > 5)
    report["depend_handoff_ms"] = {
        "p50": h50, "p99": h99, "over_5_ms": slow_handoffs, "warm_runs": warm_handoffs,
    }  # fmt: skip
    report["trigger_to_successful_ms"]["warm_runs"] = warm_latencies
    print(f"{'figure (issue 16 goals)':<44} {'measured':>16}  {'goal':<14} verdict")
    print(f"API GET /v2/jobs/<name> ({connections} connections, {seconds} s, loopback, 2 cores)")
    figure("  throughput", f"{api['rps']:.0f} req/s", ">= 5000 req/s", api["rps"] >= 5000)
    figure("  latency p99", f"{api['p99_ms']:.1f} ms", "<= 10 ms", api["p99_ms"] <= 10)
    print(f"  (latency p50 {api['p50_ms']:.1f} ms; CPU per GET: server "
          f"{api.get('server_cpu_ms_per_request', float('nan')):.3f} ms, load generator "
          f"{api.get('cpu_ms_per_request', float('nan')):.3f} ms; load average "
          f"{api['load_average']:.1f})")  # fmt: skip
    print(f"Trigger -> Successful, trivial manual job ({len(latencies)} runs)")
    figure("  p50", f"{p50:.1f} ms", "<= 10 ms", p50 <= 10)
    figure("  p99", f"{p99:.1f} ms", "<= 50 ms", p99 <= 50)
    print(f"  (server CPU per run, its workers included, two batches: {cpu_per_run:.1f} ms; "
          f"load average {load:.1f})")  # fmt: skip
    print("Depend hand-off (upstream end -> downstream start)")
    figure("  p99", f"{h99:.1f} ms", "<= 5 ms", h99 <= 5)
    print(f"  (p50 {h50:.1f} ms; {slow_handoffs} of {len(handoffs)} over 5 ms; the "
          f"{len(warm_handoffs)} warm-up runs, not in the figures: trigger "
          f"{', '.join(f'{v:.0f}' for v in warm_latencies)} ms, hand-off "
          f"{', '.join(f'{v:.1f}' for v in warm_handoffs)} ms)")  # fmt: skip
    tidemill_s, plain_s = trimmed_mean(tidemill_runs), trimmed_mean(plain_runs)
    ratio, best_ratio = plain_s / tidemill_s, min(plain_runs) / min(tidemill_runs)
    median_ratio = statistics.median(plain_runs) / statistics.median(tidemill_runs)
    pairs = [p / t for p, t in zip(plain_runs, tidemill_runs, strict=True)]
    report["groupby"] = {
        "rows": rows,
        "tidemill_s": tidemill_s,
        "duckdb_s": plain_s,
        "ratio": median_ratio,
        "trimmed_mean_ratio": ratio,
        "best_of_ratio": best_ratio,
        "tidemill_runs_s": tidemill_runs,
        "duckdb_runs_s": plain_runs,
        "pair_ratios": pairs,
        "load_average": groupby_load,
    }
    print(f"GROUP BY over {rows:,} Parquet rows (2 threads, {len(tidemill_runs)} alternating "
          f"pairs; the goal's figure is the ratio of the two sides' medians, issue 16): "
          f"means without the {GROUPBY_TRIM:.0%} lowest and highest of each side: "
          f"Tidemill {tidemill_s:.3f} s, plain DuckDB {plain_s:.3f} s, ratio "
          f"{ratio:.3f}; best of each {best_ratio:.2f}; pairs {min(pairs):.2f}-"
          f"{max(pairs):.2f} (median {statistics.median(pairs):.3f}); "
          f"load average {groupby_load:.1f}")  # fmt: skip
    figure(
        "  ratio plain/Tidemill (medians)", f"{median_ratio:.3f}", ">= 0.97", median_ratio >= 0.97
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
