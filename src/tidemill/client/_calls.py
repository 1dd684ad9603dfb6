"""What each API call sends and how its answer is read, free of I/O (shared by both clients).

A `Call` is method, path (names percent-encoded), query, JSON body and a parser of the 200
body. `Client` and `AsyncClient` only send calls; they never build one themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, TypeAdapter

from tidemill.client import models as m

T = TypeVar("T")
Body = Mapping[str, Any] | BaseModel


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    method: str
    path: str
    parse: Callable[[bytes], T]
    query: Sequence[tuple[str, str]] = field(default_factory=tuple)
    body: Any = None


def _seg(name: str | int) -> str:
    """`name` as one path segment. `.` and `..` are percent-encoded too: sent plain, HTTP
    normalises them away and the request reaches another route (RFC 3986 §5.2.4)."""
    text = quote(str(name), safe="")
    return text.replace(".", "%2E") if text in (".", "..") else text


def _json(raw: bytes) -> Any:
    return json.loads(raw) if raw.strip() else {}


def _none(raw: bytes) -> None:
    return None


def _one(model: type[T], name: str | None = None) -> Callable[[bytes], T]:
    """Parse one object; `name` fills its `name` where the GET body has none (§4.5, §6.4)."""
    adapter = TypeAdapter(model)

    def parse(raw: bytes) -> T:
        value = _json(raw)
        if name is not None and not value.get("name"):
            value = {**value, "name": name}
        return adapter.validate_python(value)

    return parse


def _many(model: type[T], member: str | None) -> Callable[[bytes], list[T]]:
    adapter = TypeAdapter(list[model])  # type: ignore[valid-type]

    def parse(raw: bytes) -> list[T]:
        value = _json(raw)
        return adapter.validate_python(value if member is None else value.get(member) or [])

    return parse


def _exists(raw: bytes) -> bool:
    return bool(_json(raw).get("exist"))


def body_of(body: Body | None) -> Any:
    if isinstance(body, m.Model):
        return body.wire()
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json", by_alias=True, exclude_none=True)
    return None if body is None else dict(body)


# --- datasources (§4) -----------------------------------------------------------------------


def list_datasources() -> Call[list[m.Datasource]]:
    """Every datasource of the account, by name (§4.6)."""
    return Call("GET", "/v2/datasources", _many(m.Datasource, "datasources"))


def get_datasource(name: str) -> Call[m.Datasource]:
    """One datasource (§4.5); NotFoundError E18102 when absent."""
    return Call("GET", f"/v2/datasources/{_seg(name)}", _one(m.Datasource, name))


def datasource_exists(name: str) -> Call[bool]:
    """Whether the datasource exists (§4.8)."""
    return Call("GET", f"/v2/datasources/{_seg(name)}/exists", _exists)


def create_datasource(name: str, body: Body) -> Call[None]:
    """Create a datasource from `{region, type, spec, schema, noVerifySchema?, workflow?}`
    (§4.1)."""
    return Call("POST", f"/v2/datasources/{_seg(name)}", _none, body=body_of(body))


def update_datasource(name: str, body: Body) -> Call[None]:
    """Replace a datasource's `spec` and `schema` (fields may be added, not dropped; §4.4)."""
    return Call("PUT", f"/v2/datasources/{_seg(name)}", _none, body=body_of(body))


def delete_datasource(name: str) -> Call[None]:
    """Delete a datasource no job reads (§4.7)."""
    return Call("DELETE", f"/v2/datasources/{_seg(name)}", _none)


def infer_schema(body: Body) -> Call[m.InferredSchema]:
    """Infer a schema from `{type, spec}` by reading the files (§5)."""
    return Call("POST", "/v2/schemas", _one(m.InferredSchema), body=body_of(body))


# --- jobs (§6) ------------------------------------------------------------------------------


def list_jobs(src_datasource: str | None = None, src_job: str | None = None) -> Call[list[m.Job]]:
    """Every job, or those reading datasource `src_datasource` / job `src_job` (§6.3)."""
    query = [(k, v) for k, v in (("srcDatasource", src_datasource), ("srcJob", src_job)) if v]
    return Call("GET", "/v2/jobs", _many(m.Job, "jobs"), query)


def get_job(name: str) -> Call[m.Job]:
    """One job with its output schema (§6.4); NotFoundError E18202 when absent."""
    return Call("GET", f"/v2/jobs/{_seg(name)}", _one(m.Job, name))


