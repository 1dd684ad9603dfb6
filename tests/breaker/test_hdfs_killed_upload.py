"""A result on HDFS travels outside the lease into a hidden directory beside it
(`<batch dir>/.tidemill-tmp.<uuid>/`) and is renamed into place under the lease. A worker killed
in the middle (a stop, the memory ceiling, a crash) left that directory, with the part of the
result it had sent, for as long as the job lived: its runner dropped a dead worker's unfinished
upload on S3 only, and the next attempt's commit cleaned up other attempts' uploads on S3 only.
Both now remove the hidden directories of the batch's directory on HDFS too (only a dead or
stale attempt of the batch can own one: the same rule as S3's)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from tests.runner.test_upload_outside_lease import OWNER, S, fence, hdfs_names, rt  # noqa: F401
from tidemill.config import Settings
from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, Limits
from tidemill.runner.uploads import drop_result_uploads, may_leave_uploads
from tidemill.runtime import Runtime
from tidemill.storage.hdfs import HdfsFiles
from tidemill.storage.registry import Storages, open_storages
from tidemill.storage.staging import publish_file, stage_file
from tidemill.store import batches as store

pytestmark = pytest.mark.hdfs


def _hidden(hdfs: HdfsFiles, directory: str) -> list[str]:
    return [n for n in hdfs_names(hdfs, directory) if ".tidemill-tmp." in n]


def _batch_directory(hdfs_url: str, tmp_path: Path) -> tuple[Storages, str, HdfsFiles]:
    """The storages, a fresh batch directory's URI on HDFS and its backend."""
    files = open_storages(Settings(data_dir=tmp_path / "data"))
    root = f"{hdfs_url}/wh-{uuid.uuid4().hex[:12]}/1/j/1/"
    hdfs = files.backend(root)
    assert isinstance(hdfs, HdfsFiles)
    return files, root, hdfs


def _killed_midway(files: object, uri: str, tmp_path: Path, name: str) -> None:
    """What a worker killed after sending its result, before committing it, leaves."""
    source = tmp_path / name
    source.write_bytes(b"PAR1 " + name.encode() * 1000)
    stage_file(files, uri, source, sole_writer=True).send()  # type: ignore[arg-type]


def test_a_killed_attempts_hidden_upload_is_dropped_by_the_next_result(
    hdfs_url: str,
    rt: Runtime,  # noqa: F811
    tmp_path: Path,
) -> None:
    files, root, hdfs = _batch_directory(hdfs_url, tmp_path)
    _killed_midway(files, root + "result.parquet", tmp_path, "killed")
    assert len(_hidden(hdfs, root)) == 1

    done = tmp_path / "done.parquet"
    done.write_bytes(b"PAR1 done")
    publish_file(files, root + "result.parquet", done, fence(rt))
    assert files.read(root + "result.parquet") == b"PAR1 done"
    assert _hidden(hdfs, root) == []


def test_a_killed_workers_hidden_upload_is_dropped_by_its_runner_only_while_it_is_the_batchs(
    hdfs_url: str,
    rt: Runtime,  # noqa: F811
    tmp_path: Path,
) -> None:
    files, root, hdfs = _batch_directory(hdfs_url, tmp_path)
    uri = root + "result.parquet"
    plan = BatchPlan(1, AccountScope("default"), "j", 1, "select 42 as n", (), uri,
                     Limits(1, "1GB"), "Asia/Shanghai", owner=OWNER, batch_uid="u1")  # fmt: skip
    assert may_leave_uploads(plan)
    _killed_midway(files, uri, tmp_path, "killed")
    with rt.db.begin() as conn:
        assert store.move(conn, 1, "j", 1, [S.RUNNING], status=S.CANCELLING)

    other = replace(plan, owner="node-b")  # a runner whose attempt this is not
    assert drop_result_uploads(rt.db, files, other) == 0
    assert len(_hidden(hdfs, root)) == 1
    assert drop_result_uploads(rt.db, files, plan) == 1
    assert _hidden(hdfs, root) == []
