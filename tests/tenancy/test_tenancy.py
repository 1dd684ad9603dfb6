"""Two accounts, every cross-account path the API offers, on local storage and on S3 (issue 9,
kind 1). Account A is the bootstrap account ("default"), B is "bob" with keys of its own.

A keeps orders whose customers are named `a-secret-NNN`; every answer B gets, every object B's
exports write and every row of B's targets is searched for that mark: 0 leaks. After B's
`overwrite` exports, A's objects and report rows are checked to be exactly as they were.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.buckets import own_bucket
from tests.conftest import make_settings
from tests.exporters.receivers import http_receiver
from tests.support import Client, assert_error, wait_for
from tidemill.api.app import create_app
from tidemill.config import Settings
from tidemill.runtime import Runtime, build_runtime
from tidemill.services.accounts import create_key
from tidemill.storage.base import Buckets
from tidemill.store import accounts

MARK = "a-secret-"
ORDERS = [{"customer": f"{MARK}{i:03d}", "amount": 10 * i} for i in range(50)]
SCHEMA = [
    {"key": "customer", "valtype": "string", "required": False},
    {"key": "amount", "valtype": "long", "required": False},
]
SUM = "select count(*) as n, sum(amount) as total, min(customer) as first from orders"
ROWS = "select customer, amount from orders"


@dataclass
class Tenants:
    a: Client
    b: Client
    settings: Settings
    runtime: Runtime
    a_bucket: str  # A's bucket holding the orders under orders/
    a_out: str  # A's bucket its exports write to
    b_bucket: str  # a bucket of B's own (on local storage: the same name as a_out)
    a_store: Buckets
    b_store: Buckets

    @property
    def s3(self) -> bool:
        return bool(self.settings.s3.endpoint)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def tenants(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tenants]:
    settings = make_settings(tmp_path).model_copy(
        update={"exports": Settings().exports.model_copy(update={"http_retries": 0})}
    )
    if request.param == "s3":
        settings = settings.model_copy(update={"s3": request.getfixturevalue("s3_settings")})
    suffix = uuid.uuid4().hex[:10]
    a_bucket, a_out = f"sales-{suffix}", f"out-{suffix}"
    # Locally B owns a bucket of the very name A exports to: the names are per account. On
    # S3 bucket names are global, so B's is another bucket.
    b_bucket = a_out if request.param == "local" else f"bob-{suffix}"
    runtime = build_runtime(settings)
    own_bucket(runtime, a_bucket)
    a_store = own_bucket(runtime, a_out)  # a view made after both grants (S3) sees both
    pair = create_key(runtime, "bob")
    b_store = own_bucket(runtime, b_bucket, "bob")
    a_store.write(a_bucket, "orders/part-0.json", _lines(ORDERS))
    try:
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            a = Client(http)
            b = a.as_account(pair.access_key, pair.secret_key)
            yield Tenants(a, b, settings, runtime, a_bucket, a_out, b_bucket, a_store, b_store)
    finally:
        runtime.close()


def _lines(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


def _no_leak(*texts: str | bytes) -> None:
    for text in texts:
        shown = text.decode(errors="replace") if isinstance(text, bytes) else text
        assert MARK not in shown, f"account A's data reached account B: {shown[:300]}"


def datasource(bucket: str, *, verify: bool = True) -> dict[str, Any]:
    return {
        "region": "nb",
        "type": "kodo",
        "noVerifySchema": not verify,
        "spec": {"bucket": bucket, "keyPrefixes": ["orders/"], "fileType": "json"},
        "schema": SCHEMA,
    }


def manual_job(code: str, source: str = "orders") -> dict[str, Any]:
    return {
        "srcs": [{"name": source, "type": "DataSource", "tableName": "orders"}],
        "computation": {"type": "sql", "code": code},
        "container": {"type": "1U2G", "count": 1},
        "scheduler": {"type": "manual"},
    }


def run(client: Client, job: str) -> dict[str, Any]:
    _ok(client.post(f"/v2/jobs/{job}/actions/start"))
    return wait_for(client, job, timeout=60)


def result_rows(client: Client, job: str, run_id: int) -> list[list[Any]]:
    response = client.get(f"/v2/jobs/{job}/history/{run_id}/result")
    assert response.status_code == 200, response.text
    rows: list[list[Any]] = response.json()["rows"]
    return rows


def a_pipeline(t: Tenants, job: str = "totals", code: str = SUM) -> None:
    """A's datasource over its orders and a job reading them, run once."""
    _ok(t.a.post("/v2/datasources/orders", datasource(t.a_bucket)))
    _ok(t.a.post(f"/v2/jobs/{job}", manual_job(code)))


