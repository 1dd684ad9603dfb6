"""The worker's batch logs and its one lease hold at the end (session 6, worker2): a batch
without exports commits its result and its final log under one metadata transaction; the
first log is written once the attempt has run `FIRST_LOG_AFTER`; a worker that died before
leaves it to the runner. Real SQLite metadata, real DuckDB, real local files."""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tidemill.config import Settings, WorkerConfig
from tidemill.core.batches import Batch, BatchStatus
from tidemill.core.models import AccountScope
from tidemill.core.naming import LOG_NAME, RESULT_NAME
from tidemill.core.outcomes import Ending, Outcome
from tidemill.core.plans import BatchPlan, Limits
from tidemill.runner import worker
from tidemill.runner.exports import BatchResult
from tidemill.runtime import Runtime, build_runtime
from tidemill.storage import open_kodo
from tidemill.storage.local import file_system_type, file_uri
from tidemill.store import accounts
from tidemill.store import batches as store

S = BatchStatus
SCOPE = AccountScope("default")
NOW = datetime(2026, 12, 1, tzinfo=UTC)
OWNER = "node-a"


@pytest.fixture
def rt(tmp_path: Path) -> Runtime:
    runtime = build_runtime(Settings(data_dir=tmp_path / "data"))
    with runtime.db.begin() as conn:
        assert accounts.ensure_account(conn, SCOPE.name, NOW) == 1
        store.insert_batch(conn, 1, Batch("j", 1, NOW, S.READY, {}, uid="u1"), NOW)
        assert store.move(conn, 1, "j", 1, [S.READY], status=S.RUNNING, owner=OWNER)
    return runtime


def folder(rt: Runtime) -> Path:
    return rt.settings.data_dir / "warehouse" / "default" / "j" / "1"


def plan_of(rt: Runtime, sql: str = "select 42 as n") -> BatchPlan:
    result = file_uri(folder(rt) / RESULT_NAME)
    return BatchPlan(1, SCOPE, "j", 1, sql, (), result, Limits(1, "1GB"), "Asia/Shanghai",
                     owner=OWNER, batch_uid="u1")  # fmt: skip


def run(rt: Runtime, plan: BatchPlan) -> tuple[BatchResult | Outcome, list[str]]:
    """`worker._run` as a worker runs it; the metadata statements it made, as SQLite ran them
    (the lease's runs on the pool's DBAPI connection: SQLAlchemy's events do not see it),
    transaction control left out."""
    config = WorkerConfig.of(rt.settings)
    statements: list[str] = []
    traced: list[sqlite3.Connection] = []

    def trace(dbapi_connection: sqlite3.Connection, *_: object) -> None:
        dbapi_connection.set_trace_callback(statements.append)
        traced.append(dbapi_connection)

    sa.event.listen(rt.db.pool, "checkout", trace)
    try:
        answer = worker._run(plan, config, open_kodo(config), rt.storages, rt.db)
    finally:
        sa.event.remove(rt.db.pool, "checkout", trace)
        for connection in traced:
            connection.set_trace_callback(None)
    control = ("BEGIN", "COMMIT", "ROLLBACK")
    return answer, [s for s in statements if not s.upper().startswith(control)]


def test_a_quick_batch_commits_its_result_and_final_log_under_one_lease_hold(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "FIRST_LOG_AFTER", 60.0)  # quick, however loaded the machine
    answer, statements = run(rt, plan_of(rt))

    assert isinstance(answer, BatchResult) and answer.rows == 1
    assert (folder(rt) / RESULT_NAME).exists()
    text = (folder(rt) / LOG_NAME).read_text()
    assert "select 42 as n" in text and "outcome: succeeded" in text
    assert len(statements) == 1 and "batches" in statements[0]  # one lease check in all


