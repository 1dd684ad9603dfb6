"""The container's memory is a hard ceiling on the worker (issue 9, kind 9): a query that needs
more fails its batch with "exceeded the container's memory" and the worker never holds more.
A real worker process (the forkserver context the runner uses) with a real DuckDB."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

from tidemill.config import Settings, WorkerConfig
from tidemill.core.jobs import GIB, memory_ceilings
from tidemill.core.models import AccountScope
from tidemill.core.outcomes import Ending, Outcome
from tidemill.core.plans import BatchPlan, Limits
from tidemill.runner import worker
from tidemill.runner.exports import BatchResult

SCOPE = AccountScope("default")  # the bootstrap account of the test settings

CEILING = 600 * 2**20


def rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_in_worker(tmp_path: Path, sql: str, ceiling: int) -> tuple[object, int]:
    """(the worker's answer, its peak resident size in bytes)."""
    context = multiprocessing.get_context("forkserver")
    parent, child = context.Pipe()
    config = WorkerConfig.of(Settings(data_dir=tmp_path / "data"))
    process = context.Process(target=worker.serve, args=(child, config), daemon=True)
    process.start()
    child.close()
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            assert process.pid is not None
            peak[0] = max(peak[0], rss(process.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    limit = f"{int(ceiling * 0.75) // 2**20}MiB"
    result = (tmp_path / "result" / "result.parquet").as_uri()
    plan = BatchPlan(1, SCOPE, "j", 1, sql, (), result, Limits(1, limit), "Asia/Shanghai",
                     memory_ceiling=ceiling)  # fmt: skip
    try:
        parent.send(plan)
        answer: object = parent.recv()
        parent.send(None)
        process.join(30)
    finally:
        done.set()
        sampler.join(5)
        if process.is_alive():
            process.kill()
    return answer, peak[0]


def test_a_query_beyond_the_ceiling_fails_the_batch_and_stays_below_it(tmp_path: Path) -> None:
    sql = "select length(repeat('x', 1500000000)) as n, repeat('y', 600000000) as s"

    answer, peak = run_in_worker(tmp_path, sql, CEILING)

    assert isinstance(answer, Outcome) and answer.ending is Ending.MEMORY, answer
    assert "exceeded the container's memory" in answer.message, answer
    assert peak <= CEILING + 256 * 2**20, peak  # the ceiling plus the mapped code's pages


def test_a_query_within_the_ceiling_runs(tmp_path: Path) -> None:
    sql = "select count(*) as n, max(length(repeat('x', 1000) || range)) as m from range(200000)"

    answer, _ = run_in_worker(tmp_path, sql, CEILING)

    assert isinstance(answer, BatchResult) and answer.rows == 1, answer


def test_each_container_gets_a_data_ceiling_below_its_memory_and_duckdb_below_that() -> None:
    ceiling, duckdb_limit = memory_ceilings({"type": "1U2G", "count": 1})

    assert ceiling == 2 * GIB - 256 * 2**20
    assert duckdb_limit == f"{int(ceiling * 0.75) // 2**20}MiB"
    assert memory_ceilings({"type": "4U16G", "count": 2})[0] == 32 * GIB - 256 * 2**20
