"""Fencing (issue 9, kind 2): a worker whose lease was taken over publishes nothing — not its
result, not a kodo object, not a report row — and a publish in progress holds off the takeover
until it ends. Real SQLite metadata, real local buckets, real report databases."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.exporters.support import ZONE, context, make_result
from tidemill.config import Settings, WorkerConfig
from tidemill.core.batches import Batch, BatchStatus
from tidemill.core.models import AccountScope
from tidemill.core.naming import LOG_NAME, RESULT_NAME, log_beside
from tidemill.core.outcomes import Ending, Outcome
from tidemill.core.plans import BatchPlan, Limits
from tidemill.engines import registry
from tidemill.exporters import run_exports
from tidemill.exporters.base import ExportContext, ExportPlan, Targets
from tidemill.runner.fence import LOST, LeaseFence
from tidemill.runner.runner import Runner
from tidemill.runner.worker import execute, serve
from tidemill.runtime import Runtime, build_runtime
from tidemill.storage import open_kodo
from tidemill.storage.base import Buckets
from tidemill.storage.local import LocalFiles, file_uri
from tidemill.store import accounts, export_outcomes
from tidemill.store import batches as store
from tidemill.store.export_outcomes import BatchKey

SCOPE = AccountScope("default")  # the bootstrap account of the test settings

S = BatchStatus
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
OWNER = "node-a"


@pytest.fixture
def rt(tmp_path: Path) -> Runtime:
    runtime = build_runtime(Settings(data_dir=tmp_path / "data"))
    with runtime.db.begin() as conn:
        assert accounts.ensure_account(conn, SCOPE.name, NOW) == 1  # the batches' account
        store.insert_batch(conn, 1, Batch("j", 1, NOW, S.READY, {}, uid="u1"), NOW)
        assert store.move(conn, 1, "j", 1, [S.READY], status=S.RUNNING, owner=OWNER)
    return runtime


def fence(rt: Runtime, owner: str = OWNER, attempt: int = 0) -> LeaseFence:
    return LeaseFence(rt.db, BatchKey("u1", 1, "j", 1), owner, attempt)


def exports_ctx(rt: Runtime, tmp_path: Path, owner: str = OWNER) -> tuple[ExportContext, Buckets]:
    objects = open_kodo(rt.settings).for_account(SCOPE)
    if not objects.bucket_exists("outb"):
        objects.create_bucket("outb")  # exports never create their bucket
    base = context(make_result(tmp_path / "w"), objects, tmp_path / "scratch")
    targets = Targets(report_url=rt.settings.report_url_template)
    ctx = ExportContext(
        account=1, tenant=SCOPE.name, job="j", run_id=1, attempt=0, result=base.result,
        rows=base.rows, zone=ZONE, files=LocalFiles(),
        store=objects, targets=targets, scratch=base.scratch, now=base.now, batch_uid="u1",
        fence=fence(rt, owner),
    )  # fmt: skip
    return ctx, objects


PLANS = [
    ExportPlan("files", "kodo", {"bucket": "outb", "keyPrefix": "o/", "fileCount": 2}),
    ExportPlan("rows", "report", {"dbName": "rdb", "tableName": "t",
                                  "columns": {"id": "#id", "name": "#name"}}),
]  # fmt: skip


def report_rows(tmp_path: Path) -> int:
    path = tmp_path / "data" / "report" / f"{SCOPE.name}-rdb.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as con:
        tables = con.execute("select name from sqlite_master where name = 't'").fetchall()
        return int(con.execute("select count(*) from t").fetchone()[0]) if tables else 0


def test_the_lease_holder_publishes_and_journals_what_it_publishes(
    rt: Runtime, tmp_path: Path
) -> None:
    ctx, objects = exports_ctx(rt, tmp_path)

    outcomes = run_exports(ctx, PLANS)

    assert [o.status for o in outcomes] == ["Successful", "Successful"]
    assert len(list(objects.list("outb"))) == 2 and report_rows(tmp_path) == 10
    with rt.db.connect() as conn:
        noted = export_outcomes.for_batch(conn, "u1")
    assert [(n.export_name, n.status) for n in noted] == [
        ("files", "Publishing"), ("rows", "Publishing"),
    ]  # fmt: skip
    assert sorted(noted[0].written["keys"]) == sorted(o.key for o in objects.list("outb"))
    assert noted[1].written["batch"] == "1/j/1/u1"


@pytest.mark.parametrize(
    "takeover",
    [
        {"status": S.FAILED, "owner": None},  # settled by a restarted service
        {"status": S.CANCELLING},  # stopped
        {"owner": "node-b"},  # claimed again by another runner
        {"rerun_count": 1},  # a later attempt
    ],
    ids=["settled", "stopping", "other-owner", "rerun"],
)
def test_a_worker_whose_lease_was_taken_over_publishes_no_export(
    rt: Runtime, tmp_path: Path, takeover: dict[str, object]
) -> None:
    ctx, objects = exports_ctx(rt, tmp_path)
    with rt.db.begin() as conn:
        assert store.move(conn, 1, "j", 1, [S.RUNNING], **takeover)

    outcomes = run_exports(ctx, PLANS)

    assert [(o.status, o.message) for o in outcomes] == [("Failed", LOST), ("Failed", LOST)]
    assert not objects.bucket_exists("outb") or list(objects.list("outb")) == []
    assert report_rows(tmp_path) == 0


def test_a_worker_whose_lease_was_taken_over_does_not_publish_its_result(
    rt: Runtime, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse"
    scratch = tmp_path / "scratch"
    plan = BatchPlan(1, SCOPE, "j", 1, "select 42 as n", (), file_uri(warehouse / "r.parquet"),
                     Limits(1, "1GB"), "Asia/Shanghai", owner=OWNER, batch_uid="u1")  # fmt: skip
    with rt.db.begin() as conn:
        store.move(conn, 1, "j", 1, [S.RUNNING], status=S.FAILED, owner=None)

    engine = registry.ENGINES["duckdb"]()  # its own: the test looks into its scratch
    with pytest.raises(Exception, match="lost its lease"):
        execute(plan, rt.storages, fence=fence(rt), scratch=scratch, engine=engine)

    assert not warehouse.exists()  # nothing published
    engine.prepare()  # what a worker runs after its answer: it removes the run's directory
    assert list(scratch.iterdir()) == []  # and nothing left behind


def test_a_publish_in_progress_holds_off_the_takeover_until_it_ends(rt: Runtime) -> None:
    publish_holds_off_the_takeover(rt)


@pytest.mark.postgres
def test_on_postgresql_a_publish_holds_off_the_takeover_and_a_stale_one_publishes_nothing(
    postgres_url: str, tmp_path: Path
) -> None:
    """The fence's lease hold runs its compiled statement on the pool's DBAPI connection:
    on PostgreSQL too (its parameters named, not positional), the row stays locked until
    the block ends, a lost lease raises, and the block's own error rolls the hold back."""
    runtime = build_runtime(Settings(data_dir=tmp_path / "data", database_url=postgres_url))
    try:
        with runtime.db.begin() as conn:
            account = accounts.ensure_account(conn, SCOPE.name, NOW)
            store.insert_batch(conn, account, Batch("j", 1, NOW, S.READY, {}, uid="u1"), NOW)
            assert store.move(conn, account, "j", 1, [S.READY], status=S.RUNNING, owner=OWNER)
        assert account == 1
        with pytest.raises(RuntimeError), fence(runtime).publishing():
            raise RuntimeError("the publish failed")
        with (
            pytest.raises(Exception, match="lost its lease"),
            fence(runtime, "node-b").publishing(),
        ):
            pass
        publish_holds_off_the_takeover(runtime)
    finally:
        runtime.db.dispose()


