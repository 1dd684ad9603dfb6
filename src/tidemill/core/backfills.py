"""Range backfills (issue 14, item 1): the request, the slots of a range and which to fill.

A backfill queues one batch per schedule slot of a crontab or loop job in `[from, to]`, with the
slot as its batchTime, so the job's variables render as if it had run then. These rules are pure:
the service reads the job and the batches already there, and stores what `plan_slots` chose.

- Slots: a crontab's fire times in the configured zone (core.cron, robfig semantics); a loop's
  grid `from, from + interval, ...` (a loop's grid starts wherever it was started, so a backfill
  anchors it at `from`, rounded up to a whole second). A back-to-back loop has no slots.
- `reprocess`: `all` takes every slot; `missing` skips a slot that has a Successful batch or an
  active one (queued or running: it is being filled); `failed` takes only a slot whose latest
  batch (highest runId at that batchTime) is Failed.
- `order`: `asc` fills the oldest slot first, `desc` the newest; run ids follow that order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from tidemill.core import fields
from tidemill.core.batches import ACTIVE, BatchStatus
from tidemill.core.cron import fire_times_between
from tidemill.core.models import JSON, SchedulerMode
from tidemill.core.rfc3339 import parse_time
from tidemill.core.schedules import ScheduleSpec
from tidemill.errors import Failure, InvalidInputError, StateError, malformed

E = TypeVar("E", bound=StrEnum)
MAX_CONCURRENCY = 1000  # batches of one backfill running at once, at most
_SECOND = timedelta(seconds=1)
# from/to lie in these years (a day either side stays a date in every zone), and one backfill
# spans at most MAX_SPAN: finding a rare schedule's slots walks every day of the range.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
MAX_SPAN = timedelta(days=36_525)  # 100 years


class Reprocess(StrEnum):
    MISSING = "missing"
    FAILED = "failed"
    ALL = "all"


class Order(StrEnum):
    ASC = "asc"
    DESC = "desc"


class BackfillState(StrEnum):
    """Running: batches left to run; Done: none left; Canceled: canceled by its account."""

    RUNNING = "Running"
    DONE = "Done"
    CANCELED = "Canceled"


@dataclass(frozen=True, slots=True)
class BackfillRequest:
    """A checked `POST /v2/jobs/{job}/actions/backfill` body."""

    start: datetime  # `from`, aware
    end: datetime  # `to`, aware, not before `start`
    reprocess: Reprocess = Reprocess.MISSING
    concurrency: int = 1
    order: Order = Order.ASC
    dry_run: bool = False


def _moment(body: JSON, key: str) -> datetime:
    text = fields.opt_str(body, key)
    if text is None:
        raise malformed(f'{key} is required: an RFC 3339 time such as "2026-11-01T00:00:00+08:00"')
    moment = parse_time(text)
    if moment is None:
        raise malformed(
            f"{key} {text!r} is not an RFC 3339 time with a zone offset, such as "
            '"2026-11-01T00:00:00+08:00" or "2026-10-31T16:00:00Z"'
        )
    if not EARLIEST <= moment < LATEST:
        raise malformed(f"{key} {text!r} is outside the years 1900 to 9998 a backfill covers")
    return moment


def _choice(body: JSON, key: str, kind: type[E], default: E) -> E:
    text = fields.opt_str(body, key)
    if text is None:
        return default
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in kind)
        raise malformed(f"{key} {text!r} is not one of {allowed}") from None


def parse_request(body: JSON) -> BackfillRequest:
    """The backfill body: `from` and `to` (RFC 3339 with an offset; `from` <= `to`) required;
    `reprocess` (missing), `concurrency` (1, at most MAX_CONCURRENCY), `order` (asc) and
    `dryRun` (false) optional. Anything else wrong is REQ_MALFORMED with what to send."""
    start = _moment(body, "from")
    end = _moment(body, "to")
    if end < start:
        raise malformed(f"to ({body['to']}) is before from ({body['from']}): swap them")
    if end - start > MAX_SPAN:
        raise malformed(
            f"from {body['from']} to {body['to']} spans {(end - start).days} days; one backfill"
            f" covers at most {MAX_SPAN.days} days (100 years): split the range"
        )
    reprocess = _choice(body, "reprocess", Reprocess, Reprocess.MISSING)
    concurrency = fields.opt_int(body, "concurrency")
    if concurrency is None:
        concurrency = 1
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise malformed(f"concurrency is {concurrency}: it must be between 1 and {MAX_CONCURRENCY}")
    order = _choice(body, "order", Order, Order.ASC)
    dry_run = bool(fields.opt_bool(body, "dryRun"))
    return BackfillRequest(start, end, reprocess, concurrency, order, dry_run)


def check_backfillable(job: str, mode: SchedulerMode, spec: ScheduleSpec | None) -> ScheduleSpec:
    """The job's schedule, or JOB_START_REFUSED: only crontab and loop jobs have slots."""
    if spec is None:
        why = (
            "it runs after each successful batch of its upstream; backfill the upstream job "
            "and its batches trigger this one"
            if mode is SchedulerMode.DEPEND
            else "it has no schedule to take slots from; start it for each batch instead"
        )
        raise StateError(
            Failure.JOB_START_REFUSED,
            f"job {job!r} is a {mode.value} job and cannot be backfilled: {why}",
        )
    if spec.kind is SchedulerMode.LOOP and not spec.interval:
        raise StateError(
            Failure.JOB_START_REFUSED,
            f"job {job!r} loops back to back (no interval), so it has no slots to backfill; "
            "give it a loop interval such as 1h",
        )
    return spec