def objects(store: Buckets, bucket: str) -> dict[str, bytes]:
    return {o.key: store.read(bucket, o.key) for o in store.list(bucket)}


# -- schemas and datasources ---------------------------------------------------------------------


def test_b_cannot_infer_the_schema_of_as_bucket(tenants: Tenants) -> None:
    # the instance in cases/safety/cross-account-reads-source-bucket (with the next two tests)
    t = tenants
    spec = {"bucket": t.a_bucket, "keyPrefixes": ["orders/"], "fileType": "json"}

    mine = _ok(t.a.post("/v2/schemas", {"type": "kodo", "spec": spec}))
    theirs = t.b.post("/v2/schemas", {"type": "kodo", "spec": spec})

    assert [f["key"] for f in mine["schema"]] == ["customer", "amount"]
    assert_error(theirs, 400, "E18109")
    assert "does not exist" in theirs.text
    _no_leak(theirs.text)
    assert "customer" not in theirs.text


def test_b_cannot_create_a_verified_datasource_over_as_bucket(tenants: Tenants) -> None:
    t = tenants
    created = t.b.post("/v2/datasources/peek", datasource(t.a_bucket))

    assert_error(created, 400, "E18109")
    _no_leak(created.text)
    assert_error(t.b.get("/v2/datasources/peek"), 404, "E18102")


def test_b_reads_none_of_as_rows_through_a_datasource_of_its_own(tenants: Tenants) -> None:
    t = tenants
    a_pipeline(t)
    unverified = t.b.post("/v2/datasources/peek", datasource(t.a_bucket, verify=False))
    if t.s3:  # not granted to B: refused even unverified, as a bucket that does not exist
        assert_error(unverified, 400, "E18109")
        _no_leak(unverified.text)
        return
    _ok(unverified)  # locally it names B's own (missing) bucket of that name
    _ok(t.b.post("/v2/jobs/peek_job", manual_job(SUM, "peek")))

    done = run(t.b, "peek_job")

    assert done["status"] == "Failed", done
    assert "does not exist" in done["message"]
    _no_leak(json.dumps(done))
    assert run(t.a, "totals")["status"] == "Successful"  # A still reads its own
    assert result_rows(t.a, "totals", 1) == [[50, 12250, f"{MARK}000"]]


def test_b_cannot_point_its_datasource_at_as_bucket_by_update(tenants: Tenants) -> None:
    t = tenants
    t.b_store.write(t.b_bucket, "orders/b.json", _lines([{"customer": "bob-1", "amount": 1}]))
    _ok(t.b.post("/v2/datasources/orders", datasource(t.b_bucket)))
    _ok(t.b.post("/v2/jobs/totals", manual_job(SUM)))
    moved = {"spec": datasource(t.a_bucket)["spec"], "schema": SCHEMA}

    updated = t.b.put("/v2/datasources/orders", moved)

    if t.s3:  # not granted to B
        assert_error(updated, 400, "E18109")
        assert run(t.b, "totals")["status"] == "Successful"
        assert result_rows(t.b, "totals", 1) == [[1, 1, "bob-1"]]
        return
    _ok(updated)  # locally the name is B's own (missing) bucket: the batch finds nothing
    done = run(t.b, "totals")
    assert done["status"] == "Failed" and "does not exist" in done["message"], done
    _no_leak(json.dumps(done))


