"""Workflow use cases (spec §10)."""

from __future__ import annotations

import sqlalchemy as sa

from tidemill.core import datasources as ds_rules
from tidemill.core import fields
from tidemill.core import workflows as rules
from tidemill.core.models import (
    BUSY_WORKFLOW_STATES,
    JSON,
    Datasource,
    Export,
    Job,
    SchedulerMode,
    Workflow,
)
from tidemill.core.models import WorkflowStatus as Status
from tidemill.core.names import check_name, is_resource_name
from tidemill.core.public import export_public, job_public
from tidemill.errors import (
    ConflictError,
    Failure,
    InvalidInputError,
    NotFoundError,
    StateError,
)
from tidemill.runtime import Runtime
from tidemill.services import schedules
from tidemill.services.batches import cancel_active
from tidemill.store import batches as batch_store
from tidemill.store import repository as repo
from tidemill.store import schedules as schedule_store

COMMENT_LIMIT = 1500


def _need(conn: sa.Connection, account: int, name: str) -> Workflow:
    wf = repo.get_workflow(conn, account, name)
    if wf is None:
        raise NotFoundError(Failure.WF_NOT_FOUND, f"workflow {name!r} does not exist")
    return wf


def _comment(body: JSON) -> str | None:
    comment = body.get("comment")
    if comment is None:
        return None
    if not isinstance(comment, str):
        # §1.6.3 names "comment type" as a WF_SPEC_INVALID cause, more specific than §1.4.6.
        raise InvalidInputError(Failure.WF_SPEC_INVALID, "comment must be a string")
    fields.check_length(comment, COMMENT_LIMIT, "comment")
    return comment


def _public(rt: Runtime, conn: sa.Connection, account: int, wf: Workflow) -> JSON:
    datasources, jobs, exports = repo.workflow_members(conn, account, wf.name)
    workflow_of = {job.name: job.workflow for job in jobs}
    fire_times = schedules.all_fire_times(rt, conn, account) if jobs else {}

    def data(resource: object) -> JSON:
        if isinstance(resource, Datasource):
            return ds_rules.datasource_public(resource)
        if isinstance(resource, Job):
            return job_public(resource, next_fire_times=fire_times.get(resource.name))
        assert isinstance(resource, Export)
        return export_public(resource, workflow_of.get(resource.job_name, ""))

    nodes = rules.nodes(datasources, jobs, exports, data)
    return rules.workflow_public(
        wf, nodes, rules.can_start(exports), rules.is_manual(jobs), rt.timestamp
    )


def create(rt: Runtime, account: int, name: str, body: JSON) -> None:
    check_name(name, Failure.WF_NAME_INVALID, "workflow")
    region = ds_rules.check_region(
        fields.opt_str(body, "region"), rt.settings.api.regions, Failure.WF_SPEC_INVALID
    )
    comment = _comment(body) or ""
    with rt.db.begin() as conn:
        if repo.get_workflow(conn, account, name) is not None:
            raise ConflictError(Failure.WF_EXISTS, f"workflow {name!r} already exists")
        if repo.get_datasource(conn, account, name) is not None:
            raise ConflictError(
                Failure.WF_NAME_CLASH,
                f"a datasource is already called {name!r}; a workflow needs a name of its own",
            )
        now = rt.clock.now()
        repo.insert_workflow(conn, account, Workflow(name, region, comment, Status.READY, now, now))


def update(rt: Runtime, account: int, name: str, body: JSON) -> None:
    check_name(name, Failure.WF_NAME_INVALID, "workflow")
    region = fields.opt_str(body, "region")
    if region:
        ds_rules.check_region(region, rt.settings.api.regions, Failure.WF_SPEC_INVALID)
    # D-28: nodes are derived from the resources; a PUT may only carry valid node names.
    for node_id, node in (fields.opt_obj(body, "nodes") or {}).items():
        node_name = node.get("name") if isinstance(node, dict) else None
        if not isinstance(node_name, str) or not is_resource_name(node_name):
            raise InvalidInputError(
                Failure.WF_SPEC_INVALID, f"node {node_id!r} has an invalid name {node_name!r}"
            )
    comment = _comment(body)
    with rt.db.begin() as conn:
        wf = _need(conn, account, name)
        if wf.status in BUSY_WORKFLOW_STATES:
            raise StateError(
                Failure.WF_STATE, f"workflow {name!r} is {wf.status.value}; stop it to change it"
            )
        repo.update_workflow(conn, account, name, rt.clock.now(), comment=comment)


def get(rt: Runtime, account: int, name: str) -> JSON:
    check_name(name, Failure.WF_NAME_INVALID, "workflow")
    with rt.db.connect() as conn:
        return _public(rt, conn, account, _need(conn, account, name))


def list_all(rt: Runtime, account: int) -> list[JSON]:
    with rt.db.connect() as conn:
        return [_public(rt, conn, account, wf) for wf in repo.list_workflows(conn, account)]


