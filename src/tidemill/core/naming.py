"""Where things are kept: deterministic storage URIs of batch results, under the warehouse.

The warehouse is a storage URI (settings.warehouse: file:///…/warehouse or s3://bucket/prefix);
everything below it is named here, so every node finds what any node wrote:

    <warehouse>/<account id>/<job>/<run id>/result.parquet
    <warehouse>/<account id>/<job>/<run id>/batch.log      (what the batch did, as text)
"""

from __future__ import annotations

RESULT_NAME = "result.parquet"
LOG_NAME = "batch.log"
LOG_UID_LABEL = "batch uid: "  # the log's head line naming its batch's uid (Batch.uid)


def job_prefix(warehouse: str, account: int, job: str) -> str:
    """The prefix of everything the batches of one job keep (ends with '/')."""
    return f"{warehouse.rstrip('/')}/{account}/{job}/"


def batch_prefix(warehouse: str, account: int, job: str, run_id: int) -> str:
    """The prefix of what one batch keeps (ends with '/'); reruns replace what is there."""
    return f"{job_prefix(warehouse, account, job)}{run_id}/"


def result_uri(warehouse: str, account: int, job: str, run_id: int) -> str:
    """The URI of one batch's committed result (a Parquet file)."""
    return batch_prefix(warehouse, account, job, run_id) + RESULT_NAME


def log_uri(warehouse: str, account: int, job: str, run_id: int) -> str:
    """The URI of one batch's log (UTF-8 text, runner.batch_log), beside its result: deleted
    with the batch, replaced by each new attempt."""
    return batch_prefix(warehouse, account, job, run_id) + LOG_NAME


def log_beside(result: str) -> str:
    """The log URI beside the result URI `result` (as `result_uri` names it)."""
    return result.removesuffix(RESULT_NAME) + LOG_NAME