def slots_between(
    spec: ScheduleSpec, start: datetime, end: datetime, zone: ZoneInfo, limit: int
) -> list[datetime]:
    """The schedule's slots in [start, end] in `zone`, oldest first (aware, in `zone`).

    More than `limit` slots is REQ_MALFORMED, told before they are all computed."""
    start, end = start.astimezone(zone), end.astimezone(zone)
    if spec.kind is SchedulerMode.LOOP:
        step = spec.interval
        first = start if not start.microsecond else start.replace(microsecond=0) + _SECOND
        count = 0 if first > end else (end - first) // step + 1
        _check_count(count, limit, start, end)
        return [first + i * step for i in range(count)]
    found = fire_times_between(spec.cron, start, end, limit)
    if found is None:
        _check_count(limit + 1, limit, start, end, more=True)
        raise AssertionError("unreachable")
    return found


def _check_count(
    count: int, limit: int, start: datetime, end: datetime, *, more: bool = False
) -> None:
    if count > limit:
        many = f"more than {limit}" if more else str(count)
        raise InvalidInputError(
            Failure.REQ_MALFORMED,
            f"[{start.isoformat()}, {end.isoformat()}] holds {many} slots of this job; one "
            f"backfill takes at most {limit}: narrow from/to or split the range",
        )


@dataclass(frozen=True, slots=True)
class SlotHistory:
    """What the batches already at one batchTime say: the latest one's status (highest runId),
    and whether any succeeded or is still active."""

    latest: BatchStatus
    succeeded: bool
    active: bool


def summarise(rows: Iterable[tuple[datetime, int, BatchStatus]]) -> dict[datetime, SlotHistory]:
    """SlotHistory by batchTime from (batchTime, runId, status) rows, in any order."""
    latest: dict[datetime, tuple[int, BatchStatus]] = {}
    succeeded: set[datetime] = set()
    active: set[datetime] = set()
    for moment, run_id, status in rows:
        if moment not in latest or run_id > latest[moment][0]:
            latest[moment] = (run_id, status)
        if status is BatchStatus.SUCCESSFUL:
            succeeded.add(moment)
        if status in ACTIVE:
            active.add(moment)
    return {
        moment: SlotHistory(status, moment in succeeded, moment in active)
        for moment, (_, status) in latest.items()
    }


def plan_slots(
    slots: list[datetime], history: Mapping[datetime, SlotHistory], request: BackfillRequest
) -> list[datetime]:
    """The slots to queue a batch for, in the order their batches are to run. `history` is
    keyed by the instant (any zone: aware datetimes compare as instants)."""
    if request.reprocess is Reprocess.ALL:
        chosen = list(slots)
    elif request.reprocess is Reprocess.MISSING:
        chosen = [
            s for s in slots
            if (h := history.get(s)) is None or not (h.succeeded or h.active)
        ]  # fmt: skip
    else:
        chosen = [
            s for s in slots if (h := history.get(s)) is not None
            and h.latest is BatchStatus.FAILED
        ]  # fmt: skip
    return chosen[::-1] if request.order is Order.DESC else chosen


def state_of(canceled: bool, counts: Mapping[str, int], retrying: int = 0) -> BackfillState:
    """A backfill's state from its batches' counts by status and how many of its Failed
    batches wait for an automatic retry (they run again: not Done yet)."""
    if canceled:
        return BackfillState.CANCELED
    if retrying or any(counts.get(s.value, 0) for s in ACTIVE):
        return BackfillState.RUNNING
    return BackfillState.DONE
