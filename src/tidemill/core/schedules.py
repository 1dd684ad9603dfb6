"""When crontab and loop jobs fire (spec §3.6, §7.6, design D-5/D-6): pure, `now` passed in.

The scheduler keeps one `next_fire` per active job and asks this module what to do when it
comes due. Missed slots follow one policy (docs/decisions.md, "Scheduling"): a job whose slots
passed while nothing fired them (the service was down, or busy) runs **once**, for the most
recent missed slot, with that slot as its batchTime; the slots before it are skipped.

- crontab: `crontab_fire(rule, due, now)` gives the slot to fire and the next slot.
- loop: the interval runs from batch start to batch start, measured between scheduled starts
  (batchTimes) so the grid does not drift; a batch that overruns delays the next (it starts
  when the previous one ends), and two batches of a job never overlap, so
  `loop_step(...)` may answer "wait for the running batch" or "not yet" instead of "fire".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tidemill.core.cron import CronSchedule, EverySchedule, parse_crontab, parse_loop
from tidemill.core.models import SchedulerMode

_SECOND = timedelta(seconds=1)
# Widening windows to look back for the latest fire time at or before `now`.
_LOOKBACK = tuple(timedelta(seconds=s) for s in (60, 3600, 86400, 32 * 86400, 367 * 86400))


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """What job_states keeps of a job's scheduler: its kind and its expression."""

    kind: SchedulerMode  # CRONTAB or LOOP
    expression: str  # the crontab, or the loop value ("" = back-to-back)

    @property
    def cron(self) -> CronSchedule:
        return parse_crontab(self.expression)

    @property
    def interval(self) -> timedelta:
        return parse_loop(self.expression)


def schedule_of(mode: SchedulerMode, definition: Mapping[str, Any]) -> ScheduleSpec | None:
    """The schedule of a job, from its stored definition; None for manual and depend jobs."""
    if mode not in (SchedulerMode.CRONTAB, SchedulerMode.LOOP):
        return None
    spec = (definition.get("scheduler") or {}).get("spec") or {}
    key = "crontab" if mode is SchedulerMode.CRONTAB else "loop"
    return ScheduleSpec(mode, str(spec.get(key) or ""))


def whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def first_fire(spec: ScheduleSpec, now: datetime) -> datetime:
    """When a schedule started at `now` first fires: the next crontab slot after `now`; a loop
    fires at once."""
    if spec.kind is SchedulerMode.CRONTAB:
        return spec.cron.next_after(now)
    return whole_second(now)


def latest_fire(rule: CronSchedule, floor: datetime, now: datetime) -> datetime:
    """The latest fire time of `rule` in [floor, now]; `floor` must be one of its fire times
    at or before `now`. Looks back in widening windows, so a long outage costs little."""
    floor = floor.astimezone(now.tzinfo)  # the zone of `now` is the zone the rule runs in
    if now <= floor:
        return floor
    if isinstance(rule, EverySchedule):
        step = rule.interval
        return floor + (now - floor) // step * step
    for window in (*_LOOKBACK, now - floor + _SECOND):
        start = max(floor - _SECOND, now - window)
        latest = None
        moment = rule.next_after(start)
        while moment <= now:
            latest = moment
            moment = rule.next_after(moment)
        if latest is not None:
            return latest
    return floor  # unreachable when floor is a fire time


@dataclass(frozen=True, slots=True)
class Fire:
    """Queue a batch with batchTime `slot`; check again at `next_fire`."""

    slot: datetime
    next_fire: datetime


def crontab_fire(rule: CronSchedule, due: datetime, now: datetime) -> Fire:
    """`due` (<= now) came due: fire the latest slot up to `now` once, skipping older ones.
    The rule runs in the zone of `now`."""
    slot = latest_fire(rule, due, now)
    return Fire(slot, rule.next_after(slot))


@dataclass(frozen=True, slots=True)
class LastBatch:
    """The batch a loop fired last: when it started and ended, and whether it still runs."""

    start: datetime  # its scheduled start (batchTime): the grid does not drift with queueing
    end: datetime | None  # None while it is queued or executing
    active: bool  # Ready, Running, Restarting or Cancelling


@dataclass(frozen=True, slots=True)
class Wait:
    """The previous batch is still active: fire when it ends (batches never overlap)."""


@dataclass(frozen=True, slots=True)
class NotBefore:
    """Nothing to do until `moment`."""

    moment: datetime


def loop_step(
    interval: timedelta, last: LastBatch | None, now: datetime
) -> Fire | Wait | NotBefore:
    """What a loop job due at `now` does. With no previous batch it fires now. Otherwise the next
    start is the previous start plus `interval`, but not before the previous batch ended; a start
    more than one interval in the past collapses to the latest slot on that grid (the missed-slot
    policy). An interval of zero runs batches back to back, starting at most once a second."""
    if last is None:
        slot = whole_second(now)
        return Fire(slot, slot + interval)
    if last.active or last.end is None:
        return Wait()
    # Back to back still means one batchTime per second at most: batchTimes are whole seconds,
    # and a batch that fails at once must not turn into thousands of batches a minute.
    earliest = max(last.start + max(interval, _SECOND), last.end)
    if earliest > now:
        return NotBefore(earliest)
    slot = now if not interval else earliest + (now - earliest) // interval * interval
    slot = whole_second(slot)
    return Fire(slot, slot + interval)


def upcoming(spec: ScheduleSpec, next_fire: datetime | None, count: int) -> list[datetime]:
    """The next `count` fire times of an active schedule whose next fire is `next_fire`.

    A loop knows only its next one (the one after depends on how long that batch runs); a loop
    waiting for its running batch (`next_fire` None) has none yet."""
    if next_fire is None or count <= 0:
        return []
    if spec.kind is SchedulerMode.LOOP:
        return [next_fire]
    times = [next_fire]
    rule = spec.cron
    while len(times) < count:
        times.append(rule.next_after(times[-1]))
    return times