@pytest.mark.parametrize("file_filter", ["../../default/*", "../*/orders/*", "*"])
def test_b_file_filters_cannot_climb_into_as_bucket(tenants: Tenants, file_filter: str) -> None:
    t = tenants
    t.b_store.write(t.b_bucket, "orders/b.json", _lines([{"customer": "bob-1", "amount": 1}]))
    body = datasource(t.b_bucket)
    body["spec"] = {**body["spec"], "keyPrefixes": []}
    _ok(t.b.post("/v2/datasources/orders", body))
    job = manual_job(SUM)
    job["srcs"][0]["fileFilter"] = file_filter
    created = t.b.post("/v2/jobs/totals", job)
    if created.status_code != 200:  # refused outright: nothing read
        _no_leak(created.text)
        return

    done = run(t.b, "totals")

    _no_leak(json.dumps(done))
    if done["status"] == "Successful":
        _no_leak(json.dumps(result_rows(t.b, "totals", done["runId"])))


def test_same_bucket_name_in_two_accounts_holds_each_ones_data(tenants: Tenants) -> None:
    t = tenants
    if t.s3:
        pytest.skip("S3 bucket names are global: two accounts cannot both own one name")
    t.b_store.write(t.b_bucket, "orders/b.json", _lines([{"customer": "bob-1", "amount": 1}]))
    t.a_store.write(t.a_out, "orders/a.json", _lines(ORDERS[:3]))  # A's bucket of that name
    _ok(t.b.post("/v2/datasources/orders", datasource(t.b_bucket)))
    _ok(t.b.post("/v2/jobs/totals", manual_job(SUM)))

    schema = _ok(t.b.post("/v2/schemas", {"type": "kodo", "spec": datasource(t.b_bucket)["spec"]}))
    done = run(t.b, "totals")

    assert [f["key"] for f in schema["schema"]] == ["customer", "amount"]
    assert done["status"] == "Successful", done
    assert result_rows(t.b, "totals", 1) == [[1, 1, "bob-1"]]
    base = t.settings.data_dir / "kodo"
    assert (base / "bob" / t.b_bucket / "orders/b.json").is_file()
    assert (base / "default" / t.a_out / "orders/a.json").is_file()


# -- job reads and results -----------------------------------------------------------------------


def test_b_cannot_read_as_results_history_or_batches(tenants: Tenants) -> None:
    t = tenants
    a_pipeline(t)
    assert run(t.a, "totals")["status"] == "Successful"

    answers = [
        t.b.get("/v2/jobs/totals/history/1/result"),
        t.b.get("/v2/jobs/totals/history", params={"runId": "-1"}),
        t.b.get("/v2/jobs/totals"),
        t.b.get("/v2/datasources/orders"),
        t.b.post("/v2/batch/actions/rerun", {"jobName": "totals", "runId": 1}),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404, 404, 404]
    _no_leak(*(a.text for a in answers))
    listed = [t.b.get("/v2/jobs"), t.b.get("/v2/datasources"), t.b.get("/v2/batch")]
    _no_leak(*(a.text for a in listed))


def test_b_depend_job_reads_only_bs_own_upstream(tenants: Tenants) -> None:
    t = tenants
    a_pipeline(t)
    assert run(t.a, "totals")["status"] == "Successful"
    depend = {
        "srcs": [{"name": "totals", "type": "Job", "tableName": "up"}],
        "computation": {"type": "sql", "code": "select * from up"},
        "scheduler": {"type": "depend"},
    }

    refused = t.b.post("/v2/jobs/after", depend)  # B has no job "totals"

    assert_error(refused, 404, "E18202")
    # B's own "totals" over its own data: its depend job reads B's result, never A's
    t.b_store.write(t.b_bucket, "orders/b.json", _lines([{"customer": "bob-1", "amount": 7}]))
    _ok(t.b.post("/v2/datasources/orders", datasource(t.b_bucket)))
    _ok(t.b.post("/v2/jobs/totals", manual_job(SUM)))
    _ok(t.b.post("/v2/jobs/after", depend))
    assert run(t.b, "totals")["status"] == "Successful"
    after = wait_for(t.b, "after", timeout=60)
    assert after["status"] == "Successful", after
    rows = result_rows(t.b, "after", after["runId"])
    assert rows == [[1, 7, "bob-1"]]


