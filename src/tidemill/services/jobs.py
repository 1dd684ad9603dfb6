"""Job use cases (spec §6): create, update, read, list, delete."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace

import sqlalchemy as sa

from tidemill.core import job_graph
from tidemill.core.jobs import JobInput, validate_job
from tidemill.core.models import JSON, Job, SchemaField
from tidemill.core.names import check_name
from tidemill.core.naming import job_prefix
from tidemill.core.notify import keep_stored
from tidemill.core.public import job_public
from tidemill.core.variables import (
    SYSTEM_VARIABLES,
    referenced_names,
    render,
    resolve,
    undefined_names,
)
from tidemill.core.workflows import mixes_manual_and_scheduled
from tidemill.engines import registry
from tidemill.errors import (
    ConflictError,
    Failure,
    InvalidInputError,
    NotFoundError,
    StateError,
    TidemillError,
)
from tidemill.runtime import Runtime
from tidemill.services import notify, schedules
from tidemill.services.guards import (
    need_datasource,
    need_job,
    need_job_and_schedule,
    workflow_idle,
)
from tidemill.services.variables import user_variables
from tidemill.store import backfills as backfill_store
from tidemill.store import batches as batch_store
from tidemill.store import notify as notify_store
from tidemill.store import repository as repo

log = logging.getLogger("tidemill.jobs")


def _lookup(conn: sa.Connection, account: int, replaced: Job | None = None) -> job_graph.JobLookup:
    """A job lookup that sees `replaced` in place of its stored version."""
    cache: dict[str, Job | None] = {}

    def lookup(name: str) -> Job | None:
        if replaced is not None and name == replaced.name:
            return replaced
        if name not in cache:
            cache[name] = repo.get_job(conn, account, name)
        return cache[name]

    return lookup


def _check_variables(
    given: JobInput, params: Mapping[str, str], user: Mapping[str, object]
) -> None:
    known = set(params) | set(user) | set(SYSTEM_VARIABLES)
    texts = [("computation.code", given.code)] + [
        (f"srcs[{i}].fileFilter", s.file_filter) for i, s in enumerate(given.sources)
    ]
    for where, text in texts:
        missing = undefined_names(text, known)
        if missing:
            raise InvalidInputError(
                Failure.JOB_SQL_UNDEF_VAR,
                f"{where} uses undefined variable $({missing[0]}); declare it as a param or "
                "create a user variable",
            )


def _tables(
    conn: sa.Connection, account: int, given: JobInput, lookup: job_graph.JobLookup
) -> dict[str, tuple[SchemaField, ...]]:
    """Every table the job's SQL may read: its srcs and those along its upstream chain."""
    tables: dict[str, tuple[SchemaField, ...]] = {}
    for src, upstream in job_graph.readable_sources(given.sources, lookup):
        if src.type == "job":
            assert upstream is not None  # checked with the other references
            tables[src.table_name] = upstream.schema
        else:
            ds = need_datasource(conn, account, src.name)
            tables[src.table_name] = ds.schema
    return tables


def _resolve(rt: Runtime, conn: sa.Connection, account: int, name: str, given: JobInput) -> Job:
    """Steps 7-8 of the check order: referenced resources, variables, SQL, workflow."""
    lookup = _lookup(conn, account)
    workflows: list[tuple[str, str]] = []
    for src in given.sources:
        if src.type == "job":
            upstream = lookup(src.name)
            if upstream is None:
                raise NotFoundError(
                    Failure.JOB_SRC_NOT_FOUND, f"src job {src.name!r} does not exist"
                )
            workflows.append((src.name, upstream.workflow))
        else:
            ds = repo.get_datasource(conn, account, src.name)
            if ds is None:
                raise NotFoundError(
                    Failure.DS_SRC_NOT_FOUND, f"src datasource {src.name!r} does not exist"
                )
            workflows.append((src.name, ds.workflow))
    job_graph.check_no_cycle(name, given.sources, lookup)
    job_graph.check_chain_tables(name, given.sources, lookup)
    params = given.params
    upstream_name = next((s.name for s in given.sources if s.type == "job"), None)
    if upstream_name is not None:
        upstream = lookup(upstream_name)
        assert upstream is not None
        params = job_graph.root_of(upstream, lookup).params
    user = user_variables(conn, account)
    _check_variables(given, params, user)
    moment = rt.clock.now().astimezone(rt.zone)
    values = resolve(
        referenced_names(given.code), runtime={}, params=params, user=user, moment=moment
    )
    columns = _check_sql(rt.settings.engine, render(given.code, values),
                         _tables(conn, account, given, lookup))  # fmt: skip
    workflow = job_graph.common_workflow(workflows)
    return Job(
        name,
        given.definition,
        given.mode,
        given.sources,
        tuple(columns),
        workflow,
    )


def _check_workflow(conn: sa.Connection, account: int, job: Job, action: str) -> None:
    if not job.workflow:
        return
    workflow_idle(conn, account, job.workflow, action)
    _, members, _ = repo.workflow_members(conn, account, job.workflow)
    modes = [m.mode for m in members if m.name != job.name] + [job.mode]
    if mixes_manual_and_scheduled(modes):
        raise InvalidInputError(
            Failure.WF_JOBS_COEXIST,
            f"workflow {job.workflow!r} may not hold both manual and crontab/loop jobs",
        )


def _downstream(conn: sa.Connection, account: int, name: str) -> list[Job]:
    return repo.list_jobs(conn, account, source_type="job", source=name)


