"""Reads and writes of the batch resources, every one scoped to an account id.

Functions take a Connection (the caller owns the transaction) and return core models.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from tidemill.core.models import (
    JSON,
    Datasource,
    Export,
    Job,
    JobSource,
    SchedulerMode,
    SchemaField,
    Variable,
    Workflow,
    WorkflowStatus,
)
from tidemill.store.tables import (
    datasources,
    job_exports,
    job_sources,
    jobs,
    variables,
    workflows,
)


def _schema_in(schema: Iterable[SchemaField]) -> list[JSON]:
    return [f.public() for f in schema]


def _schema_out(rows: Sequence[JSON]) -> tuple[SchemaField, ...]:
    return tuple(SchemaField(r["key"], r["valtype"], bool(r.get("required"))) for r in rows)


@cache
def _by_name(table: sa.Table) -> sa.Select[Any]:
    """SELECT one row by (account, name), built once: statement building dominates hot reads."""
    return sa.select(table).where(
        table.c.account_id == sa.bindparam("account"), table.c.name == sa.bindparam("name")
    )


def _one(conn: sa.Connection, table: sa.Table, account: int, name: str) -> Any:
    return conn.execute(_by_name(table), {"account": account, "name": name}).first()


# --- datasources -------------------------------------------------------------------------


def _datasource(row: Any) -> Datasource:
    return Datasource(
        row.name, row.region, row.type, row.spec, _schema_out(row.schema), row.workflow
    )


def get_datasource(conn: sa.Connection, account: int, name: str) -> Datasource | None:
    row = _one(conn, datasources, account, name)
    return None if row is None else _datasource(row)


def list_datasources(conn: sa.Connection, account: int) -> list[Datasource]:
    rows = conn.execute(
        sa.select(datasources)
        .where(datasources.c.account_id == account)
        .order_by(datasources.c.name)
    )
    return [_datasource(row) for row in rows]


def insert_datasource(conn: sa.Connection, account: int, ds: Datasource, now: datetime) -> None:
    conn.execute(
        sa.insert(datasources).values(
            account_id=account,
            name=ds.name,
            region=ds.region,
            type=ds.type,
            spec=ds.spec,
            schema=_schema_in(ds.schema),
            workflow=ds.workflow,
            created_at=now,
            updated_at=now,
        )
    )


def update_datasource(conn: sa.Connection, account: int, ds: Datasource, now: datetime) -> None:
    conn.execute(
        sa.update(datasources)
        .where(datasources.c.account_id == account, datasources.c.name == ds.name)
        .values(spec=ds.spec, schema=_schema_in(ds.schema), updated_at=now)
    )


def delete_datasource(conn: sa.Connection, account: int, name: str) -> None:
    conn.execute(
        sa.delete(datasources).where(
            datasources.c.account_id == account, datasources.c.name == name
        )
    )


# --- jobs ----------------------------------------------------------------------------------


def job_from_row(row: Any) -> Job:
    """The Job of a `jobs` row (or of any row holding its columns)."""
    # The srcs are read from the stored definition; job_sources mirrors them for queries.
    sources = tuple(
        JobSource(str(s["type"]).lower(), s["name"], s["tableName"], s.get("fileFilter") or "")
        for s in row.definition.get("srcs") or []
    )
    return Job(
        name=row.name,
        definition=row.definition,
        mode=SchedulerMode(row.mode),
        sources=sources,
        schema=_schema_out(row.schema),
        workflow=row.workflow,
    )


def get_job(conn: sa.Connection, account: int, name: str) -> Job | None:
    row = _one(conn, jobs, account, name)
    return None if row is None else job_from_row(row)


def list_jobs(
    conn: sa.Connection,
    account: int,
    *,
    source_type: str | None = None,
    source: str | None = None,
    lock: bool = False,
) -> list[Job]:
    """The account's jobs by name; with `source_type` and `source`, those reading that source.
    `lock` (with a source): their rows are locked until the transaction ends (PostgreSQL's FOR
    UPDATE; SQLite's write transaction holds them all), so none is deleted meanwhile — a
    parent's outcome transaction queueing its depend children (services.jobs.delete takes the
    job's row first)."""
    if source_type is not None and source is not None:
        key = {"account": account, "source_type": source_type, "source": source}
        query = _READERS_LOCKED if lock else _READERS
        return [job_from_row(row) for row in conn.execute(query, key)]
    query = sa.select(jobs).where(jobs.c.account_id == account).order_by(jobs.c.name)
    return [job_from_row(row) for row in conn.execute(query)]


# The jobs reading one source, built once (bind parameters): a batch's end lists its job's
# readers (the depend children it triggers) in the outcome transaction the hand-off waits on.
_READERS = (
    sa.select(jobs)
    .where(jobs.c.account_id == sa.bindparam("account"),
           jobs.c.name.in_(sa.select(job_sources.c.job_name).where(
               job_sources.c.account_id == sa.bindparam("account"),
               job_sources.c.source_type == sa.bindparam("source_type"),
               job_sources.c.source_name == sa.bindparam("source"))))
    .order_by(jobs.c.name)
)  # fmt: skip
_READERS_LOCKED = _READERS.with_for_update(of=jobs)


def _insert_sources(conn: sa.Connection, account: int, job: Job) -> None:
    if job.sources:
        conn.execute(
            sa.insert(job_sources),
            [
                dict(
                    account_id=account,
                    job_name=job.name,
                    position=i,
                    source_type=s.type,
                    source_name=s.name,
                    table_name=s.table_name,
                )
                for i, s in enumerate(job.sources)
            ],
        )


def insert_job(conn: sa.Connection, account: int, job: Job, now: datetime) -> None:
    conn.execute(
        sa.insert(jobs).values(
            account_id=account,
            name=job.name,
            definition=job.definition,
            mode=job.mode.value,
            schema=_schema_in(job.schema),
            workflow=job.workflow,
            created_at=now,
            updated_at=now,
        )
    )
    _insert_sources(conn, account, job)


def update_job(conn: sa.Connection, account: int, job: Job, now: datetime) -> None:
    conn.execute(
        sa.update(jobs)
        .where(jobs.c.account_id == account, jobs.c.name == job.name)
        .values(
            definition=job.definition,
            mode=job.mode.value,
            schema=_schema_in(job.schema),
            workflow=job.workflow,
            updated_at=now,
        )
    )
    conn.execute(
        sa.delete(job_sources).where(
            job_sources.c.account_id == account, job_sources.c.job_name == job.name
        )
    )
    _insert_sources(conn, account, job)


def delete_job(conn: sa.Connection, account: int, name: str) -> None:
    conn.execute(
        sa.delete(job_sources).where(
            job_sources.c.account_id == account, job_sources.c.job_name == name
        )
    )
    conn.execute(sa.delete(jobs).where(jobs.c.account_id == account, jobs.c.name == name))


# --- exports -------------------------------------------------------------------------------


def _export(row: Any) -> Export:
    return Export(row.job_name, row.name, row.type, row.spec)


def get_export(conn: sa.Connection, account: int, job: str, name: str) -> Export | None:
    row = conn.execute(
        sa.select(job_exports).where(
            job_exports.c.account_id == account,
            job_exports.c.job_name == job,
            job_exports.c.name == name,
        )
    ).first()
    return None if row is None else _export(row)


def list_exports(conn: sa.Connection, account: int, job: str | None = None) -> list[Export]:
    if job is not None:  # built once: planning reads a job's exports for every batch
        return [_export(r) for r in conn.execute(_JOB_EXPORTS, {"account": account, "job": job})]
    query = sa.select(job_exports).where(job_exports.c.account_id == account)
    return [
        _export(r) for r in conn.execute(query.order_by(job_exports.c.job_name, job_exports.c.name))
    ]


_JOB_EXPORTS = (
    sa.select(job_exports)
    .where(job_exports.c.account_id == sa.bindparam("account"),
           job_exports.c.job_name == sa.bindparam("job"))
    .order_by(job_exports.c.job_name, job_exports.c.name)
)  # fmt: skip


def put_export(
    conn: sa.Connection, account: int, export: Export, now: datetime, *, new: bool
) -> None:
    if new:
        conn.execute(
            sa.insert(job_exports).values(
                account_id=account,
                job_name=export.job_name,
                name=export.name,
                type=export.type,
                spec=export.spec,
                created_at=now,
                updated_at=now,
            )
        )
        return
    conn.execute(
        sa.update(job_exports)
        .where(
            job_exports.c.account_id == account,
            job_exports.c.job_name == export.job_name,
            job_exports.c.name == export.name,
        )
        .values(spec=export.spec, updated_at=now)
    )


def delete_export(conn: sa.Connection, account: int, job: str, name: str) -> None:
    conn.execute(
        sa.delete(job_exports).where(
            job_exports.c.account_id == account,
            job_exports.c.job_name == job,
            job_exports.c.name == name,
        )
    )


# --- variables -----------------------------------------------------------------------------


def get_variable(conn: sa.Connection, account: int, name: str) -> Variable | None:
    row = _one(conn, variables, account, name)
    return None if row is None else Variable(row.name, row.type, row.value, row.format)


def list_variables(conn: sa.Connection, account: int) -> list[Variable]:
    rows = conn.execute(_VARIABLES, {"account": account})
    return [Variable(r.name, r.type, r.value, r.format) for r in rows]


# Built once: planning reads the account's variables for every batch.
_VARIABLES = (
    sa.select(variables)
    .where(variables.c.account_id == sa.bindparam("account"))
    .order_by(variables.c.name)
)


def put_variable(
    conn: sa.Connection, account: int, var: Variable, now: datetime, *, new: bool
) -> None:
    values = dict(type=var.type, value=var.value, format=var.format, updated_at=now)
    if new:
        conn.execute(
            sa.insert(variables).values(account_id=account, name=var.name, created_at=now, **values)
        )
    else:
        conn.execute(
            sa.update(variables)
            .where(variables.c.account_id == account, variables.c.name == var.name)
            .values(**values)
        )


def delete_variable(conn: sa.Connection, account: int, name: str) -> None:
    conn.execute(
        sa.delete(variables).where(variables.c.account_id == account, variables.c.name == name)
    )


# --- workflows -----------------------------------------------------------------------------


def _workflow(row: Any) -> Workflow:
    return Workflow(
        row.name,
        row.region,
        row.comment,
        WorkflowStatus(row.status),
        row.created_at,
        row.updated_at,
    )


def get_workflow(conn: sa.Connection, account: int, name: str) -> Workflow | None:
    row = _one(conn, workflows, account, name)
    return None if row is None else _workflow(row)


def list_workflows(conn: sa.Connection, account: int) -> list[Workflow]:
    rows = conn.execute(
        sa.select(workflows).where(workflows.c.account_id == account).order_by(workflows.c.name)
    )
    return [_workflow(r) for r in rows]


def insert_workflow(conn: sa.Connection, account: int, wf: Workflow) -> None:
    conn.execute(
        sa.insert(workflows).values(
            account_id=account,
            name=wf.name,
            region=wf.region,
            comment=wf.comment,
            status=wf.status.value,
            created_at=wf.created_at,
            updated_at=wf.updated_at,
        )
    )


def update_workflow(
    conn: sa.Connection,
    account: int,
    name: str,
    now: datetime,
    *,
    comment: str | None = None,
    status: WorkflowStatus | None = None,
) -> None:
    values: dict[str, Any] = {"updated_at": now}
    if comment is not None:
        values["comment"] = comment
    if status is not None:
        values["status"] = status.value
    conn.execute(
        sa.update(workflows)
        .where(workflows.c.account_id == account, workflows.c.name == name)
        .values(**values)
    )


def delete_workflow(conn: sa.Connection, account: int, name: str) -> None:
    conn.execute(
        sa.delete(workflows).where(workflows.c.account_id == account, workflows.c.name == name)
    )


def workflow_members(
    conn: sa.Connection, account: int, name: str
) -> tuple[list[Datasource], list[Job], list[Export]]:
    ds_rows = conn.execute(
        sa.select(datasources)
        .where(datasources.c.account_id == account, datasources.c.workflow == name)
        .order_by(datasources.c.name)
    )
    members_ds = [_datasource(r) for r in ds_rows]
    job_rows = list(
        conn.execute(
            sa.select(jobs)
            .where(jobs.c.account_id == account, jobs.c.workflow == name)
            .order_by(jobs.c.name)
        )
    )
    members_jobs = [job_from_row(r) for r in job_rows]
    exports: list[Export] = []
    if job_rows:
        exp_rows = conn.execute(
            sa.select(job_exports)
            .where(
                job_exports.c.account_id == account,
                job_exports.c.job_name.in_([r.name for r in job_rows]),
            )
            .order_by(job_exports.c.job_name, job_exports.c.name)
        )
        exports = [_export(r) for r in exp_rows]
    return members_ds, members_jobs, exports
