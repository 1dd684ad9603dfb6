"""A worker prepares its DuckDB engine on a thread of lower CPU priority (runner.preparing),
and the threads a run's query uses keep the worker's own priority."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, Limits
from tidemill.engines.duckdb.engine import DuckDBEngine
from tidemill.errors import BackendError, Failure
from tidemill.runner.preparing import NICE, Preparer

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice is Linux's")


def plan(threads: int) -> BatchPlan:
    return BatchPlan(
        1, AccountScope("a", frozenset()), "j", 1, "SELECT 1 AS n", (), "mem://r/x.parquet",
        Limits(threads, "100MiB"), "Asia/Shanghai",
    )  # fmt: skip


def nice_by_task() -> dict[int, int]:
    """This process's threads: task id -> nice value, from /proc."""
    tasks = {}
    for task in Path("/proc/self/task").iterdir():
        with open(task / "stat") as f:
            stat = f.read()
        tasks[int(task.name)] = int(stat[stat.rindex(")") + 2 :].split()[16])
    return tasks


def test_the_engine_is_prepared_on_a_lower_priority_thread() -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)
    engine = DuckDBEngine()
    preparer = Preparer(engine)
    preparer.start()
    preparer.wait()

    assert engine._spare is not None  # the next run's database is open
    assert preparer.thread is not None and preparer.thread.native_id is not None
    assert nice_by_task()[preparer.thread.native_id] == min(own + NICE, 19)


def test_a_runs_threads_have_the_workers_priority(tmp_path: Path) -> None:
    """The database is opened with one thread at low priority; a run wanting two starts its
    second from its own thread, at the worker's priority."""
    own = os.getpriority(os.PRIO_PROCESS, 0)
    engine = DuckDBEngine()
    preparer = Preparer(engine)
    preparer.start()
    preparer.wait()
    before = {tid for tid, nice in nice_by_task().items() if nice == own}

    con = engine._sealed(plan(2), tmp_path, {})
    try:
        started = {tid for tid, nice in nice_by_task().items() if nice == own} - before
        assert con.execute("SELECT current_setting('threads')").fetchone() == (2,)
    finally:
        con.close()
    assert len(started) == 1  # DuckDB's second worker thread, not left to the low one


class _Refusing(DuckDBEngine):
    """A DuckDB engine whose database cannot be opened (a seam: what `prepare` raises)."""

    def prepare(self) -> None:
        raise BackendError(Failure.INTERNAL, "cannot open DuckDB: refused")


def test_a_preparation_error_is_raised_where_the_worker_waits() -> None:
    preparer = Preparer(_Refusing())
    preparer.start()
    with pytest.raises(BackendError, match="refused"):
        preparer.wait()
    preparer.wait()  # raised once
