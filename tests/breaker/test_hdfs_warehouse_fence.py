"""An hdfs datasource cannot read the warehouse when the warehouse is on HDFS: it holds every
account's batch results, and HDFS has no accounts to keep them apart (sources.hdfs)."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tidemill.config import Settings
from tidemill.core.models import AccountScope, Datasource
from tidemill.errors import Failure, InvalidInputError
from tidemill.sources.base import Moment
from tidemill.sources.registry import Sources, open_sources
from tidemill.storage.local_buckets import LocalKodo
from tidemill.storage.registry import Storages, open_storages

AT = datetime(2024, 3, 5, 14, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
MALLORY = AccountScope("mallory")


def hdfs(*paths: str) -> Datasource:
    return Datasource("peek", "nb", "hdfs", {"paths": list(paths), "fileType": "json"}, ())


@pytest.fixture
def storages(tmp_path: Path) -> Storages:
    return open_storages(Settings(data_dir=tmp_path))


@pytest.fixture
def root(hdfs_url: str) -> str:
    return f"{hdfs_url}/b-{uuid.uuid4().hex[:12]}/"


def sources(tmp_path: Path, storages: Storages, warehouse: str) -> Sources:
    return open_sources(LocalKodo(tmp_path / "kodo"), storages, warehouse=warehouse)


@pytest.mark.hdfs
def test_an_hdfs_path_cannot_reach_the_warehouse(
    tmp_path: Path, storages: Storages, root: str
) -> None:
    victim = root + "warehouse/2/payroll/1/result.parquet"
    storages.put(victim, b"PAR1 secret")
    storages.put(root + "logs/a.json", b"{}\n")
    found = sources(tmp_path, storages, root + "warehouse")
    namenode, port = root.split("://")[1].split("/")[0].split(":")
    alias = root.replace(f"{namenode}:{port}", f"localhost:{port}")
    for path, file_filter in [
        (root + "warehouse/", ""),
        (root + "warehouse", ""),
        (root + "warehouse/2/", "*.parquet"),
        (alias + "warehouse/", ""),  # the same cluster, spelled another way
    ]:
        with pytest.raises(InvalidInputError) as caught:
            found.list(hdfs(path), file_filter, Moment(AT), MALLORY)
        assert caught.value.failure is Failure.DS_PATH_ILLEGAL, path
        assert "warehouse" in caught.value.message
    # A wider path reads the user's files around the warehouse, never those inside it.
    for path, file_filter, expected in [
        (root, "", [root + "logs/a.json"]),
        (root, "*", [root + "logs/a.json"]),
        (root + "w", "*", []),  # lists around the warehouse, selects only inside it
    ]:
        listed = [f.uri for f in found.list(hdfs(path), file_filter, Moment(AT), MALLORY)]
        assert listed == expected, (path, file_filter)


@pytest.mark.hdfs
def test_without_an_hdfs_warehouse_nothing_is_fenced(
    tmp_path: Path, storages: Storages, root: str
) -> None:
    storages.put(root + "warehouse/x.json", b"{}\n")
    found = sources(tmp_path, storages, f"file://{tmp_path}/warehouse")
    listed = [f.uri for f in found.list(hdfs(root + "warehouse/"), "", Moment(AT), MALLORY)]
    assert listed == [root + "warehouse/x.json"]
