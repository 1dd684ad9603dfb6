"""tsdb (real InfluxDB 1.x), logdb (real OpenSearch) and report (SQLite, real PostgreSQL)
exports: mapping, omitInvalid, and reruns that replace instead of duplicating (spec §8.5-§8.7)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.exporters.support import context, make_result
from tidemill.config import Settings
from tidemill.core.exports import validate_export
from tidemill.exporters import run_exports
from tidemill.exporters.base import ExportOutcome, ExportPlan, HttpOptions, Targets
from tidemill.storage import open_kodo
from tidemill.storage.base import AccountScope

OPTIONS = HttpOptions(timeout=10, retries=1, backoff=0.01)


def run(
    tmp_path: Path,
    type_: str,
    spec: dict[str, Any],
    targets: Targets,
    *,
    previous: tuple[dict[str, Any], ...] = (),
    attempt: int = 0,
    rows: int = 10,
    run_id: int = 1,
) -> ExportOutcome:
    validate_export({"type": type_, "spec": spec}, output_columns=None)
    result = make_result(tmp_path / f"warehouse-{rows}", rows)
    store = open_kodo(Settings(data_dir=tmp_path / "data")).for_account(AccountScope("default"))
    ctx = context(
        result,
        store,
        tmp_path / "scratch",
        rows=rows,
        attempt=attempt,
        targets=targets,
        run_id=run_id,
    )
    [outcome] = run_exports(ctx, [ExportPlan("e", type_, spec, False, previous)])
    return outcome


# --- tsdb -----------------------------------------------------------------------------------


def influx(url: str, db: str, q: str) -> list[list[Any]]:
    """Rows of `q` in the database of the test account's repo `db` (`default-<db>`)."""
    reply = httpx.get(f"{url}/query", params={"db": f"default-{db}", "q": q}).json()
    series = reply["results"][0].get("series") or [{"values": []}]
    values: list[list[Any]] = series[0]["values"]
    return values


TSDB = {
    "destRepoName": "",
    "series": "scores",
    "tags": {"country": "#country"},
    "fields": {"score": "#score", "name": "#name", "ok": "#ok"},
    "timestamp": "#t",
}


@pytest.mark.influxdb
def test_tsdb_points_have_tags_fields_and_the_timestamp_column(tmp_path, influxdb_url) -> None:
    db = "r" + uuid.uuid4().hex[:8]
    spec = {**TSDB, "destRepoName": db, "omitInvalid": True}

    outcome = run(tmp_path, "tsdb", spec, Targets(tsdb_url=influxdb_url, http=OPTIONS))

    assert outcome.status == "Successful", outcome.message
    assert outcome.rows == 10
    got = influx(influxdb_url, db, 'SELECT "country", "score", "name", "ok" FROM "scores"')
    assert len(got) == 10
    assert got[0] == ["2026-11-23T02:00:00Z", "US", 0, "n0", True]
    assert got[1][3] == 'n1\tx"y\nz\\'
    assert got[2][2] is None  # a NULL field is left out of that point


@pytest.mark.influxdb
def test_tsdb_date_fields_are_rfc3339_in_the_configured_zone(tmp_path, influxdb_url) -> None:
    db = "r" + uuid.uuid4().hex[:8]
    spec = {"destRepoName": db, "series": "s", "tags": {}, "fields": {"when": "#t"}}

    outcome = run(tmp_path, "tsdb", spec, Targets(tsdb_url=influxdb_url, http=OPTIONS))

    assert outcome.status == "Successful", outcome.message
    first = influx(influxdb_url, db, 'SELECT "when" FROM s')[0][1]
    assert first == "2026-11-23T10:00:00+08:00"


