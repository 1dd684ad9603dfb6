"""Starting, stopping and showing the schedules of crontab/loop jobs (spec §6.5, §6.6, §10.6).

The scheduler (runner/scheduler.py) does the firing; these use cases only move job_states, in
the caller's transaction, then the caller nudges the scheduler (`rt.notify_scheduler()`).
"""

from __future__ import annotations

import sqlalchemy as sa

from tidemill.core.models import Job
from tidemill.core.schedules import first_fire, schedule_of, upcoming
from tidemill.runtime import Runtime
from tidemill.store import schedules as store

# How many coming fire times a job's GET shows (a Tidemill extension member, "nextFireTimes").
SHOWN_FIRE_TIMES = 3


def activate(
    rt: Runtime, conn: sa.Connection, account: int, job: Job, params: dict[str, str]
) -> None:
    """Start the schedule of a crontab/loop job (no-op for other jobs)."""
    spec = schedule_of(job.mode, job.definition)
    if spec is None:
        return
    now = rt.clock.now().astimezone(rt.zone)
    store.activate(conn, account, job.name, spec, params, first_fire(spec, now))


def deactivate(conn: sa.Connection, account: int, job: str) -> None:
    store.deactivate(conn, account, job)


def refresh(rt: Runtime, conn: sa.Connection, account: int, job: Job) -> None:
    """`job` was updated: a started schedule follows its new definition from now on."""
    if store.active_schedule(conn, account, job.name) is None:
        return
    spec = schedule_of(job.mode, job.definition)
    if spec is None:  # no longer crontab/loop: nothing left to fire
        store.deactivate(conn, account, job.name)
        return
    now = rt.clock.now().astimezone(rt.zone)
    store.replace_schedule(conn, account, job.name, spec, first_fire(spec, now))


def _shown(rt: Runtime, state: store.ScheduleState | None) -> list[str] | None:
    if state is None:
        return None
    start = None if state.next_fire is None else state.next_fire.astimezone(rt.zone)
    return [rt.timestamp(t) for t in upcoming(state.spec, start, SHOWN_FIRE_TIMES)]


def fire_times(rt: Runtime, job: Job, state: store.ScheduleState | None) -> list[str] | None:
    """The coming fire times of a started crontab/loop job, from its schedule `state` (read
    with the job: store.job_reads); None when nothing is scheduled."""
    if schedule_of(job.mode, job.definition) is None:
        return None
    return _shown(rt, state)


def all_fire_times(rt: Runtime, conn: sa.Connection, account: int) -> dict[str, list[str]]:
    """`fire_times` of every started job of the account, by job name."""
    shown = {}
    for name, state in store.active_schedules(conn, account).items():
        times = _shown(rt, state)
        if times is not None:
            shown[name] = times
    return shown
