"""Read-only views the web console needs that the Pandora API does not give (issue 15).

Both are scoped to the calling account and change nothing: the files a datasource's spec
selects now (as a batch started now would read them, `tidemill.sources`), and the export
outcomes recorded for one batch (`store.export_outcomes`).
"""

from __future__ import annotations

from tidemill.core.models import JSON
from tidemill.core.names import check_name
from tidemill.errors import Failure
from tidemill.runtime import Runtime
from tidemill.services.guards import need_batch, need_datasource, need_job
from tidemill.services.variables import user_variables
from tidemill.sources.base import Moment
from tidemill.store import accounts, export_outcomes

MAX_FILES = 1000  # files listed at most; `total` still counts them all


def selected_files(rt: Runtime, account: int, name: str) -> JSON:
    """`{"time", "total", "files": [{"name", "size", "format", "compression"}]}`: the files
    datasource `name` selects at the current time (paths rendered with the account's
    variables in the configured zone, spec §3.4), at most MAX_FILES of them, in URI order.

    Raises DS_NAME_INVALID, DS_NOT_FOUND, and what `Source.list` raises (DS_VERIFY_NOT_FOUND
    for a bucket or namenode that cannot be used, JOB_SQL_UNDEF_VAR for an unknown variable).
    Files are named as messages name them (kodo: bucket/key), never by server paths.
    """
    check_name(name, Failure.DS_NAME_INVALID, "datasource")
    now = rt.clock.now().astimezone(rt.zone)
    with rt.db.connect() as conn:
        datasource = need_datasource(conn, account, name)
        moment = Moment(now, user_variables(conn, account))
        scope = accounts.scope_of(conn, account)
    files = rt.sources.list(datasource, "", moment, scope)
    return {
        "time": rt.timestamp(now),
        "total": len(files),
        "files": [
            {
                "name": f.name or f.uri,
                "size": f.size,
                "format": f.format,
                "compression": f.compression,
            }
            for f in files[:MAX_FILES]
        ],
    }


def batch_exports(rt: Runtime, account: int, job: str, run_id: int) -> JSON:
    """`{"runId", "exports": [{"name", "type", "status", "message", "rows", "attempt"}]}`:
    the outcome of each export of batch `run_id` of `job`, every attempt still visible, oldest
    attempt first (status Successful, Failed, or Publishing while it is being written).

    Raises JOB_NAME_INVALID, JOB_NOT_FOUND, BATCH_NOT_FOUND.
    """
    check_name(job, Failure.JOB_NAME_INVALID, "job")
    with rt.db.connect() as conn:
        need_job(conn, account, job)
        batch = need_batch(conn, account, job, run_id)
        outcomes = export_outcomes.for_batch(conn, batch.uid)
    return {
        "runId": batch.run_id,
        "exports": [
            {
                "name": o.export_name,
                "type": o.type,
                "status": o.status,
                "message": o.message,
                "rows": o.rows,
                "attempt": o.attempt,
            }
            for o in outcomes
        ],
    }
