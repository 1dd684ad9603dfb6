"""Rules over the job DAG: table names along upstream chains, cycles, workflow membership."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from tidemill.core.models import Job, JobSource
from tidemill.errors import Failure, InvalidInputError

JobLookup = Callable[[str], Job | None]


def chain_tables(sources: Sequence[JobSource], lookup: JobLookup) -> list[tuple[str, str]]:
    """(table name, owning job or '') for `sources` and every upstream's, transitively."""
    tables = [(s.table_name, "") for s in sources]
    seen: set[str] = set()
    upstream = next((s.name for s in sources if s.type == "job"), None)
    while upstream is not None and upstream not in seen:
        seen.add(upstream)
        job = lookup(upstream)
        if job is None:
            break
        tables.extend((s.table_name, job.name) for s in job.sources)
        upstream = job.upstream
    return tables


def readable_sources(
    sources: Sequence[JobSource], lookup: JobLookup
) -> Iterator[tuple[JobSource, Job | None]]:
    """Every source a job's SQL may read: its own srcs, then its upstreams' srcs, transitively,
    each upstream once. A job source comes with its upstream job (None if it is gone)."""
    pending = list(sources)
    seen: set[str] = set()
    while pending:
        src = pending.pop(0)
        if src.type != "job":
            yield src, None
            continue
        upstream = lookup(src.name)
        yield src, upstream
        if upstream is not None and upstream.name not in seen:
            seen.add(upstream.name)
            pending.extend(upstream.sources)


def check_chain_tables(name: str, sources: Sequence[JobSource], lookup: JobLookup) -> None:
    """JOB_TABLE_DUP unless every tableName along the upstream chain is unique (§6.1.2)."""
    owners: dict[str, str] = {}
    for table, owner in chain_tables(sources, lookup):
        key = table.lower()  # the engine resolves table names case-insensitively
        owner = owner or name
        if key in owners:
            users = f"job {owners[key]!r}" + (
                f" and job {owner!r}" if owner != owners[key] else " twice"
            )
            raise InvalidInputError(
                Failure.JOB_TABLE_DUP,
                f"tableName {table!r} is used by {users} along one chain of depend jobs; "
                "table names must be unique across the chain",
            )
        owners[key] = owner


def check_no_cycle(name: str, sources: Sequence[JobSource], lookup: JobLookup) -> None:
    """JOB_SPEC_INVALID if `name` would reach itself through its Job srcs."""
    upstream = next((s.name for s in sources if s.type == "job"), None)
    seen: set[str] = set()
    while upstream is not None:
        if upstream == name or upstream in seen:
            raise InvalidInputError(
                Failure.JOB_SPEC_INVALID,
                f"job {name!r} would depend on itself through {upstream!r}",
            )
        seen.add(upstream)
        job = lookup(upstream)
        upstream = job.upstream if job is not None else None


def root_of(job: Job, lookup: JobLookup) -> Job:
    """The non-depend ancestor whose container, params and schedule a depend chain uses."""
    current, seen = job, {job.name}
    while current.upstream is not None:
        parent = lookup(current.upstream)
        if parent is None or parent.name in seen:
            break
        seen.add(parent.name)
        current = parent
    return current


def common_workflow(source_workflows: Sequence[tuple[str, str]]) -> str:
    """The one workflow all srcs share ('' for none), else WF_STRUCTURE (D-13).

    `source_workflows` holds (src name, its workflow) pairs.
    """
    names = {workflow for _, workflow in source_workflows}
    if len(names) > 1:
        listing = ", ".join(f"{src} in {wf or 'no workflow'}" for src, wf in source_workflows)
        raise InvalidInputError(
            Failure.WF_STRUCTURE, f"all srcs of a job must be in the same workflow ({listing})"
        )
    return names.pop() if names else ""
