"""A held result's transfer runs on the worker's sending thread while the run ends (session 7,
workerpath): an attempt whose lease is lost while that transfer runs (a rerun, a stop) must
commit nothing — not its result, not its log, nothing staged left visible beside the live
attempt's files. Real SQLite metadata, real DuckDB, real local files; `worker._run` as a worker
runs it (never the worker loop)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from tests.runner.test_worker_logs import NOW, OWNER, folder, plan_of, rt, run
from tidemill.config import Settings, WorkerConfig
from tidemill.core.batches import Batch, BatchStatus
from tidemill.core.naming import LOG_NAME, RESULT_NAME
from tidemill.core.outcomes import Ending, Outcome
from tidemill.core.plans import BatchPlan
from tidemill.runner import worker
from tidemill.runner.exports import BatchResult
from tidemill.runtime import Runtime, build_runtime
from tidemill.storage import open_kodo
from tidemill.store import accounts
from tidemill.store import batches as store

__all__ = ["rt"]  # the fixture, shared

S = BatchStatus


@pytest.mark.parametrize("change", ["rerun", "stop"])
def test_a_lease_lost_while_the_transfer_runs_publishes_nothing(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    monkeypatch.setattr(worker, "FIRST_LOG_AFTER", 60.0)
    live = {RESULT_NAME: b"the live attempt's result", LOG_NAME: b"batch: 1 (attempt 1)\n"}
    real = os.fsync
    moved: list[str] = []

    def fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".parquet") and not moved:
            with rt.db.begin() as conn:  # on the sending thread, mid-transfer
                if change == "rerun":
                    assert store.move(conn, 1, "j", 1, [S.RUNNING], rerun_count=1)
                else:
                    assert store.move(conn, 1, "j", 1, [S.RUNNING], status=S.CANCELLING)
            if change == "rerun":  # the new attempt has published already
                folder(rt).mkdir(parents=True, exist_ok=True)
                for name, data in live.items():
                    (folder(rt) / name).write_bytes(data)
            moved.append(change)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    answer, _ = run(rt, plan_of(rt))

    assert moved == [change]
    assert isinstance(answer, Outcome) and answer.ending is Ending.LEASE_LOST
    found = {p.name: p.read_bytes() for p in folder(rt).iterdir()} if folder(rt).exists() else {}
    assert found == (live if change == "rerun" else {})  # nothing of this attempt, nothing hidden


def _run(runtime: Runtime, plan: BatchPlan) -> BatchResult | Outcome:
    config = WorkerConfig.of(runtime.settings)
    return worker._run(plan, config, open_kodo(config), runtime.storages, runtime.db)


@pytest.mark.postgres
def test_on_postgresql_a_lease_lost_while_the_transfer_runs_publishes_nothing(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same on PostgreSQL, whose lease hold runs compiled on the pool's DBAPI connection
    (session 7, workerpath): a rerun committed mid-transfer, then the commit finds the lease
    lost; a live attempt's publish on the same database still goes through."""
    monkeypatch.setattr(worker, "FIRST_LOG_AFTER", 60.0)
    runtime = build_runtime(Settings(data_dir=tmp_path / "data", database_url=postgres_url))
    try:
        with runtime.db.begin() as conn:
            account = accounts.ensure_account(conn, "default", NOW)
            store.insert_batch(conn, account, Batch("j", 1, NOW, S.READY, {}, uid="u1"), NOW)
            assert store.move(conn, account, "j", 1, [S.READY], status=S.RUNNING, owner=OWNER)
        real = os.fsync
        moved: list[bool] = []

        def fsync(fd: int) -> None:
            if os.readlink(f"/proc/self/fd/{fd}").endswith(".parquet") and not moved:
                with runtime.db.begin() as conn:
                    assert store.move(conn, account, "j", 1, [S.RUNNING], rerun_count=1)
                moved.append(True)
            real(fd)

        monkeypatch.setattr(os, "fsync", fsync)
        stale = replace(plan_of(runtime), account=account)
        answer = _run(runtime, stale)
        assert moved == [True]
        assert isinstance(answer, Outcome) and answer.ending is Ending.LEASE_LOST
        assert not folder(runtime).exists() or list(folder(runtime).iterdir()) == []

        live = replace(stale, attempt=1)  # the rerun's own attempt publishes
        answer = _run(runtime, live)
        assert not isinstance(answer, Outcome), answer
        assert (folder(runtime) / RESULT_NAME).exists()
    finally:
        runtime.close()