def test_a_quick_batchs_syncs_run_outside_the_lease_the_logs_after_its_rename(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The result's file synced before the lease, the final log's after it (and after its
    rename, which on ext3/ext4/XFS commits the result's rename too: no directory sync then),
    all before the answer; SQLite's write lock is free at every sync."""
    monkeypatch.setattr(worker, "FIRST_LOG_AFTER", 60.0)
    synced: list[tuple[str, bool]] = []
    ahead: list[bool] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        name = os.readlink(f"/proc/self/fd/{fd}")
        other = sqlite3.connect(str(rt.db.url.database), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            free = True
        except sqlite3.OperationalError:  # database is locked: inside the lease
            free = False
        finally:
            other.close()
        synced.append((name, free))
        if name.endswith(".parquet"):  # on the sending thread: before the result's rename
            assert not (folder(rt) / RESULT_NAME).exists()
            ahead.append(True)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    answer, _ = run(rt, plan_of(rt))

    assert isinstance(answer, BatchResult)
    journaled = file_system_type(folder(rt)) in ("ext3", "ext4", "xfs")
    names = [name for name, _ in synced]
    assert names[0].endswith(".parquet") and Path(names[0]).parent != folder(rt)  # staged
    assert names[1:] == [str(folder(rt) / LOG_NAME)] + ([] if journaled else [str(folder(rt))])
    assert all(free for _, free in synced) and ahead == [True]
    assert "outcome: succeeded" in (folder(rt) / LOG_NAME).read_text()


def test_a_result_whose_transfer_fails_is_never_visible_and_the_log_says_why(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The result's transfer (a local file's fsync) runs on the worker's sending thread while
    the run ends; when it fails the attempt fails as before: nothing published, the final log
    says why."""
    monkeypatch.setattr(worker, "FIRST_LOG_AFTER", 60.0)
    real = os.fsync

    def fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".parquet"):
            raise OSError(errno.EIO, "Input/output error")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    answer, _ = run(rt, plan_of(rt))

    assert isinstance(answer, Outcome) and answer.ending is Ending.ERROR
    assert "Input/output error" in answer.message
    assert not (folder(rt) / RESULT_NAME).exists()
    text = (folder(rt) / LOG_NAME).read_text()
    assert "Input/output error" in text and "outcome: failed" in text


def test_a_lease_lost_before_the_commit_publishes_neither_result_nor_log(rt: Runtime) -> None:
    with rt.db.begin() as conn:
        assert store.move(conn, 1, "j", 1, [S.RUNNING], rerun_count=1)  # attempt 1 is live

    answer, _ = run(rt, plan_of(rt))

    assert isinstance(answer, Outcome) and answer.ending is Ending.LEASE_LOST
    assert not folder(rt).exists() or list(folder(rt).iterdir()) == []


def test_a_long_batch_has_its_first_log_while_it_runs(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "FIRST_LOG_AFTER", 0.05)
    sql = "select sum(id) as s from range(400000000)"
    seen: list[str] = []
    done = threading.Event()

    def watch() -> None:
        log = folder(rt) / LOG_NAME
        while not done.is_set():
            if log.exists():
                seen.append(log.read_text())
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        answer, _ = run(rt, plan_of(rt, sql))
    finally:
        done.set()
        watcher.join(10)

    assert isinstance(answer, BatchResult)
    assert seen and sql in seen[0] and "== end ==" not in seen[0]  # the first log, mid-run
    assert "outcome: succeeded" in (folder(rt) / LOG_NAME).read_text()  # then the final one


def test_a_cancelled_job_never_runs_and_a_due_one_runs_once() -> None:
    delayed = worker._Delayed()
    ran: list[str] = []
    delayed.start(lambda: ran.append("early"), after=0.2)
    delayed.cancel()
    delayed.start(lambda: ran.append("due"), after=0.01)
    deadline = time.monotonic() + 5
    while not ran and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # the cancelled one's time has passed too
    assert ran == ["due"]


def test_a_cancel_waits_for_the_job_under_way() -> None:
    delayed = worker._Delayed()
    started, ended = threading.Event(), threading.Event()

    def job() -> None:
        started.set()
        time.sleep(0.2)
        ended.set()

    delayed.start(job, after=0)
    assert started.wait(5)
    delayed.cancel()
    assert ended.is_set()  # the final log is never written before a first log under way ends


def test_the_runner_writes_what_a_dead_worker_was_given_unless_it_did(rt: Runtime) -> None:
    plan = plan_of(rt, "select 'given' as what")
    config = WorkerConfig.of(rt.settings)
    log = folder(rt) / LOG_NAME

    worker.write_given_log(plan, config, rt.storages, rt.db)  # the worker wrote none
    text = log.read_text()
    assert "select 'given' as what" in text and "batch: 1 (attempt 0)" in text
    assert str(rt.settings.data_dir) not in text  # redacted as the worker's

    log.write_text(text.replace("== failure ==", "== engine ==\nrows written: 7"))
    worker.write_given_log(plan, config, rt.storages, rt.db)  # this attempt's log is kept
    assert "rows written: 7" in log.read_text()


def test_the_runner_writes_the_log_of_a_batch_being_stopped(rt: Runtime) -> None:
    with rt.db.begin() as conn:  # a stop: its worker is ended, then Canceled is recorded
        assert store.move(conn, 1, "j", 1, [S.RUNNING], status=S.CANCELLING)

    worker.write_given_log(plan_of(rt), WorkerConfig.of(rt.settings), rt.storages, rt.db)

    assert "select 42 as n" in (folder(rt) / LOG_NAME).read_text()


def test_the_runner_writes_no_log_for_an_attempt_that_lost_its_lease(rt: Runtime) -> None:
    with rt.db.begin() as conn:
        assert store.move(conn, 1, "j", 1, [S.RUNNING], rerun_count=1)
    live = b"job: j\nbatch: 1 (attempt 1)\n"
    folder(rt).mkdir(parents=True)
    (folder(rt) / LOG_NAME).write_bytes(live)

    worker.write_given_log(plan_of(rt), WorkerConfig.of(rt.settings), rt.storages, rt.db)

    assert (folder(rt) / LOG_NAME).read_bytes() == live
