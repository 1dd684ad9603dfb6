"""What a worker that died while uploading its batch's result left on S3 or HDFS.

The result's parts travel outside the lease (storage.staging); a worker killed (a stop, the
memory ceiling, a crash) in the middle leaves an unfinished multipart upload of the result
key (S3) or a hidden directory beside it (HDFS), invisible but stored. When its runner sees
the worker gone it drops every unfinished upload of that key when the batch row still names
that attempt as executing: then none can be a live attempt's, since another attempt starts
only once this one's end is recorded, which its runner does after the drop, or once its lease
lapses, which the runner keeps renewing. No lock is held across the S3 or HDFS calls
(docs/decisions.md, breaker2). A service killed with -9 leaves them to the next attempt's
commit (`publish_file` drops the others) or, on S3, to the bucket's lifecycle rule
(docs/decisions.md).
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
    goes to S3, or to HDFS by a hidden directory); checked first so nothing else opens the
    storages on a dead worker's path."""
    return bool(plan.owner) and plan.result_uri.startswith(("s3://", "hdfs://"))


def drop_result_uploads(db: sa.Engine, files: Storage, plan: BatchPlan) -> int:
    """Abort the unfinished multipart uploads of `plan`'s result while its attempt is still
    the batch's executing one (Running, or Cancelling after a stop), else nothing (another
    attempt may be uploading); how many. Never raises."""
    if not may_leave_uploads(plan):
        return 0
    try:
        # A short check, committed before the S3 calls: a lock held across them (SQLite's is
        # the whole database's; PostgreSQL's the row the node's lease renewal updates) held up
        # every write of the node for as long as S3 took to answer, or not to (45 s).
        with db.begin() as conn:
            executing = store.hold_execution(conn, plan.account, plan.job, plan.run_id,
                                             plan.owner, plan.attempt, plan.batch_uid)  # fmt: skip
        if not executing:
            return 0  # settled, rerun or taken over: another attempt may be uploading
        return abort_pending(files, plan.result_uri)
    except TidemillError as exc:
        log.warning("cannot drop the unfinished uploads of %s: %s", plan.result_uri, exc.message)
    except sa.exc.SQLAlchemyError as exc:
        log.warning("cannot drop the unfinished uploads of %s: %s", plan.result_uri, exc)
    return 0
