"""Workflow rules (spec §10): the node graph, whether it may start, and its public shapes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tidemill.core.models import JSON, Datasource, Export, Job, SchedulerMode, Workflow

SCHEDULED = frozenset({SchedulerMode.CRONTAB, SchedulerMode.LOOP})
DATASOURCE, JOB, EXPORT = "datasource", "job", "exportBatch"


def can_start(exports: Sequence[Export]) -> bool:
    """A batch-only workflow may start once it holds at least one job export (§10.2)."""
    return bool(exports)


def is_manual(jobs: Sequence[Job]) -> bool:
    return any(job.mode is SchedulerMode.MANUAL for job in jobs)


def mixes_manual_and_scheduled(modes: Sequence[SchedulerMode]) -> bool:
    """[WF-DOC]: one workflow may not hold both manual and crontab/loop jobs."""
    return SchedulerMode.MANUAL in modes and any(mode in SCHEDULED for mode in modes)


def _ref(name: str, type_: str) -> JSON:
    return {"name": name, "type": type_}


def export_node_ids(exports: Sequence[Export]) -> dict[tuple[str, str], str]:
    """Node id per (job, export): `<export>-exportBatch`, or `<export>-exportBatch-<job>` when
    two jobs of the workflow have an export of the same name (D-27)."""
    counts: dict[str, int] = {}
    for export in exports:
        counts[export.name] = counts.get(export.name, 0) + 1
    return {
        (e.job_name, e.name): f"{e.name}-{EXPORT}"
        + (f"-{e.job_name}" if counts[e.name] > 1 else "")
        for e in exports
    }


def nodes(
    datasources: Sequence[Datasource],
    jobs: Sequence[Job],
    exports: Sequence[Export],
    data: Callable[[object], JSON],
) -> dict[str, JSON]:
    """The `nodes` map of a workflow GET; `data(resource)` gives each node's GET body."""
    children: dict[tuple[str, str], list[JSON]] = {}
    for job in jobs:
        for src in job.sources:
            kind = JOB if src.type == "job" else DATASOURCE
            children.setdefault((src.name, kind), []).append(_ref(job.name, JOB))
    for export in exports:
        children.setdefault((export.job_name, JOB), []).append(_ref(export.name, EXPORT))
    result: dict[str, JSON] = {}
    for ds in datasources:
        result[f"{ds.name}-{DATASOURCE}"] = {
            "name": ds.name,
            "type": DATASOURCE,
            "data": data(ds),
            "parents": [],
            "children": children.get((ds.name, DATASOURCE), []),
        }
    for job in jobs:
        parents = [_ref(s.name, JOB if s.type == "job" else DATASOURCE) for s in job.sources]
        result[f"{job.name}-{JOB}"] = {
            "name": job.name,
            "type": JOB,
            "data": data(job),
            "parents": parents,
            "children": children.get((job.name, JOB), []),
        }
    ids = export_node_ids(exports)
    for export in exports:
        result[ids[(export.job_name, export.name)]] = {
            "name": export.name,
            "type": EXPORT,
            "data": data(export),
            "parents": [_ref(export.job_name, JOB)],
            "children": [],
        }
    return result


def workflow_public(
    wf: Workflow,
    members_nodes: dict[str, JSON],
    startable: bool,
    manual: bool,
    timestamp: Callable[[object], str],
) -> JSON:
    return {
        "name": wf.name,
        "region": wf.region,
        "comment": wf.comment,
        "createTime": timestamp(wf.created_at),
        "updateTime": timestamp(wf.updated_at),
        "status": wf.status.value,
        "canStart": startable,
        "isManualWorkflow": manual,
        "nodes": members_nodes,
    }
