"""hdfs exports through the API when the warehouse is on HDFS: a path in the warehouse (any
spelling of its namenode, magic variables rendered at create) is refused at create with
EXP_SPEC_INVALID (E18305), not first at run time (exporters.hdfs_files.warehouse_problem)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.test_exports import make_datasource, make_job
from tests.conftest import OWN_BUCKETS, make_settings
from tests.support import Client, assert_error, assert_ok_empty
from tidemill.api.app import create_app
from tidemill.runtime import build_runtime

pytestmark = pytest.mark.hdfs


@pytest.fixture
def root(hdfs_url: str) -> str:
    return f"{hdfs_url}/w-{uuid.uuid4().hex[:12]}/"


@pytest.fixture
def client(tmp_path: Path, root: str) -> Iterator[Client]:
    settings = make_settings(tmp_path).model_copy(update={"warehouse_url": root + "warehouse"})
    runtime = build_runtime(settings)
    for bucket in OWN_BUCKETS:
        (settings.data_dir / "kodo" / settings.account / bucket).mkdir(parents=True, exist_ok=True)
    try:
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            served = Client(http)
            make_datasource(served)
            make_job(served)
            yield served
    finally:
        runtime.close()


def test_an_export_path_in_the_warehouse_is_refused_at_create(client: Client, root: str) -> None:
    port = root.split(":")[2].split("/")[0]
    alias = f"hdfs://localhost:{port}/{root.split('/')[3]}/"
    for path in [root + "warehouse", root + "warehouse/1/j/", alias + "warehouse/$(year)/x"]:
        body = {"type": "hdfs", "spec": {"path": path, "format": "json", "fileCount": 1}}
        response = client.post("/v2/jobs/j/exports/e", body)
        error = assert_error(response, 400, "E18305")
        assert "warehouse" in error["error"] and "spec.path" in error["error"], error
    body = {"type": "hdfs", "spec": {"path": root + "warehouse-out", "fileCount": 1}}
    assert_ok_empty(client.post("/v2/jobs/j/exports/e", body))
    moved = {"type": "hdfs", "spec": {"path": root + "warehouse/2", "fileCount": 1}}
    assert_error(client.put("/v2/jobs/j/exports/e", moved), 400, "E18305")
