"""The batch log (Tidemill extension, issue 15 item 6): what a batch did, as text.

`GET /v2/jobs/{job}/history/{runId}/log` answers the batch's row as the store has it now
(status, times, message: these change after the worker wrote its log) above the log its last
attempt's worker wrote beside the result (runner.batch_log). Errors as the result extension:
JOB_NAME_INVALID, JOB_NOT_FOUND, BATCH_NOT_FOUND (spec §1.6), only within the caller's account.
"""

from __future__ import annotations

from tidemill.core.batches import WAITING, batch_public
from tidemill.core.names import check_name
from tidemill.core.naming import LOG_UID_LABEL, log_uri
from tidemill.errors import Failure, NotFoundError
from tidemill.runtime import Runtime
from tidemill.services.guards import need_batch, need_job


def batch_log(rt: Runtime, account: int, name: str, run_id: int) -> str:
    """The log of batch `run_id` of job `name` as UTF-8 text (a header, then the worker's)."""
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    with rt.db.connect() as conn:
        need_job(conn, account, name)
        batch = need_batch(conn, account, name, run_id)
    public = batch_public(batch, rt.clock.now(), rt.timestamp)
    lines = [
        "== status (now) ==",
        f"status: {public['status']}",
        f"attempt: {batch.rerun_count}",
        f"batch time: {public['batchTime']}",
        f"start time: {public['startTime']}",
        f"end time: {public['endTime']}",
        f"duration: {public['duration']} s",
    ]
    if batch.result_rows is not None:
        lines.append(f"result rows: {batch.result_rows:,}")
    if batch.message:
        lines.append(f"message: {batch.message}")
    lines.append("")
    uri = log_uri(rt.settings.warehouse, account, name, batch.run_id)
    try:
        worker = rt.storages.read(uri).decode(errors="replace")
    except NotFoundError:
        worker = None
    if worker is None or not _belongs(worker, batch.uid):
        worker = _missing(batch.status in WAITING)
    return "\n".join(lines) + "\n" + worker


def _belongs(text: str, uid: str) -> bool:
    """Whether the log `text` is the batch's own: its head names the batch's uid. A log found
    at the name of a deleted job's batch (its worker finished after the delete, and the job
    was made again) names another uid and is not shown; neither is one naming none."""
    head = text[: text.find("\n\n")] if "\n\n" in text else text
    return bool(uid) and f"\n{LOG_UID_LABEL}{uid}\n" in f"\n{head}\n"


def _missing(waiting: bool) -> str:
    if waiting:
        return "(no worker has run this batch yet: its log appears when one starts it)\n"
    return (
        "(no worker log: the batch ended before a worker started it, e.g. its inputs could "
        "not be listed or it was stopped while queued; the message above says why)\n"
    )