@pytest.mark.influxdb
def test_tsdb_rerun_without_timestamp_rewrites_the_same_points(tmp_path, influxdb_url) -> None:
    db = "r" + uuid.uuid4().hex[:8]
    spec = {"destRepoName": db, "series": "s", "tags": {}, "fields": {"id": "#id"}}
    targets = Targets(tsdb_url=influxdb_url, http=OPTIONS)
    first = run(tmp_path, "tsdb", spec, targets)

    second = run(
        tmp_path / "again", "tsdb", spec, targets, previous=(first.written,), attempt=1, rows=4
    )

    assert second.written["base_ns"] == first.written["base_ns"]
    assert [row[1] for row in influx(influxdb_url, db, "SELECT id FROM s")] == [0, 1, 2, 3]


@pytest.mark.influxdb
def test_tsdb_invalid_row_fails_unless_omit_invalid(tmp_path, influxdb_url) -> None:
    db = "r" + uuid.uuid4().hex[:8]
    spec = {"destRepoName": db, "series": "s", "tags": {}, "fields": {"score": "#score"}}

    failed = run(tmp_path, "tsdb", spec, Targets(tsdb_url=influxdb_url, http=OPTIONS))
    omitted = run(
        tmp_path / "b",
        "tsdb",
        {**spec, "omitInvalid": True},
        Targets(tsdb_url=influxdb_url, http=OPTIONS),
    )

    assert failed.status == "Failed"
    assert (
        failed.message
        == "row 3 cannot be written: every field is empty (set omitInvalid to skip it)"
    )
    assert omitted.status == "Successful" and omitted.rows == 9
    assert "1 invalid row(s) dropped (first: row 3: every field is empty)" in omitted.message


def test_tsdb_unreachable_server_fails_with_the_url(tmp_path) -> None:
    spec = {"destRepoName": "r", "series": "s", "tags": {}, "fields": {"id": "#id"}}

    outcome = run(tmp_path, "tsdb", spec, Targets(tsdb_url="http://127.0.0.1:9", http=OPTIONS))

    assert outcome.status == "Failed"
    assert outcome.message.startswith("http://127.0.0.1:9/query?")
    assert "failed to run CREATE 2 times" in outcome.message


# --- logdb ----------------------------------------------------------------------------------


def search(url: str, index: str) -> list[dict[str, Any]]:
    reply = httpx.post(f"{url}/{index}/_search", json={"size": 100, "sort": ["id"]}).json()
    return [hit["_source"] for hit in reply["hits"]["hits"]]


@pytest.mark.opensearch
def test_logdb_documents_follow_the_doc_mapping(tmp_path, opensearch_url) -> None:
    index = "r" + uuid.uuid4().hex[:8]
    spec = {
        "destRepoName": index,
        "doc": {"id": "#id", "who": {"name": "#name", "at": "#t"}, "score": "#score"},
    }

    outcome = run(tmp_path, "logdb", spec, Targets(logdb_url=opensearch_url, http=OPTIONS))

    assert outcome.status == "Successful", outcome.message
    docs = search(opensearch_url, f"default-{index}")
    assert len(docs) == 10
    assert docs[0] == {
        "id": 0,
        "who": {"name": "n0", "at": "2026-11-23T10:00:00+08:00"},
        "score": 0.0,
    }
    assert docs[2]["score"] is None


@pytest.mark.opensearch
def test_logdb_rerun_replaces_the_documents(tmp_path, opensearch_url) -> None:
    index = "r" + uuid.uuid4().hex[:8]
    spec = {"destRepoName": index, "doc": {"id": "#id"}}
    targets = Targets(logdb_url=opensearch_url, http=OPTIONS)
    first = run(tmp_path, "logdb", spec, targets)

    run(tmp_path / "again", "logdb", spec, targets, previous=(first.written,), attempt=1, rows=4)

    assert [d["id"] for d in search(opensearch_url, f"default-{index}")] == [0, 1, 2, 3]