# -- exports -------------------------------------------------------------------------------------


def kodo_export(bucket: str, prefix: str = "daily/", mode: str = "overwrite") -> dict[str, Any]:
    spec = {"bucket": bucket, "keyPrefix": prefix, "format": "json", "fileCount": 1}
    return {"type": "kodo", "spec": {**spec, "saveMode": mode}}


def test_b_kodo_exports_cannot_reach_as_bucket_and_overwrite_leaves_as_files(
    tenants: Tenants,
) -> None:
    t = tenants
    a_pipeline(t, "dump", ROWS)
    _ok(t.a.post("/v2/jobs/dump/exports/files", kodo_export(t.a_out, "shared/")))
    assert run(t.a, "dump")["status"] == "Successful"
    before = objects(t.a_store, t.a_out)
    assert len(before) == 1 and MARK in next(iter(before.values())).decode()

    # B's own data and job, exporting with overwrite to the same bucket name and prefix
    t.b_store.write(t.b_bucket, "orders/b.json", _lines([{"customer": "bob-1", "amount": 1}]))
    _ok(t.b.post("/v2/datasources/orders", datasource(t.b_bucket)))
    _ok(t.b.post("/v2/jobs/dump", manual_job(ROWS)))
    to_as = t.b.post("/v2/jobs/dump/exports/files", kodo_export(t.a_out, "shared/"))
    if t.s3:  # A's bucket is not granted to B: refused at create as a missing bucket (§8.2)
        assert_error(to_as, 404, "E18122")
        _ok(t.b.post("/v2/jobs/dump/exports/files", kodo_export(t.b_bucket, "shared/")))
    else:  # the same name is B's own bucket
        _ok(to_as)

    done = run(t.b, "dump")

    assert done["status"] == "Successful", done
    assert objects(t.a_store, t.a_out) == before  # untouched by B's overwrite
    written = objects(t.b_store, t.b_bucket)
    exported = {k: v for k, v in written.items() if k.startswith("shared/")}
    assert len(exported) == 1
    _no_leak(*exported.values())
    assert b"bob-1" in next(iter(exported.values()))


@pytest.mark.s3
def test_s3_revoked_bucket_is_refused_when_the_batch_runs(s3_settings: Any, tmp_path: Path) -> None:
    """The layer that touches data checks the grant too: revoking after create fails B's batch
    (the batch plan carries the grants of when it is planned), and A's objects stay."""
    settings = make_settings(tmp_path).model_copy(update={"s3": s3_settings})
    runtime = build_runtime(settings)
    try:
        suffix = uuid.uuid4().hex[:10]
        bucket = f"shared-{suffix}"
        a_store = own_bucket(runtime, bucket)
        a_store.write(bucket, "orders/a.json", _lines(ORDERS))
        pair = create_key(runtime, "bob")
        own_bucket(runtime, bucket, "bob")  # granted to both, for a while
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            b = Client(http).as_account(pair.access_key, pair.secret_key)
            _ok(b.post("/v2/datasources/orders", datasource(bucket)))
            _ok(b.post("/v2/jobs/dump", manual_job(ROWS)))
            _ok(b.post("/v2/jobs/dump/exports/files", kodo_export(bucket, "orders/")))
            with runtime.db.begin() as conn:
                assert accounts.revoke_bucket(conn, accounts.account_id(conn, "bob"), bucket)

            done = run(b, "dump")

            assert done["status"] == "Failed", done
            assert "not granted" in done["message"]
            assert list(objects(a_store, bucket)) == ["orders/a.json"]
            result = b.get(f"/v2/jobs/dump/history/{done['runId']}/result")
            _no_leak(result.text, json.dumps(done))
    finally:
        runtime.close()