def _recheck_downstream(conn: sa.Connection, account: int, job: Job) -> None:
    """§6.1.2: an upstream's new table names must not clash along any downstream chain."""
    lookup = _lookup(conn, account, replaced=job)
    pending: list[Job] = _downstream(conn, account, job.name)
    seen: set[str] = set()
    while pending:
        child = pending.pop()
        if child.name in seen:
            continue
        seen.add(child.name)
        job_graph.check_chain_tables(child.name, child.sources, lookup)
        pending.extend(_downstream(conn, account, child.name))


def create(rt: Runtime, account: int, name: str, body: JSON) -> None:
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    given = validate_job(body)
    given = replace(given, definition=keep_stored(given.definition, None))  # no "set" here
    notify.check_targets(rt.settings.outbound.policy, given.definition)  # issue 14 alerts
    with rt.db.begin() as conn:
        if repo.get_job(conn, account, name) is not None:
            raise ConflictError(Failure.JOB_EXISTS, f"job {name!r} already exists")
        job = _resolve(rt, conn, account, name, given)
        _check_workflow(conn, account, job, f"add job {name!r}")
        repo.insert_job(conn, account, job, rt.clock.now())


def update(rt: Runtime, account: int, name: str, body: JSON) -> None:
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    given = validate_job(body)
    notify.check_targets(rt.settings.outbound.policy, given.definition)  # issue 14 alerts
    with rt.db.begin() as conn:
        stored = need_job(conn, account, name)
        # What GetJob hid (a notify secret, a url's user info) sent back means "keep it".
        given = replace(given, definition=keep_stored(given.definition, stored.definition))
        job = _resolve(rt, conn, account, name, given)
        workflow_idle(conn, account, stored.workflow, f"update job {name!r}")
        _check_workflow(conn, account, job, f"update job {name!r}")
        _recheck_downstream(conn, account, job)
        repo.update_job(conn, account, job, rt.clock.now())
        schedules.refresh(rt, conn, account, job)
    rt.notify_scheduler()


def get(rt: Runtime, account: int, name: str) -> JSON:
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    with rt.db.connect() as conn:
        job, state = need_job_and_schedule(conn, account, name)  # one read
        body = job_public(job, next_fire_times=schedules.fire_times(rt, job, state))
        body.update(notify.notify_status(rt, conn, account, job))  # issue 14 extension
        return body


def list_all(rt: Runtime, account: int, src_datasource: str | None, src_job: str | None) -> JSON:
    with rt.db.connect() as conn:
        if src_datasource is not None:
            found = repo.list_jobs(conn, account, source_type="datasource", source=src_datasource)
        elif src_job is not None:
            found = repo.list_jobs(conn, account, source_type="job", source=src_job)
        else:
            found = repo.list_jobs(conn, account)
        fire_times = schedules.all_fire_times(rt, conn, account)
    return {
        "jobs": [
            job_public(job, with_name=True, next_fire_times=fire_times.get(job.name))
            for job in found
        ]
    }


def exists(rt: Runtime, account: int, name: str) -> JSON:
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    with rt.db.connect() as conn:
        return {"exist": repo.get_job(conn, account, name) is not None}


def delete(rt: Runtime, account: int, name: str) -> None:
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    with rt.db.begin() as conn:
        # The job's row first (SQLite: the write lock): a parent's outcome transaction that
        # is queueing this job's batch (it locks its children's rows) ends before, and the
        # batch is deleted with the others; never left behind, of a job that is gone.
        backfill_store.lock_job(conn, account, name)
        job = need_job(conn, account, name)
        blockers: Sequence[str] = [
            f"export {e.name!r}" for e in repo.list_exports(conn, account, name)
        ]
        blockers = [*blockers, *(f"job {d.name!r}" for d in _downstream(conn, account, name))]
        if blockers:
            raise StateError(
                Failure.JOB_CASCADING,
                f"job {name!r} still has {', '.join(blockers)}; delete those first",
            )
        workflow_idle(conn, account, job.workflow, f"delete job {name!r}")
        # History and results go with the job (§6.7): a batch still executing is ended, and a
        # job made later under the same name starts from run 1 with nothing left behind.
        running = [b.run_id for b in batch_store.active_batches(conn, account, name)]
        batch_store.delete_job_batches(conn, account, name)
        backfill_store.delete_job_backfills(conn, account, name)
        notify_store.delete_job(conn, account, name)  # its alerts go with it (issue 14)
        repo.delete_job(conn, account, name)
    for run_id in running:
        rt.cancel_batch(account, name, run_id)
    _drop_results(rt, account, name)


def _drop_results(rt: Runtime, account: int, name: str) -> None:
    """Delete the job's results from the warehouse (best effort: the job is gone already, and
    a job made later under the name starts from run 1, whose results replace these)."""
    prefix = job_prefix(rt.settings.warehouse, account, name)
    try:
        rt.storages.delete_prefix(prefix)
    except TidemillError as exc:
        log.warning("job %r deleted, but not its results under %s: %s", name, prefix, exc.message)


def _check_sql(
    setting: str, sql: str, tables: Mapping[str, Sequence[SchemaField]]
) -> list[SchemaField]:
    """The job's output schema by TIDEMILL_ENGINE's engine. `auto`: DuckDB's answer, or Spark's
    where DuckDB refuses the SQL (auto runs such a job on Spark: core.engine_choice)."""
    if setting != "auto":
        return registry.engine(setting).check(sql, tables)
    try:
        return registry.engine("duckdb").check(sql, tables)
    except InvalidInputError:
        return registry.engine("spark").check(sql, tables)
