"""Concurrency caps (issue 14, item 3): which waiting batches may start now. Pure.

Three caps, each checked when a runner claims a batch:

- per job, `maxConcurrent` (a Tidemill extension member of the job body; default 1, the
  spec's rule that one batch of a job runs at a time, §7.6): batches of the job executing at once;
- per backfill, its `concurrency`: its batches (and their depend children) executing at once;
- per account, the quota of container units executing at once (`TIDEMILL_QUOTA__UNITS`,
  default 100, the spec's own ceiling of one job's `cores x count`, §3.3). A batch whose units
  exceed the whole quota still runs when its account runs nothing else (it would wait forever).

What may not start stays Ready, in its place: once a batch of an account is held back by the
quota, no later batch of that account starts in the same pass (a small one never overtakes it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tidemill.core.job_limits import max_concurrent as max_concurrent
from tidemill.core.jobs import CONTAINER_CORES
from tidemill.core.models import JSON


def units_of(definition: JSON) -> int:
    """Container units (cores) a batch of the job takes: the type's cores x count (§3.3).
    A job without a container (depend) runs as one 1U2G: 1 unit."""
    container = definition.get("container") or {}
    cores = CONTAINER_CORES.get(str(container.get("type") or "1U2G"), 1)
    count = container.get("count") or 1
    return cores * (int(count) if isinstance(count, int | float) else 1)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A waiting batch as the caps see it."""

    account: int
    job: str
    backfill: str | None  # the backfill that queued it; None for fresh work
    units: int
    job_limit: int  # the job's maxConcurrent
    backfill_limit: int = 0  # the backfill's concurrency (backfilled batches only)


@dataclass
class Admission:
    """What executes now, and the rules a candidate must pass to join it.

    `backfill_room`: how many more backfilled batches this runner may start (it keeps a slot
    for fresh work); None means no such limit."""

    quota: int
    per_job: Counter[tuple[int, str]] = field(default_factory=Counter)
    per_account: Counter[int] = field(default_factory=Counter)  # units
    per_backfill: Counter[str] = field(default_factory=Counter)
    backfill_room: int | None = None
    _held: set[int] = field(default_factory=set)  # accounts held back by the quota this pass

    def admit(self, c: Candidate) -> bool:
        """Whether `c` may start now; if so it is counted as executing."""
        if c.account in self._held:
            return False
        if self.per_job[(c.account, c.job)] >= c.job_limit:
            return False
        if c.backfill is not None:
            if self.per_backfill[c.backfill] >= c.backfill_limit:
                return False
            if self.backfill_room is not None and self.backfill_room <= 0:
                return False
        running = self.per_account[c.account]
        if running and running + c.units > self.quota:
            self._held.add(c.account)
            return False
        self.per_job[(c.account, c.job)] += 1
        self.per_account[c.account] += c.units
        if c.backfill is not None:
            self.per_backfill[c.backfill] += 1
            if self.backfill_room is not None:
                self.backfill_room -= 1
        return True
