"""The Spark engine writes a result on HDFS (and on S3 through s3a) itself, into a staging
directory beside the result, then renames its part file into place. A worker killed during
the write (the memory ceiling, a stop: common with Spark) left that directory, named `.run-*`,
with Spark's part files: no listing hid it (a listing of the batch's directory showed Spark's
files) and no clean-up removed it. It is now a hidden directory (`.tidemill-tmp.run-*`): never
listed, and dropped by the runner with the dead worker's other unfinished uploads. The layout is
the one Spark's Parquet writer leaves (`part-*.parquet`, `_SUCCESS`), made on a real HDFS."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.runner.test_upload_outside_lease import OWNER, S, rt  # noqa: F401
from tidemill.config import S3Settings, Settings
from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, Limits
from tidemill.engines.spark.hadoop import staging_uri
from tidemill.runner.uploads import drop_result_uploads
from tidemill.runtime import Runtime
from tidemill.storage.registry import open_storages
from tidemill.storage.s3 import S3Store
from tidemill.storage.s3_files import S3Files
from tidemill.store import batches as store

pytestmark = pytest.mark.hdfs


def test_a_killed_spark_runs_staging_is_hidden_and_dropped(
    hdfs_url: str,
    rt: Runtime,  # noqa: F811
    tmp_path: Path,
) -> None:
    files = open_storages(Settings(data_dir=tmp_path / "data"))
    root = f"{hdfs_url}/wh-{uuid.uuid4().hex[:12]}/1/j/1/"
    uri = root + "result.parquet"
    staging = staging_uri(uri)
    files.put(f"{staging}/part-00000-x.snappy.parquet", b"PAR1 partial")  # killed mid-write
    files.put(f"{staging}/_SUCCESS", b"")
    files.put(root + "log.txt", b"the attempt's first log")
    assert [i.uri for i in files.list(root)] == [root + "log.txt"]  # Spark's files not shown

    plan = BatchPlan(1, AccountScope("default"), "j", 1, "select 42 as n", (), uri,
                     Limits(1, "1GB"), "Asia/Shanghai", owner=OWNER, batch_uid="u1")  # fmt: skip
    with rt.db.begin() as conn:
        assert store.move(conn, 1, "j", 1, [S.RUNNING], status=S.CANCELLING)
    assert drop_result_uploads(rt.db, files, plan) == 1
    assert [i.uri for i in files.list(staging + "/")] == []
    assert [i.uri for i in files.list(root)] == [root + "log.txt"]


@pytest.mark.s3
def test_a_killed_spark_runs_staging_on_s3_is_dropped(
    s3_settings: S3Settings,
    rt: Runtime,  # noqa: F811
) -> None:
    secret = s3_settings.secret_key.get_secret_value()
    s3 = S3Store(s3_settings.endpoint, s3_settings.access_key, secret)
    bucket = f"wh-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(bucket)
    files = S3Files(s3)
    root = f"s3://{bucket}/1/j/1/"
    uri = root + "result.parquet"
    staging = staging_uri(uri)
    files.put(f"{staging}/part-00000-x.snappy.parquet", b"PAR1 partial")  # s3a, killed
    files.put(root + "log.txt", b"the attempt's first log")
    plan = BatchPlan(1, AccountScope("default"), "j", 1, "select 42 as n", (), uri,
                     Limits(1, "1GB"), "Asia/Shanghai", owner=OWNER, batch_uid="u1")  # fmt: skip
    with rt.db.begin() as conn:
        assert store.move(conn, 1, "j", 1, [S.RUNNING], status=S.CANCELLING)
    assert drop_result_uploads(rt.db, files, plan) == 1
    assert [i.uri for i in files.list(root)] == [root + "log.txt"]
