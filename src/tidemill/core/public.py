"""The GET bodies of jobs and exports (spec §6.3, §6.4, §8.1)."""

from __future__ import annotations

from collections.abc import Sequence

from tidemill.core.models import JSON, Export, Job, SchedulerMode
from tidemill.core.notify import extensions_public


def job_public(
    job: Job, *, with_name: bool = False, next_fire_times: Sequence[str] | None = None
) -> JSON:
    """The GET body; `next_fire_times` of a started crontab/loop job become the Tidemill
    extension member `nextFireTimes` (the Go SDK ignores members it does not know)."""
    definition = job.definition
    body: JSON = {"name": job.name} if with_name else {}
    body["srcs"] = [
        {
            "name": s.get("name"),
            "fileFilter": s.get("fileFilter") or "",
            "type": s.get("type"),
            "tableName": s.get("tableName"),
        }
        for s in definition.get("srcs") or []
    ]
    body["computation"] = definition.get("computation", {})
    if job.mode is not SchedulerMode.DEPEND:  # the SDK marks container and params omitempty
        # Only type and count: the SDK's `status` is ignored (§3.3), and count is an int64 to
        # the SDK even if the client sent 2.0.
        container = definition.get("container") or {}
        body["container"] = {"type": container.get("type"), "count": int(container.get("count", 0))}
        body["params"] = [
            {"name": p.get("name"), "default": p.get("default") or ""}
            for p in definition.get("params") or []
        ]
    body["scheduler"] = definition.get("scheduler") or {"type": job.mode.value}
    body["schema"] = [{"key": f.key, "valtype": f.valtype} for f in job.schema]
    body["workflow"] = job.workflow
    if "maxConcurrent" in definition:  # extension (issue 14); the SDK ignores it
        body["maxConcurrent"] = definition["maxConcurrent"]
    body.update(extensions_public(definition))  # issue 14: retry, notify (secrets unsaid)
    if next_fire_times is not None:
        body["nextFireTimes"] = list(next_fire_times)
    return body


def export_public(export: Export, workflow: str | None = None, *, with_name: bool = False) -> JSON:
    body: JSON = {"name": export.name} if with_name else {}
    body["type"] = export.type
    body["spec"] = export.spec
    if workflow is not None:
        body["workflow"] = workflow
    return body
