"""hdfs datasources end to end through the API, on the run's MiniDFSCluster: every file type,
plain and compressed, created with schema verification, inferred by POST /v2/schemas, read by a
job whose result is checked; an unreachable namenode refused fast with the reason."""

from __future__ import annotations

import gzip
import re
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.support import Client, assert_error, wait_for
from tidemill.api.app import create_app
from tidemill.clock import FixedClock
from tidemill.config import HdfsSettings
from tidemill.runtime import Runtime, build_runtime

# 2026-11-23 01:30 in Asia/Shanghai (the default zone).
NOW = datetime(2026, 11, 22, 17, 30, tzinfo=UTC)


@dataclass
class Hdfs:
    client: Client
    runtime: Runtime
    root: str  # a fresh directory on the test HDFS, ending with '/'

    def put(self, name: str, data: bytes) -> None:
        self.runtime.storages.put(self.root + name, data)


@pytest.fixture
def env(tmp_path: Path, hdfs_url: str) -> Iterator[Hdfs]:
    settings = make_settings(tmp_path)
    clock = FixedClock(NOW)
    runtime = build_runtime(settings, clock)
    try:
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            yield Hdfs(Client(http, clock=clock), runtime, f"{hdfs_url}/a-{uuid.uuid4().hex[:12]}/")
    finally:
        runtime.close()


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


def parquet(tmp_path: Path, sql: str) -> bytes:
    path = tmp_path / f"{uuid.uuid4().hex}.parquet"
    relation = duckdb.sql(sql)
    assert relation is not None
    relation.write_parquet(str(path), compression="zstd")
    return path.read_bytes()


# fileType, extra spec, the declared schema, files under <root>/<type>/<day>/, the SQL and rows.
CASES: dict[str, tuple[dict[str, Any], list[tuple[str, str]], str, list[list[Any]]]] = {
    "json": ({}, [("n", "long"), ("s", "string")],
             "select sum(n) as total, count(*) as c from t", [[7, 3]]),
    "csv": ({"delimiter": ",", "containsHeader": True}, [("s", "string"), ("n", "long")],
            "select sum(n) as total, count(*) as c from t", [[7, 3]]),
    "text": ({}, [("text", "string")],
             "select count(*) as c, max(text) as m from t", [[3, "z 4"]]),
    "parquet": ({}, [("n", "long"), ("s", "string")],
                "select sum(n) as total, count(*) as c from t", [[7, 3]]),
}  # fmt: skip


def files_of(file_type: str, tmp_path: Path) -> dict[str, bytes]:
    """Three rows (n = 1, 2, 4) over a plain file and a compressed one, and a decoy."""
    if file_type == "json":
        return {"a.json": b'{"n": 1, "s": "x"}\n{"n": 2, "s": "y"}\n',
                "b.json.gz": gzip.compress(b'{"n": 4, "s": "z"}\n')}  # fmt: skip
    if file_type == "csv":
        return {"a.csv": b"s,n\nx,1\ny,2\n", "b.csv.gz": gzip.compress(b"s,n\nz,4\n")}
    if file_type == "text":
        return {"a.txt": b"x 1\ny 2\n", "b.txt.gz": gzip.compress(b"z 4\n")}
    return {
        "a.parquet": parquet(tmp_path, "select * from (values (1, 'x'), (2, 'y')) v(n, s)"),
        "b.parquet": parquet(tmp_path, "select 4::bigint as n, 'z' as s"),
    }


