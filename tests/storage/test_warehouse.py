"""The warehouse (TIDEMILL_WAREHOUSE_URL): results are written, read and deleted through
Storage wherever it is — a directory of its own, or a bucket on S3 — never in the data dir."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from tests.api.test_batches import ROWS, SCHEMA, make_job
from tests.buckets import own_bucket
from tests.conftest import make_settings
from tests.support import Client, wait_for
from tidemill.api.app import create_app
from tidemill.config import Settings
from tidemill.core.naming import job_prefix, result_uri
from tidemill.runtime import Runtime, build_runtime
from tidemill.storage.local import file_uri
from tidemill.storage.s3 import S3Store


class Env:
    def __init__(self, client: Client, runtime: Runtime, warehouse: str) -> None:
        self.client = client
        self.runtime = runtime
        self.warehouse = warehouse

    def listed(self) -> list[str]:
        return [info.uri for info in self.runtime.storages.list(self.warehouse + "/")]

    def batch_files(self, job: str, run_id: int) -> list[str]:
        """What a Successful batch leaves in the warehouse: its batch log (GET .../log) and
        its result, side by side."""
        result = result_uri(self.warehouse, 1, job, run_id)
        return [result.rsplit("/", 1)[0] + "/batch.log", result]


@pytest.fixture(params=["file", pytest.param("s3", marks=pytest.mark.s3)])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    settings = make_settings(tmp_path)
    if request.param == "s3":
        s3 = request.getfixturevalue("s3_settings")
        bucket = f"wh-{uuid.uuid4().hex[:12]}"
        secret = s3.secret_key.get_secret_value()
        S3Store(s3.endpoint, s3.access_key, secret, s3.region).create_bucket(bucket)
        warehouse = f"s3://{bucket}/results"
        settings = settings.model_copy(update={"s3": s3})
    else:
        warehouse = file_uri(tmp_path / "elsewhere" / "warehouse")
    settings = settings.model_copy(update={"warehouse_url": warehouse})
    runtime = build_runtime(settings)
    input_bucket = f"in-{uuid.uuid4().hex[:12]}"
    store = own_bucket(runtime, input_bucket)
    store.write(input_bucket, "cdn/a.json", "".join(json.dumps(r) + "\n" for r in ROWS).encode())
    try:
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            client = Client(http)
            body = {
                "region": "nb", "type": "kodo", "noVerifySchema": True, "schema": SCHEMA,
                "spec": {"bucket": input_bucket, "keyPrefixes": ["cdn/"], "fileType": "json"},
            }  # fmt: skip
            assert client.post("/v2/datasources/logs", body).status_code == 200
            yield Env(client, runtime, warehouse)
    finally:
        runtime.close()


def test_results_go_to_the_warehouse_and_are_read_from_it(env: Env) -> None:
    client, settings = env.client, env.runtime.settings
    make_job(client, "j", "select url, sum(bytes) as total from logs group by url")
    client.post("/v2/jobs/j/actions/start", {})
    assert wait_for(client, "j")["status"] == "Successful"

    assert env.listed() == env.batch_files("j", 1)
    rows = client.get("/v2/jobs/j/history/1/result").json()["rows"]
    assert sorted(rows) == [["/a", 17], ["/b", 5]]
    assert not list(settings.data_dir.rglob("*.parquet")), "a result on the node's disk"


def test_a_depend_child_reads_its_upstream_from_the_warehouse(env: Env) -> None:
    client = env.client
    make_job(client, "up", "select url, bytes from logs")
    body = {
        "srcs": [{"name": "up", "type": "Job", "tableName": "u"}],
        "computation": {"type": "sql", "code": "select count(*) as n from u"},
        "scheduler": {"type": "depend"},
    }
    assert client.post("/v2/jobs/down", body).status_code == 200
    client.post("/v2/jobs/up/actions/start", {})

    assert wait_for(client, "down")["status"] == "Successful"
    assert client.get("/v2/jobs/down/history/1/result").json()["rows"] == [[3]]
    assert env.listed() == env.batch_files("down", 1) + env.batch_files("up", 1)


def test_a_result_missing_from_the_warehouse_is_404_saying_to_rerun(env: Env) -> None:
    client = env.client
    make_job(client, "j", "select url from logs")
    client.post("/v2/jobs/j/actions/start", {})
    assert wait_for(client, "j")["status"] == "Successful"
    env.runtime.storages.delete(result_uri(env.warehouse, 1, "j", 1))

    refused = client.get("/v2/jobs/j/history/1/result")

    assert refused.status_code == 404
    assert "rerun" in refused.json()["error"]


def test_job_delete_deletes_its_results_and_no_other_job_s(env: Env) -> None:
    client = env.client
    for name in ("j", "j2"):  # "j/" is a prefix of neither "j2/" nor the other way round
        make_job(client, name, "select url from logs")
        client.post(f"/v2/jobs/{name}/actions/start", {})
        assert wait_for(client, name)["status"] == "Successful"

    assert client.delete("/v2/jobs/j").status_code == 200

    assert env.listed() == env.batch_files("j2", 1)
    assert list(env.runtime.storages.list(job_prefix(env.warehouse, 1, "j"))) == []


def test_the_warehouse_defaults_to_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    assert settings.warehouse == f"file://{tmp_path}/d/warehouse"
    given = Settings(data_dir=tmp_path, warehouse_url="s3://bucket/prefix/")
    assert given.warehouse == "s3://bucket/prefix"


@pytest.mark.parametrize(
    "url", ["warehouse", "/abs/dir", "file://relative", "ftp://x/y", "s3://", "mem://results"]
)
def test_a_warehouse_url_that_is_no_storage_uri_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="warehouse URL"):
        Settings(warehouse_url=url)
