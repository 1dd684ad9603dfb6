"""Batches (spec §7): statuses, the moves between them, history queries and public shapes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from tidemill.core.fields import INT64_MAX, int_text
from tidemill.core.models import JSON
from tidemill.errors import Failure, InvalidInputError, StateError


class BatchStatus(StrEnum):
    READY = "Ready"
    RUNNING = "Running"
    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    CANCELED = "Canceled"
    RESTARTING = "Restarting"
    CANCELLING = "Cancelling"


S = BatchStatus
WAITING = frozenset({S.READY, S.RESTARTING})  # queued: a runner may claim it
EXECUTING = frozenset({S.RUNNING, S.CANCELLING})  # a worker runs it under its runner's lease
ACTIVE = WAITING | EXECUTING
FINISHED = frozenset({S.SUCCESSFUL, S.FAILED, S.CANCELED})

# The only moves a batch can make (§7.2). Every status written is checked against this table by
# the store (store.batches.move), whoever writes it; a new batch is born Ready (BORN).
MOVES: Mapping[BatchStatus, frozenset[BatchStatus]] = {
    S.READY: frozenset({S.RUNNING, S.CANCELED, S.FAILED}),
    S.RUNNING: frozenset({S.SUCCESSFUL, S.FAILED, S.CANCELLING}),
    S.CANCELLING: frozenset({S.CANCELED}),
    S.SUCCESSFUL: frozenset({S.RESTARTING}),
    S.FAILED: frozenset({S.RESTARTING}),
    S.CANCELED: frozenset({S.RESTARTING}),
    S.RESTARTING: frozenset({S.RUNNING, S.CANCELED, S.FAILED}),
}


BORN = S.READY  # the status every new batch is stored with (§7.2)


def check_move(current: BatchStatus, target: BatchStatus, batch: str = "a batch") -> None:
    """Raise StateError (INTERNAL: a move outside the table is a bug in Tidemill, never the
    caller's doing) unless `current` → `target` is in MOVES (§7.2). `batch` names it."""
    if target not in MOVES[current]:
        allowed = ", ".join(sorted(s.value for s in MOVES[current]))
        raise StateError(
            Failure.INTERNAL,
            f"{batch} cannot go from {current.value} to {target.value} (spec §7.2 allows "
            f"{current.value} to go to: {allowed})",
            current=current.value,
            target=target.value,
        )


def can_stop(status: BatchStatus) -> bool:
    """`POST /v2/batch/actions/stop` is allowed only for a Running batch (§7.4)."""
    return status is S.RUNNING


def can_rerun(status: BatchStatus) -> bool:
    return status in FINISHED


@dataclass(frozen=True, slots=True)
class Batch:
    job_name: str
    run_id: int
    batch_time: datetime
    status: BatchStatus
    params: dict[str, str] = field(default_factory=dict)  # runtime values given at start
    start_time: datetime | None = None
    end_time: datetime | None = None
    message: str = ""
    rerun_count: int = 0
    result_rows: int | None = None
    uid: str = ""  # unique for the life of the installation (runIds restart with a new job)
    backfill_id: str | None = None  # the backfill that queued it (issue 14); None: fresh work


def batch_public(batch: Batch, now: datetime, timestamp: Callable[[object], str]) -> JSON:
    """A history entry (§7.1): `endTime` is now while running; `duration` is whole seconds."""
    end = batch.end_time
    if batch.status in (S.RUNNING, S.CANCELLING, S.RESTARTING) and batch.start_time is not None:
        end = now
    duration = 0
    if batch.start_time is not None and end is not None:
        duration = max(0, int((end - batch.start_time).total_seconds()))
    return {
        "runId": batch.run_id,
        "batchTime": timestamp(batch.batch_time),
        "startTime": timestamp(batch.start_time),
        "endTime": timestamp(end),
        "duration": duration,
        "status": batch.status.value,
        "message": batch.message,
    }


SORT_FIELDS = ("runId", "batchTime", "startTime", "endTime", "duration")


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """A validated `GET .../history` query (§7.3, D-18)."""

    page: int | None = None
    size: int | None = None
    sort_by: str = "runId"
    descending: bool = True
    status: BatchStatus | None = None
    run_id: int | None = None  # -1 = the latest batch

    @property
    def limits(self) -> tuple[int, int] | None:
        """(offset, limit), or None for every batch (neither page nor size given)."""
        if self.page is None and self.size is None:
            return None
        page, size = self.page or 1, self.size or 20
        return (page - 1) * size, size


MAX_PAGE_SIZE = 1000
# page * size stays far inside 64 bits, so the offset reaches the database intact.
MAX_PAGE = 1_000_000_000
LATEST = -1  # the runId that names a job's newest batch (§7.3, §7.4)


def _positive(name: str, raw: str | None, upper: int) -> int | None:
    if raw is None:
        return None
    value = int_text(raw, 1, upper)
    if value is None:
        raise InvalidInputError(
            Failure.QUERY_INVALID, f"{name} must be an integer from 1 to {upper}, not {raw!r}"
        )
    return value


def run_id_text(raw: str, failure: Failure) -> int:
    """A runId written as text: -1 (the latest batch) or 1..2^63-1; else `failure`."""
    value = int_text(raw.strip(), LATEST, INT64_MAX)
    if value is None or value == 0:
        raise InvalidInputError(
            failure, f"runId {raw!r} is not a batch number: use -1 (the latest) or 1..{INT64_MAX}"
        )
    return value


def parse_history_query(query: Mapping[str, str]) -> HistoryQuery:
    page = _positive("page", query.get("page"), MAX_PAGE)
    size = _positive("size", query.get("size"), MAX_PAGE_SIZE)
    sort = query.get("sortBy") or "-runId"
    descending = sort.startswith("-")
    sort_by = sort.lstrip("-")
    if sort_by not in SORT_FIELDS or sort.count("-") > 1:
        raise InvalidInputError(
            Failure.QUERY_INVALID,
            f"sortBy must be one of {', '.join(SORT_FIELDS)}, optionally with a leading '-'",
        )
    status = None
    if query.get("status"):
        wanted = query["status"].lower()
        status = next((s for s in S if s.value.lower() == wanted), None)
        if status is None:
            raise InvalidInputError(
                Failure.QUERY_INVALID,
                f"status must be one of {', '.join(s.value for s in S)}",
            )
    run_id = None
    raw_run = query.get("runId")
    if raw_run is not None and raw_run != "":
        run_id = run_id_text(raw_run, Failure.QUERY_INVALID)
    return HistoryQuery(page, size, sort_by, descending, status, run_id)


def sort_key(name: str) -> Callable[[Batch], Any]:
    """How history sorts on `name`; batches without that time sort first."""
    epoch = datetime.min.replace(tzinfo=None)

    def when(value: datetime | None) -> Any:
        return value.replace(tzinfo=None) if value is not None else epoch

    keys: dict[str, Callable[[Batch], Any]] = {
        "runId": lambda b: b.run_id,
        "batchTime": lambda b: when(b.batch_time),
        "startTime": lambda b: when(b.start_time),
        "endTime": lambda b: when(b.end_time),
        "duration": lambda b: (
            (b.end_time - b.start_time).total_seconds() if b.end_time and b.start_time else 0
        ),
    }
    return keys[name]


def parse_run_id(body: JSON) -> tuple[str, int]:
    """`{"jobName": ..., "runId": 3 | "3"}` of batch stop/rerun (§7.4: both forms).

    runId is -1 (the latest batch) or 1..2^63-1, as a number or a string of ASCII digits;
    anything else is REQ_MALFORMED (E18007). A runId in range that no batch has is
    BATCH_NOT_FOUND, decided by the caller.
    """
    job_name = body.get("jobName")
    if not isinstance(job_name, str) or not job_name:
        raise InvalidInputError(Failure.REQ_MALFORMED, "jobName is required and must be a string")
    run_id = body.get("runId")
    if isinstance(run_id, bool) or run_id is None:
        raise InvalidInputError(Failure.REQ_MALFORMED, "runId is required: an integer")
    if isinstance(run_id, float) and run_id.is_integer():
        run_id = int(run_id)
    if isinstance(run_id, int):
        run_id = str(run_id)
    if not isinstance(run_id, str):
        raise InvalidInputError(Failure.REQ_MALFORMED, "runId must be an integer")
    return job_name, run_id_text(run_id, Failure.REQ_MALFORMED)
