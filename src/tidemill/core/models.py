"""The resources of the batch API as plain frozen dataclasses (what the store holds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

JSON = dict[str, Any]


class WorkflowStatus(StrEnum):
    READY = "Ready"
    STARTING = "Starting"
    STARTED = "Started"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    UNKNOWN = "Unknown"


# Resources inside a workflow in these states may not be created, changed or deleted (§10.8).
BUSY_WORKFLOW_STATES = frozenset(
    {WorkflowStatus.STARTING, WorkflowStatus.STARTED, WorkflowStatus.STOPPING}
)


class SchedulerMode(StrEnum):
    CRONTAB = "crontab"
    LOOP = "loop"
    MANUAL = "manual"
    DEPEND = "depend"


@dataclass(frozen=True, slots=True)
class SchemaField:
    key: str
    valtype: str
    required: bool = False

    def public(self) -> JSON:
        return {"key": self.key, "valtype": self.valtype, "required": self.required}


@dataclass(frozen=True, slots=True)
class Datasource:
    name: str
    region: str
    type: str
    spec: JSON  # as received, nulls dropped (D-9)
    schema: tuple[SchemaField, ...]
    workflow: str = ""


@dataclass(frozen=True, slots=True)
class JobSource:
    type: str  # "datasource" | "job" (normalised); the echo keeps the client's spelling
    name: str
    table_name: str
    file_filter: str = ""


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    definition: JSON  # srcs, computation, container, scheduler, params as received (D-9)
    mode: SchedulerMode
    sources: tuple[JobSource, ...]
    schema: tuple[SchemaField, ...] = ()
    workflow: str = ""

    @property
    def upstream(self) -> str | None:
        """The Job src of a depend job."""
        return next((s.name for s in self.sources if s.type == "job"), None)

    @property
    def params(self) -> dict[str, str]:
        return {p["name"]: p.get("default") or "" for p in self.definition.get("params") or []}


@dataclass(frozen=True, slots=True)
class Export:
    job_name: str
    name: str
    type: str
    spec: JSON


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    type: str
    value: str
    format: str

    def public(self) -> JSON:
        return {"name": self.name, "type": self.type, "value": self.value, "format": self.format}


@dataclass(frozen=True, slots=True)
class Workflow:
    name: str
    region: str
    comment: str
    status: WorkflowStatus
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AccountScope:
    """Who is asking, in storage terms: the account's name and the S3 buckets granted to it.

    `name` is the account name given to `tidemill keys create` (a resource name, §3.1): with
    local storage it names the account's own directory; `granted` lists the S3 buckets an
    operator granted it (`tidemill buckets grant`). Plain data: it travels in batch plans.
    """

    name: str
    granted: frozenset[str] = field(default_factory=frozenset)
