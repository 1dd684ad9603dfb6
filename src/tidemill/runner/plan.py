"""Planning a batch: everything a worker needs, read from the store at the batch's time.

The plan itself (`tidemill.core.plans.BatchPlan`) is plain picklable data: the job's Spark SQL
rendered, where each table's rows come from, limits. A datasource's input files are listed
here, through its Source (`tidemill.sources`), once per batch: the engine reads exactly the
files the plan names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tidemill.config import Settings
from tidemill.core import job_graph
from tidemill.core.batches import Batch, BatchStatus
from tidemill.core.engine_choice import AUTO, choose_engine
from tidemill.core.jobs import container_limits, container_memory, memory_ceilings
from tidemill.core.models import Datasource, Job, SchemaField
from tidemill.core.naming import result_uri
from tidemill.core.plans import BatchPlan, Limits, TablePlan
from tidemill.core.variables import UserVariable
from tidemill.engines import registry
from tidemill.errors import Failure, InvalidInputError
from tidemill.services.variables import user_variables
from tidemill.sources.base import Moment
from tidemill.sources.registry import Sources
from tidemill.store import accounts as account_store
from tidemill.store import batches as batch_store
from tidemill.store import repository as repo


def _lookup(conn: sa.Connection, account: int) -> job_graph.JobLookup:
    """The account's jobs by name, each read once per plan: a depend child's root and its
    upstream's sources are walked from the same parent (one statement less per child)."""
    found: dict[str, Job | None] = {}

    def lookup(name: str) -> Job | None:
        if name not in found:
            found[name] = repo.get_job(conn, account, name)
        return found[name]

    return lookup


class _Variables(Mapping[str, UserVariable]):
    """The account's variables (`services.variables.user_variables`), read when first looked
    at: within the plan, on its connection, as fresh as before; a batch whose SQL and paths
    name no `$(variable)` reads none (`core.variables.fill` looks only at referenced names),
    one statement less on its path (docs/performance.md, "session 7, planpath")."""

    def __init__(self, conn: sa.Connection, account: int) -> None:
        self._conn, self._account = conn, account
        self._read: dict[str, UserVariable] | None = None

    def _all(self) -> dict[str, UserVariable]:
        if self._read is None:
            self._read = user_variables(self._conn, self._account)
        return self._read

    def __getitem__(self, name: str) -> UserVariable:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _file_type(ds: Datasource) -> str:
    """How the engine reads the datasource's files: its fileType, "fusion" for CDN logs."""
    return "fusion" if ds.type == "fusion" else str(ds.spec.get("fileType", "")).lower()


def effective_params(root: Job, runtime: dict[str, str]) -> dict[str, str]:
    """The job's param defaults overridden by the values given at start (§3.4 order)."""
    return {**root.params, **{k: v for k, v in runtime.items() if k in root.params}}


@dataclass(frozen=True, slots=True)
class EngineSetting:
    """TIDEMILL_ENGINE and its `auto` thresholds (bytes; core.engine_choice)."""

    name: str = "duckdb"
    spark_min_bytes: int = 2**30
    spark_min_container_bytes: int = 0

    @classmethod
    def of(cls, settings: Settings) -> EngineSetting:
        """As the settings say (TIDEMILL_ENGINE, TIDEMILL_ENGINE__SPARK_MIN_*)."""
        return cls(settings.engine, settings.engine_spark_min_bytes,
                   settings.engine_spark_min_container_bytes)  # fmt: skip


def plan_batch(
    conn: sa.Connection, account: int, job: Job, batch: Batch, warehouse: str, zone: ZoneInfo,
    cpu_count: int, sources: Sources, engine: EngineSetting = EngineSetting(),
) -> BatchPlan:  # fmt: skip
    """Raises InvalidInputError with a message for the batch when it cannot be planned (a
    datasource of a type `sources` cannot read, a bucket gone ...); BackendError when a
    source's storage fails while its files are listed. The plan names the engine `engine`
    chooses for it, and why (`BatchPlan.engine_reason`, empty for TIDEMILL_ENGINE=duckdb)."""
    lookup = _lookup(conn, account)
    root = job_graph.root_of(job, lookup)
    params = effective_params(root, batch.params)
    user = _Variables(conn, account)
    scope = account_store.scope_of(conn, account)
    moment = Moment(batch.batch_time.astimezone(zone), user, batch.params, params)

    tables: list[TablePlan] = []
    for src, upstream in job_graph.readable_sources(job.sources, lookup):
        if src.type == "job":
            if upstream is None:
                raise InvalidInputError(Failure.JOB_NOT_FOUND, f"upstream job {src.name!r} is gone")
            done = _upstream_batch(conn, account, upstream.name, batch)
            tables.append(TablePlan(
                src.table_name, tuple((f.key, f.valtype, False) for f in upstream.schema),
                result=result_uri(warehouse, account, upstream.name, done.run_id),
            ))  # fmt: skip
            continue
        ds = repo.get_datasource(conn, account, src.name)
        if ds is None:
            raise InvalidInputError(Failure.DS_NOT_FOUND, f"datasource {src.name!r} is gone")
        files = sources.list(ds, src.file_filter, moment, scope)
        tables.append(TablePlan(
            src.table_name, tuple((f.key, f.valtype, f.required) for f in ds.schema),
            files=tuple(files), file_type=_file_type(ds),
            bad_line_share=sources.bad_line_share,
            delimiter=ds.spec.get("delimiter"),
            contains_header=ds.spec.get("containsHeader"),
        ))  # fmt: skip
    code = str(job.definition["computation"]["code"])
    container = root.definition.get("container") or {}
    threads, _ = container_limits(container, cpu_count)
    ceiling, memory = memory_ceilings(container)
    plan = BatchPlan(
        account, scope, job.name, batch.run_id,
        moment.render(code), tuple(tables),
        result_uri(warehouse, account, job.name, batch.run_id),
        Limits(threads, memory),
        zone.key, params, memory_ceiling=ceiling,
    )  # fmt: skip
    choice = choose_engine(
        engine.name,
        input_bytes=sum(f.size for t in plan.tables for f in t.files),
        container_bytes=container_memory(container),
        duckdb_refuses=engine.name == AUTO and _duckdb_refuses(plan),
        min_bytes=engine.spark_min_bytes,
        min_container_bytes=engine.spark_min_container_bytes,
    )
    reason = "" if engine.name == "duckdb" else choice.reason
    return replace(plan, engine=choice.engine, engine_reason=reason)


def _duckdb_refuses(plan: BatchPlan) -> bool:
    """Whether the DuckDB engine refuses the plan's SQL (a construct it cannot run as Spark)."""
    try:
        registry.engine("duckdb").check(plan.sql, {
            t.table: [SchemaField(k, v) for k, v in t.columns] for t in plan.tables
        })  # fmt: skip
    except InvalidInputError:
        return True
    return False


def _upstream_batch(conn: sa.Connection, account: int, upstream: str, batch: Batch) -> Batch:
    """The upstream's successful batch of the same batch time (the one that triggered us)."""
    found = batch_store.successful_at(conn, account, upstream, batch.batch_time)
    if found is None or found.status is not BatchStatus.SUCCESSFUL:
        raise InvalidInputError(
            Failure.BATCH_NOT_FOUND,
            f"upstream job {upstream!r} has no successful batch for {batch.batch_time.isoformat()}",
        )
    return found
