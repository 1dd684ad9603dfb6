"""Job rules (spec §3.3, §6.1): the static checks of a create or update body.

Checks that need other resources (sources exist, table names along the upstream chain,
variables, SQL) are in `tidemill.core.job_graph` and the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tidemill.core import fields
from tidemill.core.cron import parse_crontab, parse_loop
from tidemill.core.job_limits import check_max_concurrent
from tidemill.core.models import JSON, JobSource, SchedulerMode
from tidemill.core.names import PARAM_NAME, TABLE_NAME
from tidemill.core.notify import notify_field
from tidemill.core.retries import retry_field
from tidemill.core.variables import SYSTEM_VARIABLES
from tidemill.errors import Failure, InvalidInputError, malformed

# cores per container type (§3.3); memory is the second number of the name.
CONTAINER_CORES = {
    "1U2G": 1,
    "1U4G": 1,
    "2U4G": 2,
    "4U8G": 4,
    "4U16G": 4,
    "8U16G": 8,
    "8U32G": 8,
    "16U32G": 16,
    "16U64G": 16,
}


def container_limits(container: JSON, cpu_count: int) -> tuple[int, str]:
    """(threads, memory limit) of a batch in `container` on a machine with `cpu_count` cores.

    Threads are the type's cores times the count, never more than the machine has; memory is
    the type's GB times the count (work beyond it spills to disk). A job stored without a
    container (a depend job) runs as one 1U2G.
    """
    kind = str(container.get("type") or "1U2G")
    count = int(container.get("count") or 1)
    cores = CONTAINER_CORES.get(kind, 1) * count
    memory_gb = int(kind.split("U", 1)[1].rstrip("G")) * count
    return max(1, min(cores, cpu_count)), f"{memory_gb}GB"


GIB = 2**30
# Of the container's memory, what the worker's private data may use (setrlimit RLIMIT_DATA):
# the rest is left for the pages of the code it maps (Python, DuckDB, pyarrow: ~150 MiB of
# resident size measured), so the worker's resident size stays within the container.
CODE_HEADROOM = 256 * 2**20
DUCKDB_SHARE = 0.75  # DuckDB's buffer manager spills beyond this share of the data ceiling


def container_memory(container: JSON) -> int:
    """The memory of `container` in bytes: the type's G read as GiB, times the count (the
    issue's "1U2G (2 GiB)"). A job stored without a container runs as one 1U2G."""
    kind = str(container.get("type") or "1U2G")
    count = int(container.get("count") or 1)
    return int(kind.split("U", 1)[1].rstrip("G")) * count * GIB


