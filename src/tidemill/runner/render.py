"""The dry run of a batch (issue 14, item 4): `POST /v2/jobs/{job}/actions/render`.

What a batch of the job would do at a batch time, from the planner the runner itself uses
(`runner.plan.plan_batch`, `runner.exports.plan_exports`): the Spark SQL with its variables
rendered, the SQL the chosen engine runs (and why that engine), each source's selected files
with sizes and totals, and each export's target. Nothing is run, stored or written: no run id
is allocated and no batch row exists.

Shapes (all times RFC 3339 in the configured zone):

    {"job", "batchTime", "params": {name: value}, "sql",
     "engine": {"name", "reason", "sql"},
     "sources": [{"tableName", "type": "DataSource"|"Job", "name",
                  "files": [{"name", "size"}], "fileCount", "bytes"} |
                 {..., "type": "Job", "runId"}],
     "totals": {"files", "bytes"},
     "exports": [{"name", "type", "target": {...}}]}

Input files are named as messages name them (kodo: `bucket/key`; hdfs: the hdfs:// URI), never
by a server path. Export targets are rendered as if the batch exported now (exports name their
objects by upload time, spec §8.2); see `export_target`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from tidemill.core import job_graph
from tidemill.core.backfills import EARLIEST, LATEST
from tidemill.core.batches import Batch, BatchStatus
from tidemill.core.export_layout import PART_DIGITS, file_layout, kodo_target
from tidemill.core.jobs import parse_start_params
from tidemill.core.models import JSON, JobSource, SchedulerMode
from tidemill.core.names import check_name, scoped_target
from tidemill.core.plans import BatchPlan, ExportPlan
from tidemill.core.rfc3339 import parse_time
from tidemill.engines.explain import engine_sql
from tidemill.errors import Failure, malformed
from tidemill.exporters.hdfs_files import export_location
from tidemill.exporters.http import target_url
from tidemill.runner.exports import plan_exports
from tidemill.runner.plan import EngineSetting, plan_batch
from tidemill.runtime import Runtime
from tidemill.services.guards import need_job
from tidemill.store import accounts as account_store
from tidemill.store import batches as batch_store
from tidemill.store import repository as repo

_NO_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?", re.ASCII)
MAX_LISTED_FILES = 1000  # files named per source; the totals always count every file


def parse_batch_time(body: JSON) -> datetime | None:
    """`batchTime` of a render body: RFC 3339 with an offset ("2025-01-01T10:00:00+08:00",
    "...Z") in the years 1900 to 9998 (UTC, as a backfill's range), or None when absent.
    REQ_MALFORMED (E18007) otherwise."""
    raw = body.get("batchTime")
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise malformed("batchTime must be a string such as 2025-01-01T10:00:00+08:00")
    moment = parse_time(raw.strip(), space=True)
    if moment is None:
        if _NO_OFFSET.fullmatch(raw.strip()):
            raise malformed(f"batchTime {raw!r} has no offset: add one, e.g. +08:00 or Z")
        raise malformed(f"batchTime {raw!r} is not RFC 3339: use e.g. 2025-01-01T10:00:00+08:00")
    if not EARLIEST <= moment < LATEST:  # the years a backfill's slots may have
        raise malformed(f"batchTime {raw!r} is outside the years 1900 to 9998")
    return moment.replace(microsecond=0)


def render_batch(rt: Runtime, account: int, name: str, body: JSON) -> JSON:
    """The dry run of job `name` (module docstring). Errors as the start action's (§6.5):
    JOB_NAME_INVALID, JOB_NOT_FOUND, JOB_START_PARAM for a param the job does not declare;
    then what planning raises (a datasource gone, an upstream without a successful batch at
    that batchTime: BATCH_NOT_FOUND; SQL the engine refuses: JOB_SQL_INVALID)."""
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    batch_time = parse_batch_time(body)
    with rt.db.connect() as conn:
        job = need_job(conn, account, name)
        root = job_graph.root_of(job, _lookup(conn, account))
        values = parse_start_params(body, root.params)
        moment = batch_time or rt.clock.now().replace(microsecond=0)
        batch = Batch(name, 0, moment, BatchStatus.READY, values)
        plan = plan_batch(
            conn, account, job, batch, rt.settings.warehouse, rt.zone, os.cpu_count() or 1,
            rt.sources, EngineSetting.of(rt.settings),
        )  # fmt: skip
        exports = plan_exports(conn, account, job, batch)
        tenant = account_store.scope_of(conn, account).name
        lookup = _lookup(conn, account)
        readable = [src for src, _ in job_graph.readable_sources(job.sources, lookup)]
        upstream_runs = _upstream_runs(conn, account, readable, batch)
    return {
        "job": name,
        "batchTime": rt.timestamp(moment),
        "params": dict(plan.params),
        "sql": plan.sql,
        "engine": {
            "name": plan.engine,
            "reason": plan.engine_reason or f"TIDEMILL_ENGINE={plan.engine}",
            "sql": engine_sql(plan.engine, plan.sql, plan.schemas()),
        },
        **_sources(plan, readable, upstream_runs),
        "exports": [
            {
                "name": e.name,
                "type": e.type,
                "target": export_target(rt, e, tenant, job.mode is SchedulerMode.MANUAL),
            }
            for e in exports
        ],
    }


def _lookup(conn: sa.Connection, account: int) -> job_graph.JobLookup:
    return lambda name: repo.get_job(conn, account, name)


def _upstream_runs(
    conn: sa.Connection, account: int, readable: Sequence[JobSource], batch: Batch
) -> dict[str, int]:
    """upstream job name -> the runId of its successful batch the job would read."""
    runs: dict[str, int] = {}
    for src in readable:
        if src.type == "job":
            found = batch_store.successful_at(conn, account, src.name, batch.batch_time)
            if found is not None:
                runs[src.name] = found.run_id
    return runs


def _sources(
    plan: BatchPlan, readable: Sequence[JobSource], upstream_runs: Mapping[str, int]
) -> JSON:
    """Each table's source (along the upstream chain, as the planner reads them) and totals."""
    by_table = {s.table_name: s for s in readable}
    sources: list[JSON] = []
    total_files = total_bytes = 0
    for table in plan.tables:
        src = by_table.get(table.table)
        if table.result is not None:  # an upstream job's committed result (warehouse: unsaid)
            name = src.name if src else ""
            sources.append(
                {"tableName": table.table, "type": "Job", "name": name,
                 "runId": upstream_runs.get(name, 0)}
            )  # fmt: skip
            continue
        size = sum(f.size for f in table.files)
        total_files += len(table.files)
        total_bytes += size
        sources.append({
            "tableName": table.table, "type": "DataSource", "name": src.name if src else "",
            "files": [{"name": f.name or f.uri, "size": f.size}
                      for f in table.files[:MAX_LISTED_FILES]],
            "fileCount": len(table.files), "bytes": size,
        })  # fmt: skip
    return {"sources": sources, "totals": {"files": total_files, "bytes": total_bytes}}


def export_target(rt: Runtime, export: ExportPlan, tenant: str, manual: bool) -> JSON:
    """Where an export of a batch run now would write (spec §8): kodo `bucket` and `keys` (or
    `directory` and `partitionBy` for partitioned output); hdfs `directory` and `files`; http
    `url`; logdb `url` and `index`; tsdb `url`, `database` and `measurement`; report `database`
    and `table`. Part files are counted by fileCount (a result with fewer rows may write
    fewer). URLs are shown without credentials; the report database's URL is not shown."""
    spec = export.spec
    upload = rt.clock.now().astimezone(rt.zone)
    if export.type in ("kodo", "hdfs"):
        layout = file_layout(spec)
        parts = [f"part-{i:0{PART_DIGITS}d}{layout.extension}" for i in range(layout.file_count)]
        if export.type == "kodo":
            target = kodo_target(str(spec.get("keyPrefix") or ""), upload, manual=manual,
                                 layout=layout)  # fmt: skip
            found: JSON = {"bucket": spec.get("bucket"), "saveMode": layout.save_mode}
            if target.single_key is not None:
                return {**found, "keys": [target.single_key]}
            directory = target.directory
        else:
            _, directory = export_location(str(spec["path"]), upload)
            found = {"saveMode": layout.save_mode}
        if layout.partition_by:
            return {**found, "directory": directory, "partitionBy": list(layout.partition_by),
                    "files": parts}  # fmt: skip
        key = "keys" if export.type == "kodo" else "files"
        return {**found, "directory": directory, key: [directory + p for p in parts]}
    if export.type == "http":
        return {"url": target_url(str(spec["host"]), str(spec["uri"])),
                "format": str(spec.get("format") or "text").lower()}  # fmt: skip
    if export.type == "logdb":
        return {"url": _public_url(rt.settings.logdb_url, "/_bulk"),
                "index": scoped_target(tenant, str(spec["destRepoName"]))}  # fmt: skip
    if export.type == "tsdb":
        return {"url": _public_url(rt.settings.tsdb_url, ""),
                "database": scoped_target(tenant, str(spec["destRepoName"])),
                "measurement": str(spec["series"])}  # fmt: skip
    if export.type == "report":
        return {"database": scoped_target(tenant, str(spec["dbName"])),
                "table": str(spec["tableName"])}  # fmt: skip
    return {}


def _public_url(url: str, path: str) -> str:
    """`url` + `path` without user info (a password in TIDEMILL_LOGDB_URL stays unsaid)."""
    if not url:
        return ""
    parts = urlsplit(url.rstrip("/") + path)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