def report_export(db: str, mode: str) -> dict[str, Any]:
    spec = {
        "dbName": db,
        "tableName": "orders",
        "columns": {"customer": "#customer", "amount": "#amount"},
        "saveMode": mode,
    }
    return {"type": "report", "spec": spec}


def report_rows(settings: Settings, account: str, db: str) -> list[tuple[Any, ...]]:
    path = settings.data_dir / "report" / f"{account}-{db}.sqlite"
    with sqlite3.connect(path) as conn:
        return conn.execute("select customer, amount from orders order by amount").fetchall()


def test_b_report_overwrite_cannot_empty_as_table(tenants: Tenants) -> None:
    t = tenants
    a_pipeline(t, "dump", ROWS)
    _ok(t.a.post("/v2/jobs/dump/exports/rep", report_export("shared", "append")))
    assert run(t.a, "dump")["status"] == "Successful"
    before = report_rows(t.settings, "default", "shared")
    assert len(before) == 50

    t.b_store.write(t.b_bucket, "orders/b.json", _lines([{"customer": "bob-1", "amount": 1}]))
    _ok(t.b.post("/v2/datasources/orders", datasource(t.b_bucket)))
    _ok(t.b.post("/v2/jobs/dump", manual_job(ROWS)))
    _ok(t.b.post("/v2/jobs/dump/exports/rep", report_export("shared", "overwrite")))
    done = run(t.b, "dump")

    assert done["status"] == "Successful", done
    assert report_rows(t.settings, "default", "shared") == before
    assert report_rows(t.settings, "bob", "shared") == [("bob-1", 1)]


@pytest.mark.postgres
def test_report_overwrite_on_postgresql_stays_in_its_accounts_schema(
    postgres_url: str, tmp_path: Path
) -> None:
    """TIDEMILL_REPORT_URL without {db}: each dbName is a schema, and account A's is `A-<db>`."""
    import sqlalchemy as sa

    settings = make_settings(tmp_path).model_copy(update={"report_url": postgres_url})
    runtime = build_runtime(settings)
    pair = create_key(runtime, "bob")
    for account, rows in (("default", ORDERS), ("bob", [{"customer": "bob-1", "amount": 1}])):
        own_bucket(runtime, "sales", account).write("sales", "orders/x.json", _lines(rows))
    try:
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            a = Client(http)
            b = a.as_account(pair.access_key, pair.secret_key)
            for client, mode in ((a, "append"), (b, "overwrite")):
                _ok(client.post("/v2/datasources/orders", datasource("sales")))
                _ok(client.post("/v2/jobs/dump", manual_job(ROWS)))
                _ok(client.post("/v2/jobs/dump/exports/rep", report_export("shared", mode)))
                assert run(client, "dump")["status"] == "Successful"
    finally:
        runtime.close()

    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        counted = {
            schema: conn.execute(sa.text(f'select count(*) from "{schema}".orders')).scalar()
            for schema in ("default-shared", "bob-shared")
        }
        mark = conn.execute(
            sa.text('select count(*) from "bob-shared".orders where customer like :m'),
            {"m": MARK + "%"},
        ).scalar()
    engine.dispose()
    assert counted == {"default-shared": 50, "bob-shared": 1}
    assert mark == 0


