"""Exports run after each successful batch, end to end through the real app (spec §8, D-19).

Over a local bucket, a real HTTP receiver started here, and SQLite report databases.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_batches import ROWS, make_datasource, make_job, write_lines
from tests.exporters.receivers import Receiver, http_receiver
from tests.support import AK, SK, Client, wait_for
from tidemill.config import Settings
from tidemill.runtime import build_runtime
from tidemill.store import export_outcomes

CODE = "select url, bytes, hit from logs order by bytes"
BY_BYTES = [ROWS[1], ROWS[2], ROWS[0]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        access_key=AK,
        secret_key=SK,
        exports={"http_backoff": 0.01, "http_retries": 2, "http_timeout": 5},
    )


@pytest.fixture
def data(client: Client, settings: Settings) -> Client:
    write_lines(settings, "bkt1", "cdn/2026-11-23.json", [json.dumps(r) for r in ROWS])
    make_datasource(client)
    return client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with http_receiver() as running:
        yield running


def kodo(prefix: str, **spec: Any) -> dict[str, Any]:
    body = {"bucket": "outb", "keyPrefix": prefix, "format": "json", "fileCount": 1}
    return {"type": "kodo", "spec": {**body, **spec}}


def add_export(client: Client, job: str, name: str, body: dict[str, Any]) -> None:
    response = client.post(f"/v2/jobs/{job}/exports/{name}", body)
    assert response.status_code == 200, response.text


def run(client: Client, job: str) -> dict[str, Any]:
    response = client.post(f"/v2/jobs/{job}/actions/start")
    assert response.status_code == 200, response.text
    return wait_for(client, job, {"Successful", "Failed"})


def rerun(client: Client, job: str, run_id: int = 1) -> dict[str, Any]:
    response = client.post("/v2/batch/actions/rerun", {"jobName": job, "runId": run_id})
    assert response.status_code == 200, response.text
    return wait_for(client, job, {"Successful", "Failed"})


def objects(settings: Settings, bucket: str = "outb") -> dict[str, bytes]:
    root = settings.data_dir / "kodo" / "default" / bucket
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def outcomes(settings: Settings, job: str, run_id: int = 1) -> list[export_outcomes.OutcomeRecord]:
    rt = build_runtime(settings)
    try:
        with rt.db.connect() as conn:
            return export_outcomes.for_batch(conn, 1, job, run_id)
    finally:
        rt.close()


def test_manual_job_writes_its_result_to_the_file_named_by_key_prefix(
    data: Client, settings: Settings
) -> None:
    make_job(data, "j", CODE)
    add_export(data, "j", "e", kodo("out/traffic.json"))

    done = run(data, "j")

    assert done["status"] == "Successful", done
    written = objects(settings)
    assert list(written) == ["out/traffic.json"]
    lines = [json.loads(line) for line in written["out/traffic.json"].splitlines()]
    assert lines == BY_BYTES


def test_every_export_of_the_job_runs_and_gets_an_outcome(
    data: Client, settings: Settings, receiver: Receiver
) -> None:
    make_job(data, "j", CODE)
    add_export(data, "j", "files", kodo("out/", format="csv", delimiter=";", containsHeader=True))
    add_export(data, "j", "push", {"type": "http", "spec": {"host": receiver.url, "uri": "/in"}})
    report = {"dbName": "db1", "tableName": "t1", "columns": {"u": "#url", "b": "#bytes"}}
    add_export(data, "j", "rep", {"type": "report", "spec": report})

    done = run(data, "j")

    assert done["status"] == "Successful", done
    assert [(o.export_name, o.status, o.rows) for o in outcomes(settings, "j")] == [
        ("files", "Successful", 3),
        ("push", "Successful", 3),
        ("rep", "Successful", 3),
    ]
    assert list(objects(settings)) == ["out/part-00000.csv"]
    assert objects(settings)["out/part-00000.csv"].decode().splitlines() == [
        "url;bytes;hit",
        "/b;5;false",
        "/a;7;true",
        "/a;10;true",
    ]
    [request] = receiver.requests
    assert request.path == "/in" and request.headers["content-type"] == "text/plain"
    assert request.body.decode().split("\n") == [
        "url=/b\tbytes=5\thit=false",
        "url=/a\tbytes=7\thit=true",
        "url=/a\tbytes=10\thit=true",
    ]
    with sqlite3.connect(settings.data_dir / "report" / "default-db1.sqlite") as db:
        assert db.execute("select u, b from t1 order by b").fetchall() == [
            ("/b", 5),
            ("/a", 7),
            ("/a", 10),
        ]


def test_a_failed_export_fails_the_batch_naming_it_and_keeps_the_others(
    data: Client, settings: Settings, receiver: Receiver
) -> None:
    receiver.always_fail = True
    make_job(data, "j", CODE)
    add_export(data, "j", "files", kodo("out/x.json"))
    add_export(data, "j", "push", {"type": "http", "spec": {"host": receiver.url, "uri": "/in"}})

    done = run(data, "j")

    assert done["status"] == "Failed"
    assert done["message"].startswith("export push failed: http://"), done["message"]
    assert "failed to accept chunk 0 3 times" in done["message"]
    assert len(receiver.requests) == 3  # one try and two retries
    assert [(o.export_name, o.status) for o in outcomes(settings, "j")] == [
        ("files", "Successful"),
        ("push", "Failed"),
    ]
    assert list(objects(settings)) == ["out/x.json"]


def test_http_export_retries_a_failing_receiver_with_back_off(
    data: Client, receiver: Receiver
) -> None:
    receiver.fail_next = 2
    make_job(data, "j", CODE)
    spec = {"host": f"http://{receiver.url}", "uri": "/in", "format": "json"}
    add_export(data, "j", "push", {"type": "http", "spec": spec})

    done = run(data, "j")

    assert done["status"] == "Successful", done
    assert [r.headers["x-accepted"] for r in receiver.requests] == ["no", "no", "yes"]
    [accepted] = receiver.accepted
    assert accepted.headers["content-type"] == "application/json"
    assert accepted.headers["x-tidemill-batch"] == "j/1"
    assert [json.loads(line) for line in accepted.body.split(b"\n")] == BY_BYTES


def test_rerun_replaces_what_the_earlier_attempt_exported(data: Client, settings: Settings) -> None:
    make_job(data, "j", CODE)
    # A scheduled-style name (timestamp per upload) and append mode: a plain second write
    # would add files; the rerun must replace the first attempt's instead.
    add_export(data, "j", "files", kodo("out/", saveMode="append", fileCount=2))
    report = {"dbName": "db1", "tableName": "t1", "columns": {"u": "#url"}}
    add_export(data, "j", "rep", {"type": "report", "spec": report})
    run(data, "j")
    first = objects(settings)

    again = rerun(data, "j")

    assert again["status"] == "Successful", again
    second = objects(settings)
    assert len(first) == 2 and len(second) == 2
    assert set(first).isdisjoint(second)  # new part names (append), the old ones removed
    with sqlite3.connect(settings.data_dir / "report" / "default-db1.sqlite") as db:
        assert db.execute("select count(*) from t1").fetchone() == (3,)
    attempts = [(o.export_name, o.attempt) for o in outcomes(settings, "j")]
    assert attempts == [("files", 0), ("rep", 0), ("files", 1), ("rep", 1)]


def test_a_second_batch_appends_while_a_rerun_does_not(data: Client, settings: Settings) -> None:
    make_job(data, "j", CODE)
    report = {"dbName": "db1", "tableName": "t1", "columns": {"u": "#url"}}
    add_export(data, "j", "rep", {"type": "report", "spec": report})
    run(data, "j")
    rerun(data, "j")

    run(data, "j")

    with sqlite3.connect(settings.data_dir / "report" / "default-db1.sqlite") as db:
        assert db.execute("select count(*) from t1").fetchone() == (6,)


def test_error_if_exists_fails_the_second_batch_with_a_message(
    data: Client, settings: Settings
) -> None:
    make_job(data, "j", CODE)
    add_export(data, "j", "files", kodo("out/x.json", saveMode="errorIfExists"))
    assert run(data, "j")["status"] == "Successful"

    second = run(data, "j")

    assert second["status"] == "Failed"
    assert second["message"].startswith("export files failed: outb/out/x.json already has")
    assert "errorIfExists" in second["message"]


def test_a_query_failure_runs_no_export(data: Client, receiver: Receiver) -> None:
    make_job(data, "j", "select raise_error('boom') as x from logs")
    add_export(data, "j", "push", {"type": "http", "spec": {"host": receiver.url, "uri": "/in"}})

    done = run(data, "j")

    assert done["status"] == "Failed" and "boom" in done["message"]
    assert receiver.requests == []