def job_exists(name: str) -> Call[bool]:
    """Whether the job exists (§6.8)."""
    return Call("GET", f"/v2/jobs/{_seg(name)}/exists", _exists)


def create_job(name: str, body: Body) -> Call[None]:
    """Create a job from `{srcs, computation, container, scheduler, params}` (§6.1)."""
    return Call("POST", f"/v2/jobs/{_seg(name)}", _none, body=body_of(body))


def update_job(name: str, body: Body) -> Call[None]:
    """Replace a job: a full replacement, omitted members are cleared (§6.2)."""
    return Call("PUT", f"/v2/jobs/{_seg(name)}", _none, body=body_of(body))


def delete_job(name: str) -> Call[None]:
    """Delete a job without exports or downstream jobs, and its history (§6.7)."""
    return Call("DELETE", f"/v2/jobs/{_seg(name)}", _none)


def start_job(name: str, params: Mapping[str, str] | None = None) -> Call[None]:
    """Start a job: one batch now for a manual job, the schedule for crontab/loop; `params`
    override the defaults (§6.5)."""
    given = [{"name": k, "value": v} for k, v in (params or {}).items()]
    return Call("POST", f"/v2/jobs/{_seg(name)}/actions/start", _none, body={"params": given})


def stop_job(name: str) -> Call[None]:
    """Stop a job's schedule and its running batch (§6.6)."""
    return Call("POST", f"/v2/jobs/{_seg(name)}/actions/stop", _none)


# --- history and batches (§7) ---------------------------------------------------------------


def history(
    job: str,
    *,
    page: int | None = None,
    size: int | None = None,
    sort_by: str | None = None,
    status: str | None = None,
    run_id: int | None = None,
) -> Call[m.History]:
    """One page of a job's batches (§7.3): `sort_by` `runId`, `-endTime`, ...; `run_id` -1 is
    the latest; without `page` and `size`, every batch."""
    pairs = (("page", page), ("size", size), ("sortBy", sort_by), ("status", status),
             ("runId", run_id))  # fmt: skip
    query = [(k, str(v)) for k, v in pairs if v is not None]
    return Call("GET", f"/v2/jobs/{_seg(job)}/history", _one(m.History), query)


def stop_batch(job: str, run_id: int) -> Call[m.Transition]:
    """Stop a Running batch (§7.4); `run_id` -1 is the latest."""
    body = {"jobName": job, "runId": run_id}
    return Call("POST", "/v2/batch/actions/stop", _one(m.Transition), body=body)


def rerun_batch(job: str, run_id: int) -> Call[m.Transition]:
    """Rerun an ended batch with its batch time (§7.5)."""
    body = {"jobName": job, "runId": run_id}
    return Call("POST", "/v2/batch/actions/rerun", _one(m.Transition), body=body)


def result(job: str, run_id: int, limit: int = 20) -> Call[m.Result]:
    """The first `limit` rows (≤ 10000) of a Successful batch's result (Tidemill extension)."""
    path = f"/v2/jobs/{_seg(job)}/history/{_seg(run_id)}/result"
    return Call("GET", path, _one(m.Result), [("limit", str(limit))])


def _text(raw: bytes) -> str:
    return raw.decode(errors="replace")


def batch_log(job: str, run_id: int) -> Call[str]:
    """Tidemill's batch log: what batch `run_id` of `job` did, as text (rendered SQL, inputs,
    engine figures such as `rows read: 1,234`, export outcomes, the error and its causes)."""
    return Call("GET", f"/v2/jobs/{_seg(job)}/history/{_seg(run_id)}/log", _text)


def render_job(name: str, body: Body | None = None) -> Call[m.Rendered]:
    """What a batch of `name` would read, run and write, without running it (Tidemill's dry
    run): `body` `{"batchTime"?, "params"?: [{name, value}]}`."""
    return Call("POST", f"/v2/jobs/{_seg(name)}/actions/render", _one(m.Rendered),
                body=body_of(body) or {})  # fmt: skip


def backfill_job(name: str, body: Body) -> Call[m.BackfillCreated]:
    """Queue the batches of a crontab/loop job's slots in a time range (Tidemill extension):
    `body` `{"from", "to", "reprocess"?, "concurrency"?, "order"?, "dryRun"?}`."""
    return Call("POST", f"/v2/jobs/{_seg(name)}/actions/backfill", _one(m.BackfillCreated),
                body=body_of(body))  # fmt: skip


def get_backfill(backfill_id: str) -> Call[m.Backfill]:
    """A backfill's state and its batches' counts by status."""
    return Call("GET", f"/v2/backfills/{_seg(backfill_id)}", _one(m.Backfill))