@pytest.mark.hdfs
@pytest.mark.parametrize("file_type", list(CASES))
def test_every_file_type_verified_inferred_and_read(
    env: Hdfs, tmp_path: Path, file_type: str
) -> None:
    extra, schema, sql, rows = CASES[file_type]
    for name, data in files_of(file_type, tmp_path).items():
        env.put(f"{file_type}/2026-11-23/{name}", data)
        env.put(f"{file_type}/2026-11-22/{name}", data)  # another day: never read
    spec = {"paths": [env.root + file_type + "/$(year)-$(mon)-$(day)/"],
            "fileType": file_type, **extra}  # fmt: skip
    declared = [{"key": k, "valtype": t} for k, t in schema]

    inferred = ok(env.client.post("/v2/schemas", {"type": "HDFS", "spec": spec}))
    assert [(f["key"], f["valtype"]) for f in inferred["schema"]] == schema
    ok(
        env.client.post(
            "/v2/datasources/src",
            {
                "region": "nb",
                "type": "hdfs",
                "spec": spec,
                "schema": declared,
            },
        )
    )  # fmt: skip — verified against the files (no noVerifySchema)
    ok(env.client.post("/v2/jobs/j", {
        "srcs": [{"name": "src", "type": "DataSource", "tableName": "t", "fileFilter": ""}],
        "computation": {"type": "sql", "code": sql},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip
    ok(env.client.post("/v2/jobs/j/actions/start", {}))
    done = wait_for(env.client, "j")
    assert done["status"] == "Successful", done
    assert ok(env.client.get("/v2/jobs/j/history/1/result"))["rows"] == rows


@pytest.mark.hdfs
def test_a_declared_schema_the_files_do_not_have_is_refused(env: Hdfs) -> None:
    env.put("d/a.json", b'{"n": 1}\n')
    declared = [{"key": "n", "valtype": "string"}, {"key": "gone", "valtype": "long"}]
    spec = {"paths": [env.root + "d"], "fileType": "json"}
    body = {"region": "nb", "type": "hdfs", "spec": spec, "schema": declared}

    assert_error(env.client.post("/v2/datasources/bad", body), 400, "E18110")
    ok(env.client.post("/v2/datasources/bad", {**body, "noVerifySchema": True}))


@pytest.mark.hdfs
def test_paths_selecting_nothing_are_refused_at_create(env: Hdfs) -> None:
    spec = {"paths": [env.root + "empty/"], "fileType": "json"}
    response = env.client.post("/v2/schemas", {"type": "hdfs", "spec": spec})
    body = assert_error(response, 400, "E18109")
    assert env.root + "empty/" in body["error"]


def test_an_unreachable_namenode_is_refused_fast_with_the_reason(env_without_hdfs: Client) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    spec = {"paths": [f"hdfs://127.0.0.1:{port}/logs/"], "fileType": "json"}
    body = {
        "region": "nb",
        "type": "hdfs",
        "spec": spec,
        "schema": [{"key": "n", "valtype": "long"}],
    }
    started = time.monotonic()

    for response in [env_without_hdfs.post("/v2/schemas", {"type": "hdfs", "spec": spec}),
                     env_without_hdfs.post("/v2/datasources/far", body)]:  # fmt: skip
        error = assert_error(response, 400, "E18109")["error"]
        assert f"hdfs://127.0.0.1:{port}" in error and "Connection refused" in error

    assert time.monotonic() - started < 10
    ok(env_without_hdfs.post("/v2/datasources/far", {**body, "noVerifySchema": True}))


@pytest.fixture
def env_without_hdfs(client: Client) -> Client:
    return client


# -- hdfs exports (spec §8.3) -------------------------------------------------------------------


def job_with_rows(env: Hdfs) -> None:
    """Job `j` reading three rows from an hdfs datasource `in`."""
    env.put("in/a.json", b'{"n": 1, "s": "a"}\n{"n": 2, "s": "b"}\n{"n": 3, "s": "c"}\n')
    ok(env.client.post("/v2/datasources/in", {
        "region": "nb", "type": "hdfs", "spec": {"paths": [env.root + "in/"], "fileType": "json"},
        "schema": [{"key": "n", "valtype": "long"}, {"key": "s", "valtype": "string"}],
    }))  # fmt: skip
    ok(env.client.post("/v2/jobs/j", {
        "srcs": [{"name": "in", "type": "DataSource", "tableName": "t", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select n, s from t order by n"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip


@pytest.mark.hdfs
def test_an_hdfs_export_of_a_job_reads_back_and_a_rerun_replaces_it(env: Hdfs) -> None:
    job_with_rows(env)
    spec = {"path": env.root + "out/$(year)$(mon)$(day)", "format": "csv",
            "compression": "gzip", "delimiter": ",", "containsHeader": True, "fileCount": 2,
            "saveMode": "overwrite"}  # fmt: skip
    ok(env.client.post("/v2/jobs/j/exports/e", {"type": "hdfs", "spec": spec}))

    ok(env.client.post("/v2/jobs/j/actions/start", {}))
    done = wait_for(env.client, "j")
    assert done["status"] == "Successful", done
    written = {i.uri: i for i in env.runtime.storages.list(env.root + "out/")}
    # The path's variables are the upload time's (§8.3): the worker's clock, not the batch's.
    base = min(written).rsplit("/", 1)[0] + "/"
    assert re.fullmatch(r"\d{8}/", base.removeprefix(env.root + "out/")), base
    assert sorted(written) == [base + "part-00000.csv.gz", base + "part-00001.csv.gz"]
    lines = [
        line
        for uri in sorted(written)
        for line in gzip.decompress(env.runtime.storages.read(uri)).decode().splitlines()
    ]
    assert lines == ["n,s", "1,a", "2,b", "n,s", "3,c"]  # rows spread in order

    # The export read back by an hdfs datasource, through the API.
    ok(env.client.post("/v2/datasources/back", {
        "region": "nb", "type": "hdfs", "schema": [{"key": "n", "valtype": "long"},
                                                   {"key": "s", "valtype": "string"}],
        "spec": {"paths": [base], "fileType": "csv", "delimiter": ",", "containsHeader": True},
    }))  # fmt: skip
    ok(env.client.post("/v2/jobs/r", {
        "srcs": [{"name": "back", "type": "DataSource", "tableName": "t", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select sum(n) as total from t"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip
    ok(env.client.post("/v2/jobs/r/actions/start", {}))
    assert wait_for(env.client, "r")["status"] == "Successful"
    assert ok(env.client.get("/v2/jobs/r/history/1/result"))["rows"] == [[6]]

    # A second run overwrites: the same two files, nothing else.
    ok(env.client.post("/v2/jobs/j/actions/start", {}))
    assert wait_for(env.client, "j")["status"] == "Successful"
    assert sorted(i.uri for i in env.runtime.storages.list(env.root + "out/")) == sorted(written)


def test_an_hdfs_export_to_an_unreachable_namenode_is_refused_fast(
    env_without_hdfs: Client,
) -> None:
    client = env_without_hdfs
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    ok(client.post("/v2/datasources/k", {
        "region": "nb", "type": "kodo", "noVerifySchema": True,
        "spec": {"bucket": "bkt1", "fileType": "json"}, "schema": [{"key": "n", "valtype": "long"}],
    }))  # fmt: skip
    ok(client.post("/v2/jobs/j", {
        "srcs": [{"name": "k", "type": "DataSource", "tableName": "t", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select n from t"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip
    started = time.monotonic()

    response = client.post("/v2/jobs/j/exports/e", {
        "type": "hdfs", "spec": {"path": f"hdfs://127.0.0.1:{port}/out", "fileCount": 1},
    })  # fmt: skip

    error = assert_error(response, 400, "E18303")["error"]
    assert f"hdfs://127.0.0.1:{port}" in error and "Connection refused" in error
    assert time.monotonic() - started < 10


# -- TIDEMILL_HDFS__ROOTS: an account reaches only its own HDFS directories ----------------------


def roots_client(tmp_path: Path, roots: tuple[str, ...]) -> Iterator[Client]:
    """A client of the bootstrap account ("default") on an installation with `roots`; the same
    data directory for every call with the same `tmp_path`."""
    settings = make_settings(tmp_path).model_copy(update={"hdfs": HdfsSettings(roots=roots)})
    clock = FixedClock(NOW)
    runtime = build_runtime(settings, clock)
    try:
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            yield Client(http, clock=clock)
    finally:
        runtime.close()


def closed_namenode() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"hdfs://127.0.0.1:{sock.getsockname()[1]}"  # nothing listens there


def hdfs_datasource(path: str) -> dict[str, Any]:
    return {"region": "nb", "type": "hdfs", "noVerifySchema": True,
            "spec": {"paths": [path], "fileType": "json"},
            "schema": [{"key": "n", "valtype": "long"}]}  # fmt: skip


def test_datasources_and_exports_outside_the_accounts_root_are_refused_at_create(
    tmp_path: Path,
) -> None:
    nn = closed_namenode()
    [client] = roots_client(tmp_path, (nn + "/tenants/{account}/",))
    for path in [
        nn + "/tenants/other/",
        nn + "/tenants/defaultx/",
        nn + "/tenants/",
        nn + "/",
        nn + "/tenants/default/../other/",
        "hdfs://elsewhere:8020/tenants/default/",
    ]:
        error = assert_error(client.post("/v2/datasources/d", hdfs_datasource(path)), 400,
                             "E18109")["error"]  # fmt: skip
        assert "TIDEMILL_HDFS__ROOTS" in error or ".." in error, error
    # Inside its root: created ({account} is the account's name, "default").
    ok(client.post("/v2/datasources/d", hdfs_datasource(nn + "/tenants/default/logs/")))
    other = hdfs_datasource(nn + "/tenants/other/")
    error = assert_error(client.put("/v2/datasources/d", other), 400, "E18109")
    assert "TIDEMILL_HDFS__ROOTS" in error["error"]

    ok(client.post("/v2/jobs/j", {
        "srcs": [{"name": "d", "type": "DataSource", "tableName": "t", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select n from t"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip
    outside = {"type": "hdfs", "spec": {"path": nn + "/tenants/other/out", "fileCount": 1}}
    error = assert_error(client.post("/v2/jobs/j/exports/e", outside), 400, "E18305")
    assert "TIDEMILL_HDFS__ROOTS" in error["error"]
    # Inside, the namenode is asked next (here it cannot be reached): the roots let it pass.
    inside = {"type": "hdfs", "spec": {"path": nn + "/tenants/default/out", "fileCount": 1}}
    assert_error(client.post("/v2/jobs/j/exports/e", inside), 400, "E18303")


def test_a_datasource_made_before_the_roots_were_set_cannot_read_outside_them(
    tmp_path: Path,
) -> None:
    nn = closed_namenode()
    [before] = roots_client(tmp_path, ())  # a single-tenant install: any path
    ok(before.post("/v2/datasources/d", hdfs_datasource(nn + "/tenants/other/")))
    ok(before.post("/v2/jobs/j", {
        "srcs": [{"name": "d", "type": "DataSource", "tableName": "t", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select n from t"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip

    for client in roots_client(tmp_path, (nn + "/tenants/{account}/",)):
        ok(client.post("/v2/jobs/j/actions/start", {}))
        done = wait_for(client, "j")
        assert done["status"] == "Failed", done
        assert "TIDEMILL_HDFS__ROOTS" in str(done), done
        assert "Connection refused" not in str(done)  # refused before the namenode was asked
