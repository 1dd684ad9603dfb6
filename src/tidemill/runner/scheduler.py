"""The scheduler: fires crontab and loop jobs when their next_fire comes (spec §3.6, §7.6).

One thread sleeps until the earliest next_fire in the metadata store (or until nudged: a
schedule started or changed, a batch ended), then claims the due rows in chunks and, in the same
transaction, queues one Ready batch per slot fired and writes each job's next fire time. Crontab
jobs are fired by group: all jobs due at one time with one expression take one decision and
set-based statements (100,000 jobs on one minute, docs/performance.md); loops, whose step
depends on each job's last batch, are decided row by row. The
decisions (which slot, when next, the missed-slot policy) are `core.schedules`; this is the I/O
around them. Claims are exclusive (see `store.schedules`), so any number of Tidemill processes
may run a scheduler against one PostgreSQL; each fires whatever is due when it wakes.

Time comes from `runtime.clock`: tests move a FixedClock and call `tick()`.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from tidemill.core.cron import parse_crontab
from tidemill.core.models import SchedulerMode
from tidemill.core.schedules import Fire, NotBefore, Wait, crontab_fire, loop_step
from tidemill.errors import TidemillError
from tidemill.runtime import Runtime
from tidemill.store import schedules as store

log = logging.getLogger("tidemill.scheduler")

AHEAD_MIN_JOBS = 1000  # a slot with fewer crontab jobs is claimed when it comes
AHEAD_COST = 20e-6  # wall seconds per job of a claim, until one is measured
MAX_AHEAD = 2.0  # seconds: the longest a claim is held open before its slot
_SECOND = timedelta(seconds=1)


class _Abandoned(Exception):
    """An ahead claim that must not commit (rolled back; `tick` fires its jobs)."""


class Scheduler:
    """Fires due schedules; `tick()` once, or `start()` a thread that ticks when due."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        chunk: int | None = None,
        max_sleep: float | None = None,
        poll: float | None = None,
    ) -> None:
        config = runtime.settings.scheduler
        self.runtime = runtime
        self.chunk = chunk or config.chunk
        self.max_sleep = max_sleep if max_sleep is not None else config.max_sleep_seconds
        self.poll = poll if poll is not None else config.wait_poll_seconds
        self._wake = threading.Event()
        self._cost = AHEAD_COST  # wall seconds per crontab job of a claim, as last measured
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="tidemill-scheduler", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        """Whether the scheduler thread runs (GET /readyz)."""
        return self._thread is not None and self._thread.is_alive()

    def notify(self) -> None:
        """Something changed (a schedule, a batch ended): look again now."""
        self._wake.set()

    def close(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.tick()
                timeout = self.sleep_for()
                with self.runtime.db.connect() as conn:
                    earliest = store.earliest_fire(conn)
                if earliest is not None:
                    left = (earliest - self.runtime.clock.now()) / _SECOND
                    if left > MAX_AHEAD:  # come back before it to size it
                        timeout = min(timeout, left - MAX_AHEAD)
                    elif left > 0:
                        ahead = self._ahead(earliest)
                        if left <= ahead and self.fire_ahead():
                            continue
                        timeout = min(timeout, left - ahead if left > ahead else left)
            except Exception:
                log.exception("scheduler pass failed; retrying")
                timeout = self.poll
            self._wake.wait(timeout)

    # --- large slots: claimed ahead, committed at the slot ---------------------------------

    def _ahead(self, moment: datetime) -> float:
        """Seconds before `moment` to start claiming the crontab jobs due at it: what a claim
        of that many jobs took last (with a margin); 0 for fewer than AHEAD_MIN_JOBS."""
        with self.runtime.db.connect() as conn:
            jobs = store.crontabs_due_at(conn, moment)
        if jobs < AHEAD_MIN_JOBS:
            return 0.0
        return min(MAX_AHEAD, jobs * self._cost * 1.5 + 0.05)

    def fire_ahead(self) -> int:
        """Claim the crontab jobs due at the next fire time before it comes, and commit the
        claim when it comes: their batches appear at their slot instead of as long after it as
        the claim takes (100,000 jobs on one minute: about a second). The number fired; 0 if
        nothing was due or a later slot came meanwhile (`tick` fires those by its policy).

        The claim is the one `tick` makes (`store.fire_crontabs` in one transaction, exclusive),
        only earlier: until it commits, no batch is visible and nothing else can fire its jobs;
        if this process dies, it is rolled back and the slot is fired late, once."""
        with self.runtime.db.connect() as conn:
            moment = store.earliest_fire(conn)
            groups = [] if moment is None else store.due_crontabs(conn, moment)
        if moment is None:
            return 0
        local = moment.astimezone(self.runtime.zone)
        decided = []
        for group in groups:
            try:
                decided.append((group, crontab_fire(parse_crontab(group.expression),
                                                    group.next_fire, local)))  # fmt: skip
            except TidemillError:
                continue  # parked by `tick` once due
        if not decided:
            return 0
        began = time.monotonic()
        counts: list[int] = []
        try:
            with self.runtime.db.begin() as conn:
                store.lock_for_firing(conn)
                for group, fire in decided:
                    counts.append(store.fire_crontabs(
                        conn, group, fire.slot, fire.next_fire, moment, group.count))  # fmt: skip
                worked = time.monotonic() - began
                self._hold_until(moment, began + MAX_AHEAD + 1.0)
                now = self.runtime.clock.now()
                if any(fire.next_fire <= now for _, fire in decided):
                    raise _Abandoned()  # a later slot has come meanwhile: `tick` decides
        except _Abandoned:
            return 0
        committed = self.runtime.clock.now()
        fired = sum(counts)
        self._learn(fired, worked)
        for (_, fire), count in zip(decided, counts, strict=True):
            self.runtime.metrics.fired((committed - fire.slot).total_seconds(), count)
        if fired:
            self.runtime.notify_runner()
        return fired

    def _hold_until(self, moment: datetime, deadline: float) -> None:
        """Wait in the open claim until `moment` (then it may commit); _Abandoned (roll back)
        when stopping or past `deadline` (monotonic)."""
        while (left := (moment - self.runtime.clock.now()).total_seconds()) > 0:
            if self._stopping.wait(min(left, 0.01)) or time.monotonic() > deadline:
                raise _Abandoned()

    def _learn(self, jobs: int, seconds: float) -> None:
        """Note what a claim of `jobs` crontab jobs took (wall), for `_ahead`."""
        if jobs >= AHEAD_MIN_JOBS:
            self._cost = seconds / jobs

    # --- one pass -------------------------------------------------------------------------

    def tick(self) -> int:
        """Fire every slot due now; the number of batches queued."""
        now = self.runtime.clock.now()
        with self.runtime.db.connect() as conn:
            waiting = store.any_waiting(conn)
        if waiting:
            with self.runtime.db.begin() as conn:
                store.release_waiting(conn, now)
        fired = self._fire_crontabs()
        for _ in range(1000):  # each pass settles its rows; a back-to-back loop needs two
            claimed, count = self._fire_chunk()
            fired += count
            if claimed == 0:
                break
        if fired:
            self.runtime.notify_runner()
        return fired

    def _fire_crontabs(self) -> int:
        """Fire the due crontab jobs group by group (one expression, one due time: one
        decision), in claims of up to `chunk` jobs; the number fired."""
        with self.runtime.db.connect() as conn:
            groups = store.due_crontabs(conn, self.runtime.clock.now())
        fired = 0
        lags: list[tuple[float, int]] = []
        began = time.monotonic()
        for group in groups:
            left = group.count  # jobs that join the group later fire on the next pass
            while left > 0:
                now = self.runtime.clock.now()
                local = now.astimezone(self.runtime.zone)  # crontabs run in the configured zone
                try:
                    fire = crontab_fire(parse_crontab(group.expression), group.next_fire, local)
                except TidemillError as exc:  # an expression that no longer parses: park them
                    self._park(group, exc)
                    break
                with self.runtime.db.begin() as conn:
                    store.lock_for_firing(conn)
                    count = store.fire_crontabs(
                        conn, group, fire.slot, fire.next_fire, now, self.chunk
                    )
                fired += count
                left -= count
                lags.append(((local - fire.slot).total_seconds(), count))
                if count < self.chunk:  # the group is done, or another node holds the rest
                    break
        if fired:
            self._learn(fired, time.monotonic() - began)
        for lag, count in lags:  # after the claims: the figure does not delay the firing
            self.runtime.metrics.fired(lag, count)
        return fired

    def _park(self, group: store.DueGroup, exc: TidemillError) -> None:
        with self.runtime.db.begin() as conn:
            store.lock_for_firing(conn)
            parked = store.park_crontabs(conn, group)
        for account, job in parked:
            log.error("job %r of account %s has a bad schedule: %s", job, account, exc)

    def _fire_chunk(self) -> tuple[int, int]:
        now = self.runtime.clock.now()
        local = now.astimezone(self.runtime.zone)  # crontabs run in the configured zone
        with self.runtime.db.begin() as conn:
            store.lock_for_firing(conn)
            rows = store.due(conn, now, self.chunk)
            outcomes = [self._decide(row, local) for row in rows]
            fired = store.settle(conn, outcomes, now)
        return len(rows), fired

    def _decide(self, row: store.Due, now: datetime) -> store.Outcome:
        try:
            if row.spec.kind is SchedulerMode.CRONTAB:
                fire = crontab_fire(row.spec.cron, row.next_fire, now)
                self.runtime.metrics.fired((now - fire.slot).total_seconds())  # how late
                return store.Outcome(row, fire.next_fire, slot=fire.slot)
            step = loop_step(row.spec.interval, row.last, now)
        except TidemillError as exc:  # an expression that no longer parses: park the job
            log.error("job %r of account %s has a bad schedule: %s", row.job, row.account, exc)
            return store.Outcome(row, None)
        if isinstance(step, Fire):
            self.runtime.metrics.fired((now - step.slot).total_seconds())
            return store.Outcome(row, step.next_fire, slot=step.slot)
        if isinstance(step, Wait):
            return store.Outcome(row, None, waiting=True)
        assert isinstance(step, NotBefore)
        return store.Outcome(row, step.moment)

    def sleep_for(self) -> float:
        """Seconds until the earliest next fire, capped (other nodes may change schedules, and
        a loop waiting on a batch another process runs is polled)."""
        with self.runtime.db.connect() as conn:
            earliest = store.earliest_fire(conn)
            cap = self.poll if store.any_waiting(conn) else self.max_sleep
        if earliest is None:
            return cap
        left = (earliest - self.runtime.clock.now()) / timedelta(seconds=1)
        return max(0.0, min(cap, left + 0.001))