def cancel_backfill(backfill_id: str) -> Call[m.Backfill]:
    """Cancel a backfill's waiting batches and stop its running ones."""
    return Call("POST", f"/v2/backfills/{_seg(backfill_id)}/cancel", _one(m.Backfill))


# --- exports (§8) ---------------------------------------------------------------------------


def _export_path(job: str, name: str) -> str:
    return f"/v2/jobs/{_seg(job)}/exports/{_seg(name)}"


def list_exports(job: str) -> Call[list[m.Export]]:
    """Every export of `job` (§8.1)."""
    return Call("GET", f"/v2/jobs/{_seg(job)}/exports", _many(m.Export, "exports"))


def get_export(job: str, name: str) -> Call[m.Export]:
    """One export of `job` (§8.1)."""
    return Call("GET", _export_path(job, name), _one(m.Export, name))


def export_exists(job: str, name: str) -> Call[bool]:
    """Whether the export exists (§8.1)."""
    return Call("GET", _export_path(job, name) + "/exists", _exists)


def create_export(job: str, name: str, body: Body) -> Call[None]:
    """Create an export of `job` from `{type, spec}` (§8)."""
    return Call("POST", _export_path(job, name), _none, body=body_of(body))


def update_export(job: str, name: str, body: Body) -> Call[None]:
    """Replace an export's `spec` (its type cannot change; §8.1)."""
    return Call("PUT", _export_path(job, name), _none, body=body_of(body))


def delete_export(job: str, name: str) -> Call[None]:
    """Delete an export (§8.1)."""
    return Call("DELETE", _export_path(job, name), _none)


# --- variables (§9) -------------------------------------------------------------------------


def list_variables(type: str | None = None) -> Call[list[m.Variable]]:
    """The variables: `type` user, system, or both when None (§9.4)."""
    query = [("type", type)] if type else []
    return Call("GET", "/v2/variables", _many(m.Variable, "variables"), query)


def get_variable(name: str) -> Call[m.Variable]:
    """One variable (§9.3)."""
    return Call("GET", f"/v2/variables/{_seg(name)}", _one(m.Variable, name))


def create_variable(name: str, body: Body) -> Call[None]:
    """Create a user variable from `{type, value, format}` (§9.1)."""
    return Call("POST", f"/v2/variables/{_seg(name)}", _none, body=body_of(body))


def update_variable(name: str, body: Body) -> Call[None]:
    """Replace a user variable (§9.2)."""
    return Call("PUT", f"/v2/variables/{_seg(name)}", _none, body=body_of(body))


def delete_variable(name: str) -> Call[None]:
    """Delete a user variable (§9.5)."""
    return Call("DELETE", f"/v2/variables/{_seg(name)}", _none)


# --- workflows (§10) ------------------------------------------------------------------------


def list_workflows() -> Call[list[m.Workflow]]:
    """Every workflow with its nodes (§10.3)."""
    return Call("GET", "/v2/workflows", _many(m.Workflow, None))


def get_workflow(name: str) -> Call[m.Workflow]:
    """One workflow with its nodes (§10.2)."""
    return Call("GET", f"/v2/workflows/{_seg(name)}", _one(m.Workflow, name))


def create_workflow(name: str, body: Body) -> Call[None]:
    """Create a workflow from `{region, comment}` (§10.1)."""
    return Call("POST", f"/v2/workflows/{_seg(name)}", _none, body=body_of(body))


def update_workflow(name: str, body: Body) -> Call[None]:
    """Update a workflow's comment (§10.4)."""
    return Call("PUT", f"/v2/workflows/{_seg(name)}", _none, body=body_of(body))


def delete_workflow(name: str) -> Call[None]:
    """Delete an empty, stopped workflow (§10.7)."""
    return Call("DELETE", f"/v2/workflows/{_seg(name)}", _none)


def workflow_status(name: str) -> Call[m.WorkflowStatus]:
    """A workflow's status and its nodes' (§10.5)."""
    return Call("GET", f"/v2/workflows/{_seg(name)}/status", _one(m.WorkflowStatus))


def start_workflow(name: str) -> Call[None]:
    """Start a workflow that holds an export (§10.6)."""
    return Call("POST", f"/v2/workflows/{_seg(name)}/start", _none)


def stop_workflow(name: str) -> Call[None]:
    """Stop a started workflow (§10.6)."""
    return Call("POST", f"/v2/workflows/{_seg(name)}/stop", _none)
