"""Typed resources and answers of the batch API (spec §4 to §10 and Tidemill's result extension).

Every model reads the wire's camelCase names (`tableName`, `runId`) and keeps members it does
not know in `model_extra` (extension fields such as `retry` or `maxConcurrent`), so a newer
server never breaks an older client. `schema` is a reserved word of pydantic: the field is
`schema_` in Python and `schema` on the wire. `wire()` gives the JSON body a model stands for.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

TERMINAL_STATUSES = frozenset({"Successful", "Failed", "Canceled"})  # spec §7.2


class Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True
    )

    def wire(self) -> dict[str, Any]:
        """The JSON object this model is on the wire (camelCase, absent members left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class SchemaField(Model):
    """One schema entry (§3.2): `valtype` is boolean, long, date, float or string."""

    key: str
    valtype: str
    required: bool | None = None


class Datasource(Model):
    """§4.5/§4.6: `type` kodo|hdfs|fusion; `spec` as stored; `workflow` `""` when none."""

    name: str = ""
    region: str = ""
    type: str = ""
    spec: dict[str, Any] = Field(default_factory=dict)
    schema_: list[SchemaField] = Field(default_factory=list, alias="schema")
    workflow: str = ""


class JobSrc(Model):
    """A job source (§6.1): `type` DataSource|Job as the client sent it."""

    name: str
    type: str
    table_name: str = ""
    file_filter: str | None = None


class Computation(Model):
    code: str
    type: str = "sql"


class Container(Model):
    """Compute resources (§3.3): `type` such as `1U2G`, `count` ≥ 1."""

    type: str
    count: int


class Scheduler(Model):
    """§3.6: `type` crontab|loop|manual|depend; `spec` holds `crontab` or `loop`."""

    type: str
    spec: dict[str, Any] | None = None


class Param(Model):
    name: str
    default: str = ""


class Job(Model):
    """§6.3/§6.4: the create body plus the output `schema_` and the derived `workflow`."""

    name: str = ""
    srcs: list[JobSrc] = Field(default_factory=list)
    computation: Computation | None = None
    container: Container | None = None
    scheduler: Scheduler | None = None
    params: list[Param] = Field(default_factory=list)
    schema_: list[SchemaField] = Field(default_factory=list, alias="schema")
    workflow: str = ""


class Export(Model):
    """§8.1: `type` kodo|hdfs|http|logdb|tsdb|report; `spec` as stored."""

    name: str = ""
    type: str = ""
    spec: dict[str, Any] = Field(default_factory=dict)
    workflow: str = ""


class Variable(Model):
    """§9.3: `type` time|string; `format` only for time variables."""

    name: str = ""
    type: str = ""
    value: str = ""
    format: str = ""


class NodeRef(Model):
    name: str
    type: str


class WorkflowNode(Model):
    """A node of a workflow's DAG (§10.2): `data` is the resource's GET body."""

    name: str
    type: str
    data: dict[str, Any] = Field(default_factory=dict)
    parents: list[NodeRef] = Field(default_factory=list)
    children: list[NodeRef] = Field(default_factory=list)


class Workflow(Model):
    """§10.2: `status` Ready|Starting|Started|Stopping|Stopped|Unknown; nodes by `name-type`."""

    name: str = ""
    region: str = ""
    comment: str = ""
    create_time: str = ""
    update_time: str = ""
    status: str = ""
    can_start: bool = False
    is_manual_workflow: bool = False
    nodes: dict[str, WorkflowNode] = Field(default_factory=dict)


class NodeStatus(Model):
    name: str
    type: str
    status: str = ""


class WorkflowStatus(Model):
    """§10.5."""

    name: str = ""
    region: str = ""
    status: str = ""
    nodes: list[NodeStatus] = Field(default_factory=list)


class Batch(Model):
    """A batch (§7.1): times RFC 3339 in the server's zone (`""` while Ready), `duration` s."""

    run_id: int
    batch_time: str = ""
    start_time: str = ""
    end_time: str = ""
    duration: int = 0
    status: str = ""
    message: str = ""

    @property
    def ended(self) -> bool:
        """Whether the batch is Successful, Failed or Canceled (§7.2)."""
        return self.status in TERMINAL_STATUSES


class History(Model):
    """One page of history (§7.3): `total` counts the matches before paging."""

    total: int = 0
    history: list[Batch] = Field(default_factory=list)


class Transition(Model):
    """What a batch stop or rerun did (§7.4, §7.5); `rerun_count` only on rerun."""

    pre_status: str = ""
    post_status: str = ""
    rerun_count: int | None = None


class Result(Model):
    """Tidemill's result preview: `columns`, the first `rows`, `total` rows in the result."""

    run_id: int = 0
    schema_: list[SchemaField] = Field(default_factory=list, alias="schema")
    columns: list[str] = Field(default_factory=list)
    total: int = 0
    rows: list[list[Any]] = Field(default_factory=list)


class InferredSchema(Model):
    """§5.2."""

    schema_: list[SchemaField] = Field(default_factory=list, alias="schema")


class StartParam(Model):
    """A runtime value for one of a job's params (§6.5)."""

    name: str
    value: str


class Rendered(Model):
    """A dry run (`POST .../actions/render`, Tidemill extension): the rendered `sql`, the
    engine's SQL, the `sources` with their files, `totals` and each export's target."""

    job: str = ""
    batch_time: str = ""
    params: dict[str, str] = Field(default_factory=dict)
    sql: str = ""
    engine: dict[str, Any] = Field(default_factory=dict)
    sources: list[dict[str, Any]] = Field(default_factory=list)
    totals: dict[str, Any] = Field(default_factory=dict)
    exports: list[dict[str, Any]] = Field(default_factory=list)


class BackfillBatch(Model):
    """A batch a backfill queued (`run_id` None in a dry run)."""

    run_id: int | None = None
    batch_time: str = ""


class BackfillCreated(Model):
    """What `POST .../actions/backfill` answers (Tidemill extension): `backfill_id` is `""`
    in a dry run."""

    backfill_id: str = ""
    slots: int = 0
    batches: list[BackfillBatch] = Field(default_factory=list)


class Backfill(Model):
    """A backfill's request and progress: `state`, and its batches' `counts` by status."""

    backfill_id: str = ""
    job: str = ""
    from_: str = Field(default="", alias="from")
    to: str = ""
    reprocess: str = ""
    concurrency: int | None = None
    order: str = ""
    slots: int = 0
    state: str = ""
    create_time: str = ""
    counts: dict[str, int] = Field(default_factory=dict)
    total: int = 0