@pytest.mark.opensearch
def test_logdb_refused_documents_fail_unless_omit_invalid(tmp_path, opensearch_url) -> None:
    index = "r" + uuid.uuid4().hex[:8]
    # The index maps "v" as a long; names are not numbers, so OpenSearch refuses them.
    httpx.put(
        f"{opensearch_url}/default-{index}",
        json={"mappings": {"properties": {"v": {"type": "long"}}}},
    )
    spec = {"destRepoName": index, "doc": {"v": "#name"}}
    targets = Targets(logdb_url=opensearch_url, http=OPTIONS)

    failed = run(tmp_path, "logdb", spec, targets)
    omitted = run(tmp_path / "b", "logdb", {**spec, "omitInvalid": True}, targets, run_id=2)

    assert failed.status == "Failed"
    assert failed.message.startswith(
        f"default-{index} refused document 1-j-1-0: mapper_parsing_exception"
    )
    assert omitted.status == "Successful" and omitted.rows == 0
    assert "10 refused and dropped" in omitted.message


# --- report ---------------------------------------------------------------------------------

REPORT = {
    "dbName": "db1",
    "tableName": "t1",
    "columns": {"rid": "#id", "rname": "#name", "rt": "#t", "rscore": "#score", "rok": "#ok"},
}


def sqlite_targets(tmp_path: Path) -> Targets:
    return Targets(report_url=f"sqlite:///{tmp_path}/report/{{db}}.sqlite")


def test_report_creates_the_table_from_the_job_schema(tmp_path) -> None:
    outcome = run(tmp_path, "report", REPORT, sqlite_targets(tmp_path))

    assert outcome.status == "Successful", outcome.message
    with sqlite3.connect(tmp_path / "report" / "default-db1.sqlite") as db:
        columns = {row[1]: row[2] for row in db.execute("pragma table_info(t1)")}
        rows = db.execute("select rid, rname, rscore, rok from t1 order by rid").fetchall()
    assert columns == {
        "rid": "BIGINT",
        "rname": "TEXT",
        "rt": "DATETIME",
        "rscore": "FLOAT",
        "rok": "BOOLEAN",
        "_tidemill_batch": "VARCHAR(200)",
    }
    assert rows[:3] == [(0, "n0", 0.0, 1), (1, 'n1\tx"y\nz\\', 0.25, 0), (2, "n2", None, 1)]


def test_report_overwrite_replaces_the_table_and_append_adds(tmp_path) -> None:
    targets = sqlite_targets(tmp_path)
    run(tmp_path / "a", "report", REPORT, targets, run_id=1)
    run(tmp_path / "b", "report", REPORT, targets, run_id=2)
    appended = _count(tmp_path)

    run(tmp_path / "c", "report", {**REPORT, "saveMode": "overwrite"}, targets, run_id=3, rows=4)

    assert appended == 20
    assert _count(tmp_path) == 4


def _count(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "report" / "default-db1.sqlite") as db:
        return int(db.execute("select count(*) from t1").fetchone()[0])


def test_report_into_an_existing_table_missing_a_column_fails_clearly(tmp_path) -> None:
    (tmp_path / "report").mkdir()
    with sqlite3.connect(tmp_path / "report" / "default-db1.sqlite") as db:
        db.execute("create table t1 (rid bigint)")

    outcome = run(tmp_path, "report", REPORT, sqlite_targets(tmp_path))

    assert outcome.status == "Failed"
    assert outcome.message == (
        "table t1 has no column rname, rt, rscore, rok: add it or change spec.columns"
    )


@pytest.mark.postgres
def test_report_on_postgresql_uses_db_name_as_schema_and_reruns_replace(
    tmp_path, postgres_url
) -> None:
    targets = Targets(report_url=postgres_url)
    first = run(tmp_path / "a", "report", REPORT, targets)

    run(tmp_path / "b", "report", REPORT, targets, previous=(first.written,), attempt=1, rows=4)

    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text('select rid, rok from "default-db1".t1 order by rid')).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(0, True), (1, False), (2, True), (3, False)]
