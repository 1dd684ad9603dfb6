"""Which waiting batches a runner claims, in which order (issue 14, items 1 and 3).

Fresh work first: batches fired by a schedule, started, rerun or triggered by a parent
(`store.batches.claimable`, oldest first) are looked at before any backfilled one; then each
backfill's own queue (`store.backfills.claimable_in`), at most its `concurrency` executing at
once, one batch at a time to the account with the fewest backfilled batches executing (its
oldest backfill first, and the oldest backfill among equals): one account's large backfill
never keeps another account's waiting until it ends. Every candidate passes the caps of
core.caps (the job's `maxConcurrent`, the backfill's concurrency, the account's quota of
container units); what does not pass stays where it is, Ready, for a later pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from tidemill.core.batches import Batch
from tidemill.core.caps import Admission, Candidate, max_concurrent, units_of
from tidemill.core.models import Job
from tidemill.store import backfills as backfill_store
from tidemill.store import batches as batch_store
from tidemill.store import repository as repo

FRESH_LOOKAHEAD = 100  # fresh waiting batches looked at per pass
LANE_SLACK = 8  # backfilled batches looked at beyond a backfill's free concurrency

# Moves the claimed batch to Running (the caller's compare-and-set); whether it did.
Move = Callable[[int, Batch, int], bool]


@dataclass(frozen=True, slots=True)
class Claimed:
    account: int
    batch: Batch
    units: int
    job: Job | None  # as the claim read it (None: gone); planning uses it, not a new read


@dataclass(frozen=True, slots=True)
class Pass:
    """What one claim took, and whether it left nothing waiting: every waiting fresh batch
    it read (fewer than it looks at) was claimed and no backfill had a batch waiting. The
    runner then knows a later pass has nothing to claim until new work is queued."""

    claimed: list[Claimed]
    drained: bool


def claim_pass(
    conn: sa.Connection, free: int, quota: int, backfill_room: int | None, move: Move
) -> Pass:
    """Claim up to `free` batches in queue order under the caps, and tell whether the pass
    left anything waiting (`Pass.drained`); `backfill_room` is how many backfilled batches
    this runner may still start (None: no limit)."""
    fresh = batch_store.claimable(conn, FRESH_LOOKAHEAD)
    if fresh:  # the caps and the backfills' queues (oldest first) in one statement
        running, found_lanes = backfill_store.executing_and_lanes(conn)
    else:
        found_lanes = backfill_store.lanes(conn)
        if not found_lanes:  # nothing waits (a pass after every batch end): no caps to read
            return Pass([], drained=True)
        running = backfill_store.executing(conn)
    claimed = _claim(conn, free, quota, backfill_room, move, fresh, running, found_lanes)
    drained = not found_lanes and len(claimed) == len(fresh) < FRESH_LOOKAHEAD
    return Pass(claimed, drained)


def _claim(
    conn: sa.Connection, free: int, quota: int, backfill_room: int | None, move: Move,
    fresh: list[tuple[int, Batch]], running: list[backfill_store.Executing],
    found_lanes: list[backfill_store.Lane],
) -> list[Claimed]:  # fmt: skip
    admission = Admission(quota, backfill_room=backfill_room)
    backfilling: Counter[int] = Counter()  # backfilled batches executing, by account
    for e in running:
        admission.per_job[(e.account, e.job)] += 1
        admission.per_account[e.account] += e.units
        if e.backfill is not None:
            admission.per_backfill[e.backfill] += 1
            backfilling[e.account] += 1
    jobs: dict[tuple[int, str], tuple[Job | None, int, int]] = {}
    claimed: list[Claimed] = []

    def consider(account: int, batch: Batch, lane: backfill_store.Lane | None) -> bool:
        key = (account, batch.job_name)
        if key not in jobs:
            job = repo.get_job(conn, account, batch.job_name)
            # A job gone meanwhile: claimed all the same, its planning ends the batch.
            jobs[key] = (job, 1, 1) if job is None else (
                job, max_concurrent(job.definition), units_of(job.definition)
            )  # fmt: skip
        job, limit, units = jobs[key]
        candidate = Candidate(
            account, batch.job_name, None if lane is None else lane.id, units, limit,
            0 if lane is None else lane.concurrency,
        )  # fmt: skip
        if admission.admit(candidate) and move(account, batch, units):
            claimed.append(Claimed(account, batch, units, job))
            return True
        return False

    for account, batch in fresh:
        if len(claimed) >= free:
            return claimed
        consider(account, batch, None)
    lanes = dict(enumerate(found_lanes))
    queues: dict[int, Iterator[tuple[int, Batch]]] = {}
    while lanes and len(claimed) < free:
        # The account running fewest backfilled batches next; the older backfill among equals.
        index = min(lanes, key=lambda i: (backfilling[lanes[i].account], i))
        lane = lanes[index]
        room = min(lane.concurrency - admission.per_backfill[lane.id], free - len(claimed))
        if room <= 0:
            del lanes[index]
            continue
        if index not in queues:
            queues[index] = iter(backfill_store.claimable_in(conn, lane, room + LANE_SLACK))
        found = next(queues[index], None)
        if found is None:
            del lanes[index]
            continue
        if consider(found[0], found[1], lane):
            backfilling[lane.account] += 1
    return claimed
