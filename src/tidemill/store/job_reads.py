"""GetJob's one read: a job and the state of its schedule, in one statement.

GetJob shows a started crontab/loop job's coming fire times (`nextFireTimes`): it needs the
job row and the job's `job_states` row. One LEFT JOIN reads both (a job never started has no
state row), where two reads cost two statement executions (docs/performance.md).
"""

from __future__ import annotations

import sqlalchemy as sa

from tidemill.core.models import Job
from tidemill.store.repository import job_from_row
from tidemill.store.schedules import ScheduleState, state_from_row
from tidemill.store.tables import job_states, jobs

# Built once with bind parameters: building and cache-keying a statement costs more than
# running it on SQLite.
_JOB_AND_STATE = (
    sa.select(
        jobs,
        job_states.c.active,
        job_states.c.schedule_kind,
        job_states.c.schedule_expr,
        job_states.c.next_fire,
        job_states.c.last_fire,
    )
    .select_from(
        jobs.outerjoin(
            job_states,
            sa.and_(
                job_states.c.account_id == jobs.c.account_id,
                job_states.c.job_name == jobs.c.name,
            ),
        )
    )
    .where(jobs.c.account_id == sa.bindparam("account"), jobs.c.name == sa.bindparam("name"))
)


def job_and_schedule(
    conn: sa.Connection, account: int, name: str
) -> tuple[Job, ScheduleState | None] | None:
    """The job `name` of `account` and its started schedule (None when it is not started, or
    is no crontab/loop job); None when there is no such job."""
    row = conn.execute(_JOB_AND_STATE, {"account": account, "name": name}).first()
    if row is None:
        return None
    return job_from_row(row), state_from_row(row)