def status(rt: Runtime, account: int, name: str) -> JSON:
    check_name(name, Failure.WF_NAME_INVALID, "workflow")
    with rt.db.connect() as conn:
        wf = _need(conn, account, name)
        datasources, jobs, exports = repo.workflow_members(conn, account, name)
        scheduled = schedule_store.active_schedules(conn, account)
    shown = wf.status.value

    def job_status(job: Job) -> str:
        # A crontab/loop job is Started while its own schedule fires (spec §10.5 proposal:
        # per node); everything else, and every node of a Ready workflow, shows the workflow's.
        if wf.status is Status.READY or job.mode not in (SchedulerMode.CRONTAB, SchedulerMode.LOOP):
            return shown
        return Status.STARTED.value if job.name in scheduled else Status.STOPPED.value

    nodes = (
        [{"name": d.name, "type": rules.DATASOURCE, "status": shown} for d in datasources]
        + [{"name": j.name, "type": rules.JOB, "status": job_status(j)} for j in jobs]
        + [{"name": e.name, "type": rules.EXPORT, "status": shown} for e in exports]
    )
    return {"name": wf.name, "region": wf.region, "status": shown, "nodes": nodes}


def start(rt: Runtime, account: int, name: str) -> None:
    check_name(name, Failure.WF_NAME_INVALID, "workflow")
    with rt.db.begin() as conn:
        wf = _need(conn, account, name)
        if wf.status in (Status.STARTING, Status.STARTED):
            raise StateError(
                Failure.WF_CANNOT_START, f"workflow {name!r} is already {wf.status.value}"
            )
        if wf.status is Status.STOPPING:
            raise StateError(Failure.WF_CANNOT_START, f"workflow {name!r} is still stopping")
        _, jobs, exports = repo.workflow_members(conn, account, name)
        if not rules.can_start(exports):
            raise StateError(
                Failure.WF_NO_EXECUTABLE_JOB,
                f"workflow {name!r} has nothing to run: add an export to one of its jobs first",
            )
        # Ready/Stopped -> Starting -> Started (§10.6). Activating the schedules of its
        # crontab/loop jobs is synchronous, in this transaction, so Starting is never seen.
        repo.update_workflow(conn, account, name, rt.clock.now(), status=Status.STARTING)
        for job in jobs:
            schedules.activate(rt, conn, account, job, {})  # depend/manual jobs: no-op
        repo.update_workflow(conn, account, name, rt.clock.now(), status=Status.STARTED)
    rt.notify_scheduler()


def stop(rt: Runtime, account: int, name: str) -> None:
    check_name(name, Failure.WF_NAME_INVALID, "workflow")
    with rt.db.begin() as conn:
        wf = _need(conn, account, name)
        if wf.status not in (Status.STARTING, Status.STARTED):
            raise StateError(
                Failure.WF_CANNOT_STOP, f"workflow {name!r} is {wf.status.value}, not started"
            )
        # Started -> Stopping -> Stopped (§10.6): schedules off and queued batches canceled
        # here; running batches are ended by the runner before the workflow reads Stopped.
        now = rt.clock.now()
        repo.update_workflow(conn, account, name, now, status=Status.STOPPING)
        _, jobs, _ = repo.workflow_members(conn, account, name)
        running: list[tuple[str, int]] = []
        for job in jobs:
            schedules.deactivate(conn, account, job.name)
            active = batch_store.active_batches(conn, account, job.name)
            running += [(job.name, r) for r in cancel_active(conn, account, job.name, active, now)]
        if not running:
            repo.update_workflow(conn, account, name, now, status=Status.STOPPED)
    rt.notify_scheduler()
    if not running:
        return
    for job_name, run_id in running:
        rt.cancel_batch(account, job_name, run_id)
    with rt.db.begin() as conn:
        if _need(conn, account, name).status is Status.STOPPING:
            repo.update_workflow(conn, account, name, rt.clock.now(), status=Status.STOPPED)


def delete(rt: Runtime, account: int, name: str) -> None:
    check_name(name, Failure.WF_NAME_INVALID, "workflow")
    with rt.db.begin() as conn:
        wf = _need(conn, account, name)
        if wf.status in BUSY_WORKFLOW_STATES:
            raise StateError(
                Failure.WF_STATE, f"workflow {name!r} is {wf.status.value}; stop it first"
            )
        datasources, jobs, _ = repo.workflow_members(conn, account, name)
        if datasources or jobs:
            held = [f"datasource {d.name!r}" for d in datasources] + [
                f"job {j.name!r}" for j in jobs
            ]
            raise StateError(
                Failure.WF_NOT_EMPTY,
                f"workflow {name!r} still holds {', '.join(held)}; delete them first",
            )
        repo.delete_workflow(conn, account, name)