def memory_ceilings(container: JSON) -> tuple[int, str]:
    """(hard ceiling of the worker's private data in bytes, DuckDB memory_limit) for a batch
    in `container` (issue 9, kind 9): DuckDB spills below the ceiling; what it cannot spill
    (a huge string) meets the ceiling and fails the batch instead of taking the machine."""
    data = max(container_memory(container) - CODE_HEADROOM, GIB // 2)
    return data, f"{int(data * DUCKDB_SHARE) // 2**20}MiB"


MAX_CORES = 100
SOURCE_TYPES = ("datasource", "job")
FILTER_LIMIT = 64
PARAM_DEFAULT_LIMIT = 64


@dataclass(frozen=True, slots=True)
class JobInput:
    """A job body that passed the static checks."""

    definition: JSON  # the echo: what the client sent, nulls dropped
    mode: SchedulerMode
    sources: tuple[JobSource, ...]
    code: str
    params: dict[str, str]


def _spec_error(message: str, failure: Failure = Failure.JOB_SPEC_INVALID) -> InvalidInputError:
    return InvalidInputError(failure, message)


def _sources(body: JSON) -> tuple[JobSource, ...]:
    srcs = fields.obj_list(body, "srcs")
    if not srcs:
        raise _spec_error("srcs must hold at least one source")
    result: list[JobSource] = []
    tables: set[str] = set()
    for index, src in enumerate(srcs):
        where = f"srcs[{index}]."
        name = fields.req_str(src, "name", Failure.JOB_SPEC_INVALID, where)
        type_ = fields.req_str(src, "type", Failure.JOB_SPEC_INVALID, where).lower()
        if type_ not in SOURCE_TYPES:
            raise _spec_error(f"{where}type must be DataSource or Job, not {src['type']!r}")
        table = fields.opt_str(src, "tableName", where) or ""
        if not TABLE_NAME.fullmatch(table):
            raise _spec_error(
                f"{where}tableName {table!r} must be 1-128 letters, digits or '_', "
                "starting with a letter",
                Failure.JOB_TABLE_INVALID,
            )
        if table.lower() in tables:
            raise _spec_error(f"tableName {table!r} is used twice", Failure.JOB_TABLE_DUP)
        tables.add(table.lower())
        file_filter = fields.opt_str(src, "fileFilter", where) or ""
        fields.check_length(file_filter, FILTER_LIMIT, f"{where}fileFilter")
        result.append(JobSource(type_, name, table, file_filter))
    return tuple(result)


def _code(body: JSON) -> str:
    computation = fields.opt_obj(body, "computation")
    if computation is None:
        raise _spec_error('computation is required: {"code": "<SQL>", "type": "sql"}')
    code = fields.opt_str(computation, "code", "computation.") or ""
    if not code.strip():
        raise _spec_error("computation.code must be a non-empty SQL query")
    comp_type = fields.opt_str(computation, "type", "computation.") or ""
    if comp_type.lower() != "sql":
        raise _spec_error(
            f"computation.type {comp_type!r} is not supported; use sql", Failure.JOB_COMP_TYPE
        )
    return code


def _check_container(body: JSON) -> None:
    container = fields.opt_obj(body, "container")
    if container is None:
        raise _spec_error('container is required: {"type": "1U2G", "count": 1}')
    type_ = fields.opt_str(container, "type", "container.") or ""
    if type_ not in CONTAINER_CORES:
        raise _spec_error(
            f"container.type {type_!r} is not offered; use one of {', '.join(CONTAINER_CORES)}",
            Failure.JOB_CONTAINER_TYPE,
        )
    count = fields.opt_int(container, "count", "container.")
    if count is None or count < 1 or CONTAINER_CORES[type_] * count > MAX_CORES:
        raise _spec_error(
            f"container.count must be at least 1 and cores x count at most {MAX_CORES}U "
            f"(at most {MAX_CORES // CONTAINER_CORES[type_]} of {type_})",
            Failure.JOB_CONTAINER_COUNT,
        )


def _mode(body: JSON, has_job_src: bool) -> SchedulerMode:
    scheduler = fields.opt_obj(body, "scheduler")
    if scheduler is None:
        # D-15: no scheduler and a Job src means depend mode.
        if has_job_src:
            return SchedulerMode.DEPEND
        raise _spec_error("scheduler is required (crontab, loop, manual or depend)")
    type_ = (fields.opt_str(scheduler, "type", "scheduler.") or "").lower()
    try:
        return SchedulerMode(type_)
    except ValueError:
        raise _spec_error(
            f"scheduler.type {scheduler.get('type')!r} is not one of crontab, loop, manual, depend"
        ) from None


def _check_schedule(body: JSON, mode: SchedulerMode) -> None:
    scheduler = fields.opt_obj(body, "scheduler") or {}
    spec = fields.opt_obj(scheduler, "spec", "scheduler.") or {}
    crontab = fields.opt_str(spec, "crontab", "scheduler.spec.")
    loop = fields.opt_str(spec, "loop", "scheduler.spec.")
    if mode is SchedulerMode.CRONTAB:
        if not crontab:
            raise _spec_error("scheduler.spec.crontab is required", Failure.JOB_SCHED_INVALID)
        parse_crontab(crontab)
    elif mode is SchedulerMode.LOOP:
        parse_loop(loop)
    elif mode is SchedulerMode.DEPEND and (crontab or loop):
        raise _spec_error("a depend job takes no scheduler.spec; it runs after its upstream")


def _params(body: JSON) -> dict[str, str]:
    params: dict[str, str] = {}
    for index, param in enumerate(fields.obj_list(body, "params") or []):
        where = f"params[{index}]."
        name = fields.opt_str(param, "name", where) or ""
        if not PARAM_NAME.fullmatch(name):
            raise _spec_error(
                f"{where}name {name!r} must be 1-64 letters, digits or '_', not starting with "
                "a digit",
                Failure.JOB_PARAM_INVALID,
            )
        if name in SYSTEM_VARIABLES:
            raise _spec_error(
                f"param {name!r} would hide the system variable $({name})",
                Failure.JOB_PARAM_INVALID,
            )
        if name in params:
            raise _spec_error(f"param {name!r} is declared twice", Failure.JOB_PARAM_INVALID)
        default = param.get("default")
        if not isinstance(default, str):
            raise _spec_error(f"{where}default must be a string", Failure.JOB_PARAM_VALUE_INVALID)
        if len(default) > PARAM_DEFAULT_LIMIT:
            raise _spec_error(
                f"{where}default is longer than {PARAM_DEFAULT_LIMIT} characters",
                Failure.JOB_PARAM_VALUE_INVALID,
            )
        params[name] = default
    return params


def validate_job(body: JSON) -> JobInput:
    """Field checks of §6.1 in documented field order: srcs, computation, container,
    scheduler, params, then the depend-mode rules of §6.1.6."""
    sources = _sources(body)
    code = _code(body)
    job_srcs = [s for s in sources if s.type == "job"]
    mode = _mode(body, bool(job_srcs))
    depend = mode is SchedulerMode.DEPEND
    if depend:
        if body.get("container") is not None:
            raise _spec_error("a depend job takes no container; it uses its upstream's")
    else:
        _check_container(body)
    _check_schedule(body, mode)
    params = _params(body)
    if depend:
        if params:
            raise _spec_error("a depend job takes no params; it uses its upstream's")
        if len(job_srcs) != 1:
            raise _spec_error("a depend job needs exactly one src of type Job")
    elif job_srcs:
        raise _spec_error(
            'a src of type Job is allowed only in depend mode (scheduler.type "depend")'
        )
    definition: JSON = fields.strip_nulls(
        {k: body.get(k) for k in ("srcs", "computation", "container", "scheduler", "params")}
    )
    if depend:
        definition["scheduler"] = {"type": "depend"}
    definition.update(check_max_concurrent(body))  # extension (issue 14): core.caps
    definition.update(retry_field(body))  # issue 14 extension (core.retries)
    definition.update(notify_field(body))  # issue 14 extension (core.notify)
    return JobInput(definition, mode, sources, code, params)


def parse_start_params(body: JSON, declared: dict[str, str]) -> dict[str, str]:
    """The runtime values of `POST .../actions/start` (§6.5), checked against `declared`."""
    values: dict[str, str] = {}
    for index, param in enumerate(fields.obj_list(body, "params") or []):
        where = f"params[{index}]."
        name = fields.opt_str(param, "name", where) or ""
        if name not in declared:
            raise _spec_error(
                f"param {name!r} is not declared by this job"
                + (f" (it declares {', '.join(sorted(declared))})" if declared else ""),
                Failure.JOB_START_PARAM,
            )
        value: Any = param.get("value")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise malformed(f"{where}value must be a string")
        if len(value) > PARAM_DEFAULT_LIMIT:
            raise _spec_error(
                f"{where}value is longer than {PARAM_DEFAULT_LIMIT} characters",
                Failure.JOB_START_PARAM,
            )
        values[name] = value
    return values