def publish_holds_off_the_takeover(rt: Runtime) -> None:
    held = threading.Event()
    release = threading.Event()
    moved_at: list[float] = []

    def publisher() -> None:
        with fence(rt).publishing():
            held.set()
            release.wait(10)

    def reaper() -> None:
        with rt.db.begin() as conn:
            store.move(conn, 1, "j", 1, [S.RUNNING], status=S.FAILED, owner=None)
        moved_at.append(time.monotonic())

    first = threading.Thread(target=publisher)
    first.start()
    assert held.wait(10)
    second = threading.Thread(target=reaper)
    second.start()
    time.sleep(0.5)
    released_at = time.monotonic()
    release.set()
    first.join(10)
    second.join(10)

    assert moved_at and moved_at[0] >= released_at  # the takeover waited for the publish
    with pytest.raises(Exception, match="lost its lease"), fence(rt).publishing():
        pass


def test_an_undo_cut_short_by_a_crash_is_finished_when_the_service_starts(
    rt: Runtime, tmp_path: Path
) -> None:
    ctx, objects = exports_ctx(rt, tmp_path)
    run_exports(ctx, PLANS)  # published, journaled; then the service died before settling
    with rt.db.begin() as conn:  # a predecessor settled it Failed, then died before its undo
        store.move(conn, 1, "j", 1, [S.RUNNING], status=S.FAILED, owner=None)

    Runner(rt).settle_orphans(every=True)

    assert list(objects.list("outb")) == [] and report_rows(tmp_path) == 0
    with rt.db.connect() as conn:
        assert export_outcomes.for_batch(conn, "u1") == []  # every row Undone
        assert export_outcomes.unsettled(conn) == []


def test_a_stale_attempt_does_not_overwrite_the_live_attempts_batch_log(
    rt: Runtime, tmp_path: Path
) -> None:
    """A worker still running attempt 0 after the batch moved on to attempt 1 (a rerun) writes
    no log over attempt 1's: not at its start, not at its end (the real worker loop, `serve`)."""
    folder = tmp_path / "data" / "warehouse" / "default" / "j" / "1"
    result = file_uri(folder / RESULT_NAME)
    plan = BatchPlan(1, SCOPE, "j", 1, "select 42 as n", (), result, Limits(1, "1GB"),
                     "Asia/Shanghai", owner=OWNER, batch_uid="u1", attempt=0)  # fmt: skip
    with rt.db.begin() as conn:
        assert store.move(conn, 1, "j", 1, [S.RUNNING], rerun_count=1)  # attempt 1 is live
    live = b"job: j\nbatch: 1 (attempt 1)\n"
    rt.storages.put(log_beside(result), live)

    # A worker process as the runner makes one (serve arms itself to die with its parent and
    # closes the forkserver's pipe: never in the test's own process).
    context = multiprocessing.get_context("forkserver")
    ours, theirs = context.Pipe()
    worker = context.Process(target=serve, args=(theirs, WorkerConfig.of(rt.settings)))
    worker.start()
    try:
        ours.send(plan)
        assert ours.poll(120), "the worker did not answer"
        answer = ours.recv()
    finally:
        ours.send(None)
        worker.join(30)
        if worker.is_alive():
            worker.kill()

    assert isinstance(answer, Outcome) and answer.ending is Ending.LEASE_LOST
    assert (folder / LOG_NAME).read_bytes() == live
    assert not (folder / RESULT_NAME).exists()
