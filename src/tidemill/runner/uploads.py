"""What a worker that died while uploading its batch's result left on S3.

The result's parts travel outside the lease (storage.staging); a worker killed (a stop, the
memory ceiling, a crash) in the middle leaves an unfinished multipart upload of the result
key, invisible but stored. When its runner sees the worker gone it drops every unfinished
upload of that key while the batch row still names that attempt as executing (held locked):
then none can be a live attempt's. A service killed with -9 leaves them to the next attempt's commit
(`publish_file` aborts the others) or to the bucket's lifecycle rule (docs/decisions.md).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from tidemill.core.plans import BatchPlan
from tidemill.errors import TidemillError
from tidemill.storage.base import Storage
from tidemill.storage.staging import abort_pending
from tidemill.store import batches as store

log = logging.getLogger("tidemill.runner")


def may_leave_uploads(plan: BatchPlan) -> bool:
    """Whether a worker of `plan` killed mid-run can leave an unfinished upload (its result
    goes to S3); checked first so nothing else opens the storages on a dead worker's path."""
    return bool(plan.owner) and plan.result_uri.startswith("s3://")


def drop_result_uploads(db: sa.Engine, files: Storage, plan: BatchPlan) -> int:
    """Abort the unfinished multipart uploads of `plan`'s result while its attempt is still
    the batch's executing one (Running, or Cancelling after a stop), else nothing (another
    attempt may be uploading); how many. Never raises."""
    if not may_leave_uploads(plan):
        return 0
    try:
        with db.begin() as conn:  # the row held until the aborts are done
            if not store.hold_execution(conn, plan.account, plan.job, plan.run_id, plan.owner,
                                        plan.attempt):  # fmt: skip
                return 0  # settled, rerun or taken over: another attempt may be uploading
            return abort_pending(files, plan.result_uri)
    except TidemillError as exc:
        log.warning("cannot drop the unfinished uploads of %s: %s", plan.result_uri, exc.message)
    except sa.exc.SQLAlchemyError as exc:
        log.warning("cannot drop the unfinished uploads of %s: %s", plan.result_uri, exc)
    return 0
