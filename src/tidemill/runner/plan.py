"""Planning a batch: everything a worker needs, read from the store at the batch's time.

The plan itself (`tidemill.core.plans.BatchPlan`) is plain picklable data: the job's Spark SQL
rendered, where each table's rows come from, limits.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tidemill.core import job_graph
from tidemill.core.batches import Batch, BatchStatus
from tidemill.core.jobs import container_limits, memory_ceilings
from tidemill.core.models import Job
from tidemill.core.naming import result_file
from tidemill.core.plans import BatchPlan, Limits, TablePlan
from tidemill.core.variables import fill
from tidemill.errors import Failure, InvalidInputError
from tidemill.services.variables import user_variables
from tidemill.store import accounts as account_store
from tidemill.store import batches as batch_store
from tidemill.store import repository as repo


def _lookup(conn: sa.Connection, account: int) -> job_graph.JobLookup:
    return lambda name: repo.get_job(conn, account, name)


def effective_params(root: Job, runtime: dict[str, str]) -> dict[str, str]:
    """The job's param defaults overridden by the values given at start (§3.4 order)."""
    return {**root.params, **{k: v for k, v in runtime.items() if k in root.params}}


def plan_batch(
    conn: sa.Connection, account: int, job: Job, batch: Batch, data_dir: Path, zone: ZoneInfo,
    cpu_count: int,
) -> BatchPlan:  # fmt: skip
    """Raises InvalidInputError with a message for the batch when it cannot be planned."""
    lookup = _lookup(conn, account)
    root = job_graph.root_of(job, lookup)
    params = effective_params(root, batch.params)
    user = user_variables(conn, account)
    moment = batch.batch_time.astimezone(zone)

    def rendered(text: str) -> str:
        return fill(text, moment=moment, user=user, runtime=batch.params, params=params)

    tables: list[TablePlan] = []
    for src, upstream in job_graph.readable_sources(job.sources, lookup):
        if src.type == "job":
            if upstream is None:
                raise InvalidInputError(Failure.JOB_NOT_FOUND, f"upstream job {src.name!r} is gone")
            done = _upstream_batch(conn, account, upstream.name, batch)
            tables.append(TablePlan(
                src.table_name, tuple((f.key, f.valtype, False) for f in upstream.schema),
                result="file://" + str(result_file(data_dir, account, upstream.name, done.run_id)),
            ))  # fmt: skip
            continue
        ds = repo.get_datasource(conn, account, src.name)
        if ds is None:
            raise InvalidInputError(Failure.DS_NOT_FOUND, f"datasource {src.name!r} is gone")
        file_filter = rendered(src.file_filter)
        if ds.type == "kodo":
            prefixes = [rendered(p) for p in ds.spec.get("keyPrefixes") or []] or [""]
            patterns = tuple(p + file_filter for p in prefixes)
            bucket = str(ds.spec["bucket"])
        else:
            raise InvalidInputError(
                Failure.DS_TYPE_INVALID,
                f"datasource {ds.name!r} is of type {ds.type}; "
                "this Tidemill runs kodo sources only",
            )
        tables.append(TablePlan(
            src.table_name, tuple((f.key, f.valtype, f.required) for f in ds.schema),
            bucket=bucket, patterns=patterns, file_type=str(ds.spec.get("fileType", "")).lower(),
            delimiter=ds.spec.get("delimiter"),
            contains_header=ds.spec.get("containsHeader"),
        ))  # fmt: skip
    code = str(job.definition["computation"]["code"])
    container = root.definition.get("container") or {}
    threads, _ = container_limits(container, cpu_count)
    ceiling, memory = memory_ceilings(container)
    return BatchPlan(
        account, account_store.scope_of(conn, account), job.name, batch.run_id,
        rendered(code), tuple(tables),
        "file://" + str(result_file(data_dir, account, job.name, batch.run_id)),
        Limits(threads, memory),
        zone.key, params, memory_ceiling=ceiling,
    )  # fmt: skip


def _upstream_batch(conn: sa.Connection, account: int, upstream: str, batch: Batch) -> Batch:
    """The upstream's successful batch of the same batch time (the one that triggered us)."""
    found = batch_store.successful_at(conn, account, upstream, batch.batch_time)
    if found is None or found.status is not BatchStatus.SUCCESSFUL:
        raise InvalidInputError(
            Failure.BATCH_NOT_FOUND,
            f"upstream job {upstream!r} has no successful batch for {batch.batch_time.isoformat()}",
        )
    return found
