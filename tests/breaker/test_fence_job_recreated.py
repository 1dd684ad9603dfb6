"""A batch's lease is its own batch's, not that of a job made later under the same name.

A job deleted and made again starts from run 1 (spec §6.7), attempts from 0, and a node keeps
its name: the lease check (`store.batches.hold_lease`: account, job, run id, owner, attempt)
matched the new job's run 1 as well. A worker of the deleted job's run 1 on another node (it
ends only when that node's runner next looks) that reached its publish after the new run 1 was
claimed by the same node passed the check and published the old job's result at the new run's
URI; its runner's drop of a dead worker's uploads (`runner.uploads`) likewise took the new
run's upload for its own. Both now check the batch's uid.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.runner.test_upload_outside_lease import OWNER, big_file, rt  # noqa: F401 (fixture)
from tidemill.config import S3Settings
from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, Limits
from tidemill.runner.fence import LeaseFence, LeaseLostError
from tidemill.runner.uploads import drop_result_uploads
from tidemill.runtime import Runtime
from tidemill.storage.s3 import S3Store
from tidemill.storage.s3_files import S3Files
from tidemill.storage.staging import stage_file
from tidemill.store.export_outcomes import BatchKey

OLD = "0" * 32  # the deleted job's run 1 (the live one, made again, is "u1": `rt`)


def test_the_deleted_jobs_attempt_publishes_nothing_for_the_new_jobs_run(rt: Runtime) -> None:  # noqa: F811
    stale = LeaseFence(rt.db, BatchKey(OLD, 1, "j", 1), OWNER, 0)
    with pytest.raises(LeaseLostError), stale.publishing():
        pass
    live = LeaseFence(rt.db, BatchKey("u1", 1, "j", 1), OWNER, 0)
    with live.publishing():  # the new job's own attempt holds it
        pass


@pytest.mark.s3
def test_a_dead_worker_of_the_deleted_job_leaves_the_new_runs_upload(
    rt: Runtime,  # noqa: F811
    s3_settings: S3Settings,
    tmp_path: Path,
) -> None:
    s3 = S3Store(
        s3_settings.endpoint, s3_settings.access_key, s3_settings.secret_key.get_secret_value()
    )
    bucket = f"wh-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(bucket)
    uri = f"s3://{bucket}/1/j/1/result.parquet"
    # The new job's run 1 is sending its result.
    stage_file(S3Files(s3), uri, big_file(tmp_path / "a"), sole_writer=True).send()
    old = BatchPlan(
        1, AccountScope("default"), "j", 1, "select 1 as n", (), uri,
        Limits(1, "1GB"), "Asia/Shanghai", owner=OWNER, batch_uid=OLD,
    )  # fmt: skip
    assert drop_result_uploads(rt.db, S3Files(s3), old) == 0
    assert len(s3.pending_uploads(bucket, "1/j/1/result.parquet")) == 1