def test_a_shared_http_target_gets_each_accounts_own_rows(tenants: Tenants) -> None:
    t = tenants
    with http_receiver() as receiver:
        a_pipeline(t, "dump", ROWS)
        target = {"type": "http", "spec": {"host": receiver.url, "uri": "/in", "format": "json"}}
        _ok(t.a.post("/v2/jobs/dump/exports/push", target))
        t.b_store.write(t.b_bucket, "orders/b.json", _lines([{"customer": "bob-1", "amount": 1}]))
        _ok(t.b.post("/v2/datasources/orders", datasource(t.b_bucket)))
        _ok(t.b.post("/v2/jobs/dump", manual_job(ROWS)))
        _ok(t.b.post("/v2/jobs/dump/exports/push", target))

        assert run(t.b, "dump")["status"] == "Successful"
        b_requests = list(receiver.requests)
        assert run(t.a, "dump")["status"] == "Successful"

    _no_leak(*(r.body for r in b_requests))
    assert b"bob-1" in b"".join(r.body for r in b_requests)
    a_bodies = b"".join(r.body for r in receiver.requests[len(b_requests) :])
    assert a_bodies.count(MARK.encode()) == 50 and b"bob-1" not in a_bodies


# -- logdb and tsdb: the same repo name is another index / database per account -----------------


def _sink_tenants(tmp_path: Path, **urls: str) -> tuple[Settings, Runtime, Any]:
    settings = make_settings(tmp_path).model_copy(update=urls)
    runtime = build_runtime(settings)
    pair = create_key(runtime, "bob")
    a_store = own_bucket(runtime, "sales")
    b_store = own_bucket(runtime, "sales", "bob")
    a_store.write("sales", "orders/a.json", _lines(ORDERS))
    b_store.write("sales", "orders/b.json", _lines([{"customer": "bob-1", "amount": 1}]))
    return settings, runtime, pair


def _both_export(http: TestClient, pair: Any, body: dict[str, Any]) -> tuple[Client, Client]:
    a = Client(http)
    b = a.as_account(pair.access_key, pair.secret_key)
    for client in (a, b):
        _ok(client.post("/v2/datasources/orders", datasource("sales")))
        _ok(client.post("/v2/jobs/dump", manual_job(ROWS)))
        _ok(client.post("/v2/jobs/dump/exports/sink", body))
    return a, b


@pytest.mark.opensearch
def test_logdb_repos_of_two_accounts_are_two_indices(opensearch_url: str, tmp_path: Path) -> None:
    import httpx

    repo = f"orders_{uuid.uuid4().hex[:8]}"
    settings, runtime, pair = _sink_tenants(tmp_path, logdb_url=opensearch_url)
    body = {"type": "logdb", "spec": {"destRepoName": repo, "doc": {"c": "#customer"}}}
    try:
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            a, b = _both_export(http, pair, body)
            assert run(a, "dump")["status"] == "Successful"
            assert run(b, "dump")["status"] == "Successful"
    finally:
        runtime.close()

    def docs(index: str) -> list[str]:
        found = httpx.post(f"{opensearch_url}/{index}/_search", json={"size": 100}).json()
        return sorted(hit["_source"]["c"] for hit in found["hits"]["hits"])

    assert docs(f"bob-{repo}") == ["bob-1"]
    assert docs(f"default-{repo}") == sorted(str(r["customer"]) for r in ORDERS)


@pytest.mark.influxdb
def test_tsdb_repos_of_two_accounts_are_two_databases(influxdb_url: str, tmp_path: Path) -> None:
    import httpx

    repo = f"orders_{uuid.uuid4().hex[:8]}"
    settings, runtime, pair = _sink_tenants(tmp_path, tsdb_url=influxdb_url)
    spec = {"destRepoName": repo, "series": "sales", "tags": {"c": "#customer"}}
    body = {"type": "tsdb", "spec": {**spec, "fields": {"amount": "#amount"}}}
    try:
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            a, b = _both_export(http, pair, body)
            assert run(a, "dump")["status"] == "Successful"
            assert run(b, "dump")["status"] == "Successful"
    finally:
        runtime.close()

    def count(db: str) -> int:
        answer = httpx.get(
            f"{influxdb_url}/query", params={"db": db, "q": "SELECT count(amount) FROM sales"}
        ).json()
        return int(answer["results"][0]["series"][0]["values"][0][1])

    assert count(f"bob-{repo}") == 1
    assert count(f"default-{repo}") == 50
