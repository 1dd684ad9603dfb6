"""Planning a batch: everything a worker needs, read from the store at the batch's time.

A plan is plain picklable data: rendered SQL, where each table's rows come from, limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tidemill.core import job_graph
from tidemill.core.batches import Batch, BatchStatus
from tidemill.core.jobs import container_limits, memory_ceilings
from tidemill.core.models import Job
from tidemill.core.naming import result_uri
from tidemill.core.variables import fill
from tidemill.engines.dialect import to_duckdb
from tidemill.errors import Failure, InvalidInputError
from tidemill.exporters.base import ExportPlan
from tidemill.services.variables import user_variables
from tidemill.storage.base import AccountScope
from tidemill.store import accounts as account_store
from tidemill.store import batches as batch_store
from tidemill.store import repository as repo


@dataclass(frozen=True, slots=True)
class SourcePlan:
    """One table of the batch: files of a datasource, or an upstream batch's result."""

    table: str
    schema: tuple[tuple[str, str, bool], ...] = ()  # (key, valtype, required)
    bucket: str = ""
    patterns: tuple[str, ...] = ()  # key prefixes, or globs when they hold '*'
    file_type: str = ""
    delimiter: str | None = None
    contains_header: bool | None = None
    result: str | None = None  # a storage URI: the upstream's committed result (Parquet)


@dataclass(frozen=True, slots=True)
class BatchPlan:
    account: int
    scope: AccountScope  # the worker reads and writes buckets through this account's view only
    job: str
    run_id: int
    sql: str  # DuckDB dialect, variables rendered
    sources: tuple[SourcePlan, ...]
    result_uri: str  # where the result is committed (storage URI, under the warehouse)
    threads: int
    memory_limit: str  # DuckDB's, below `memory_ceiling`
    time_zone: str
    params: dict[str, str] = field(default_factory=dict)
    exports: tuple[ExportPlan, ...] = ()  # run after the result is committed (spec §8)
    attempt: int = 0  # the batch's rerun count
    owner: str = ""  # the runner that claimed it: with `attempt`, the lease a publish checks
    batch_uid: str = ""  # unique for the life of the installation (exports key by it)
    memory_ceiling: int = 0  # bytes of private data the worker may hold (0: no ceiling)
    scratch_dir: str = ""  # a local directory for temporary files (spill, staging); "": temp


def _lookup(conn: sa.Connection, account: int) -> job_graph.JobLookup:
    return lambda name: repo.get_job(conn, account, name)


def effective_params(root: Job, runtime: dict[str, str]) -> dict[str, str]:
    """The job's param defaults overridden by the values given at start (§3.4 order)."""
    return {**root.params, **{k: v for k, v in runtime.items() if k in root.params}}


def plan_batch(
    conn: sa.Connection, account: int, job: Job, batch: Batch, warehouse: str, zone: ZoneInfo,
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

    sources: list[SourcePlan] = []
    for src, upstream in job_graph.readable_sources(job.sources, lookup):
        if src.type == "job":
            if upstream is None:
                raise InvalidInputError(Failure.JOB_NOT_FOUND, f"upstream job {src.name!r} is gone")
            done = _upstream_batch(conn, account, upstream.name, batch)
            sources.append(SourcePlan(
                src.table_name, tuple((f.key, f.valtype, False) for f in upstream.schema),
                result=result_uri(warehouse, account, upstream.name, done.run_id),
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
        sources.append(SourcePlan(
            src.table_name, tuple((f.key, f.valtype, f.required) for f in ds.schema),
            bucket=bucket, patterns=patterns, file_type=str(ds.spec.get("fileType", "")).lower(),
            delimiter=ds.spec.get("delimiter"),
            contains_header=ds.spec.get("containsHeader"),
        ))  # fmt: skip
    code = str(job.definition["computation"]["code"])
    container = root.definition.get("container") or {}
    threads, _ = container_limits(container, cpu_count)
    ceiling, memory = memory_ceilings(container)
    tables = {s.table: [(key, valtype) for key, valtype, _ in s.schema] for s in sources}
    return BatchPlan(
        account, account_store.scope_of(conn, account), job.name, batch.run_id,
        to_duckdb(rendered(code), tables), tuple(sources),
        result_uri(warehouse, account, job.name, batch.run_id), threads, memory,
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
