"""An hdfs export cannot write into the warehouse when the warehouse is on HDFS: it holds every
account's batch results (exporters.hdfs_files, Targets.hdfs_fences from the settings)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.exporters.support import context, make_result
from tidemill.config import Settings, WorkerConfig
from tidemill.core.exports import validate_export
from tidemill.exporters import run_exports
from tidemill.exporters.base import ExportPlan
from tidemill.runner.exports import targets
from tidemill.storage import open_kodo
from tidemill.storage.base import AccountScope
from tidemill.storage.registry import open_storages

pytestmark = pytest.mark.hdfs


def plan(path: str) -> ExportPlan:
    body = {"path": path, "fileCount": 1}
    validate_export({"type": "hdfs", "spec": body}, output_columns=None)
    return ExportPlan("e", "hdfs", body, False, ())


def test_an_hdfs_export_cannot_write_into_the_warehouse(hdfs_url: str, tmp_path: Path) -> None:
    root = f"{hdfs_url}/b-{uuid.uuid4().hex[:12]}/"
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=root + "warehouse")
    files = open_storages(settings)
    files.put(root + "warehouse/2/payroll/1/result.parquet", b"PAR1 theirs")
    store = open_kodo(settings).for_account(AccountScope("mallory"))
    result = make_result(tmp_path / "result")
    port = hdfs_url.rsplit(":", 1)[1]
    for config in (settings, WorkerConfig.of(settings)):  # the service's and a worker's view
        for path in [
            root + "warehouse/2/payroll/1",
            root + "warehouse",
            f"hdfs://localhost:{port}/{root.split('/')[3]}/warehouse/2/",  # another spelling
        ]:
            ctx = context(result, store, tmp_path / "scratch", files=files, targets=targets(config))
            [outcome] = run_exports(ctx, [plan(path)])
            assert outcome.status == "Failed", (path, outcome)
            assert "warehouse" in outcome.message, outcome.message
    assert [i.uri for i in files.list(root)] == [root + "warehouse/2/payroll/1/result.parquet"]
    ctx = context(result, store, tmp_path / "scratch", files=files, targets=targets(settings))
    [outcome] = run_exports(ctx, [plan(root + "out")])
    assert outcome.status == "Successful", outcome.message
