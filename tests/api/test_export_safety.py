"""Failure safety of exports through the real app (issue 9): a failure while settling a batch
ends it Failed with the reason (kind 3), an attempt that does not succeed leaves nothing
visible (kind 4), and a re-created job's batches never match the old job's output (kind 5).

Over a local bucket, a real HTTP receiver started here, and SQLite report databases.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import sqlalchemy as sa

from tests.api.test_batches import make_job
from tests.api.test_export_runs import CODE, add_export, kodo, objects, run
from tests.api.test_export_runs import data as data
from tests.api.test_export_runs import receiver as receiver
from tests.api.test_export_runs import settings as settings
from tests.exporters.receivers import Receiver
from tests.support import Client, wait_for
from tidemill.config import Settings
from tidemill.runtime import Runtime
from tidemill.store.tables import export_outcomes, job_exports

REPORT = {"type": "report", "spec": {"dbName": "db1", "tableName": "t1",
                                     "columns": {"u": "#url", "b": "#bytes"}}}  # fmt: skip


def report_rows(settings: Settings) -> list[tuple[object, ...]]:
    path = settings.data_dir / "report" / "default-db1.sqlite"
    if not Path(path).exists():
        return []
    with sqlite3.connect(path) as db:
        return db.execute("select u, b, _tidemill_batch from t1 order by b").fetchall()


def start(client: Client, job: str) -> None:
    response = client.post(f"/v2/jobs/{job}/actions/start")
    assert response.status_code == 200, response.text


def test_an_outcome_that_cannot_be_recorded_fails_the_batch_with_the_reason(
    data: Client, settings: Settings, runtime: Runtime
) -> None:
    make_job(data, "j", CODE)
    add_export(data, "j", "e", kodo("out/x.json", retention=7))
    # As stored before retention had a checked range: its expiry is past the year 9999.
    with runtime.db.begin() as conn:
        spec = {**kodo("out/x.json")["spec"], "retention": 3_000_000}
        conn.execute(sa.update(job_exports).values(spec=spec))

    start(data, "j")
    done = wait_for(data, "j", {"Successful", "Failed", "Canceled"}, timeout=120)

    assert done["status"] == "Failed"
    assert "could not record this batch's outcome" in done["message"]
    assert "retention of 3000000 days ends after the year 9999" in done["message"]
    assert list(objects(settings)) == []  # the file it exported is removed again
    start(data, "j")  # the job is not stuck: it accepts a start
    assert wait_for(data, "j", {"Successful", "Failed"}, timeout=120)["runId"] == 2


def test_a_batch_stopped_during_its_exports_leaves_nothing_visible(
    data: Client, settings: Settings, runtime: Runtime, receiver: Receiver
) -> None:
    receiver.hold = threading.Event()
    make_job(data, "j", CODE)
    add_export(data, "j", "files", kodo("out/x.json"))
    add_export(data, "j", "rows", REPORT)
    add_export(data, "j", "wait", {"type": "http", "spec": {"host": receiver.url, "uri": "/in"}})
    start(data, "j")
    assert receiver.arrived.wait(120)  # kodo and report are published; http is being sent
    published = (list(objects(settings)), len(report_rows(settings)))

    stop = data.post("/v2/batch/actions/stop", {"jobName": "j", "runId": 1})
    receiver.hold.set()
    done = wait_for(data, "j", {"Successful", "Failed", "Canceled"}, timeout=120)

    assert stop.status_code == 200, stop.text
    assert published == (["out/x.json"], 3)
    assert done["status"] == "Canceled"
    assert list(objects(settings)) == []
    assert report_rows(settings) == []
    with runtime.db.connect() as conn:
        kept = conn.execute(sa.select(export_outcomes.c.export_name, export_outcomes.c.status,
                                      export_outcomes.c.purged_at.is_not(None))).all()  # fmt: skip
    assert sorted(kept) == [("files", "Undone", True), ("rows", "Undone", True)]


def test_a_rerun_after_a_canceled_attempt_exports_exactly_once(
    data: Client, settings: Settings, receiver: Receiver
) -> None:
    receiver.hold = threading.Event()
    make_job(data, "j", CODE)
    add_export(data, "j", "files", kodo("out/", saveMode="append", fileCount=2))
    add_export(data, "j", "rows", REPORT)
    add_export(data, "j", "wait", {"type": "http", "spec": {"host": receiver.url, "uri": "/in"}})
    start(data, "j")
    assert receiver.arrived.wait(120)
    data.post("/v2/batch/actions/stop", {"jobName": "j", "runId": 1})
    receiver.hold.set()
    assert (
        wait_for(data, "j", {"Successful", "Failed", "Canceled"}, timeout=120)["status"]
        == "Canceled"
    )

    rerun = data.post("/v2/batch/actions/rerun", {"jobName": "j", "runId": 1})
    assert rerun.status_code == 200, rerun.text
    done = wait_for(data, "j", {"Successful", "Failed", "Canceled"}, timeout=120)

    assert done["status"] == "Successful", done
    assert len(objects(settings)) == 2
    assert [r[1] for r in report_rows(settings)] == [5, 7, 10]


def test_a_recreated_job_never_touches_the_old_jobs_output(
    data: Client, settings: Settings
) -> None:
    make_job(data, "j", CODE)
    add_export(data, "j", "files", kodo("out/", saveMode="append"))
    add_export(data, "j", "rows", REPORT)
    assert run(data, "j")["status"] == "Successful"
    old_files, old_rows = list(objects(settings)), report_rows(settings)
    for path in ("/v2/jobs/j/exports/files", "/v2/jobs/j/exports/rows", "/v2/jobs/j"):
        assert data.delete(path).status_code == 200
    make_job(data, "j", CODE)
    add_export(data, "j", "files", kodo("out/", saveMode="append"))
    add_export(data, "j", "rows", REPORT)

    again = run(data, "j")
    rerun = data.post("/v2/batch/actions/rerun", {"jobName": "j", "runId": 1})
    assert rerun.status_code == 200
    rerun_done = wait_for(data, "j", {"Successful", "Failed"}, timeout=120)

    assert (again["runId"], again["status"], rerun_done["status"]) == (
        1,
        "Successful",
        "Successful",
    )
    rows = report_rows(settings)
    assert len(rows) == 6 and set(old_rows) <= set(rows)  # the old job's 3 rows are still there
    assert len({r[2] for r in rows}) == 2  # two batch keys, both "runId 1 of job j"
    files = list(objects(settings))
    assert len(files) == 2 and set(old_files) <= set(files)
