"""`tidemill datasources|jobs|exports|variables|workflows list|get|create|update|delete`.

Bodies come from `-f FILE` (JSON or YAML), exactly as the API takes them (spec §4, §6, §8,
§9, §10); what the server answers is printed as a table or, with `-o json`, as JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tidemill.cli._connect import Api, api_command
from tidemill.cli._files import FileError, body

datasources = typer.Typer(no_args_is_help=True, help="Datasources (spec §4).")
jobs = typer.Typer(no_args_is_help=True, help="Jobs (spec §6), and starting or stopping them.")
exports = typer.Typer(no_args_is_help=True, help="Exports of a job (spec §8).")
variables = typer.Typer(no_args_is_help=True, help="Magic variables (spec §9).")
workflows = typer.Typer(no_args_is_help=True, help="Workflows (spec §10).")
schemas = typer.Typer(no_args_is_help=True, help="Schema inference (spec §5).")

Name = Annotated[str, typer.Argument(help="Resource name")]
JobName = Annotated[str, typer.Argument(help="Job name")]
BodyFile = Annotated[
    str,
    typer.Option("--file", "-f", help="JSON or YAML file holding the request body ('-': stdin)"),
]


def _body(path: str) -> dict[str, Any]:
    try:
        return body(path)
    except FileError as exc:
        raise typer.BadParameter(str(exc), param_hint="--file") from None


def _names(items: Any) -> str:
    return ", ".join(f"{s.name}" for s in items)


# --- datasources ----------------------------------------------------------------------------


@api_command(datasources, "list")
def datasources_list(api: Api) -> None:
    """List the datasources."""
    api.out.table(
        api.client.list_datasources(),
        [("name", lambda d: d.name), ("type", lambda d: d.type), ("region", lambda d: d.region),
         ("workflow", lambda d: d.workflow), ("fields", lambda d: len(d.schema_)),
         ("spec", lambda d: d.spec)],
    )  # fmt: skip


@api_command(datasources, "get")
def datasources_get(api: Api, name: Name) -> None:
    """Show one datasource."""
    api.out.record(api.client.get_datasource(name))


@api_command(datasources, "create")
def datasources_create(api: Api, name: Name, file: BodyFile) -> None:
    """Create datasource NAME from the body in FILE."""
    api.client.create_datasource(name, _body(file))
    api.out.done(f"datasource {name} created", kind="datasource", name=name, action="create")


@api_command(datasources, "update")
def datasources_update(api: Api, name: Name, file: BodyFile) -> None:
    """Update datasource NAME (spec and schema) from the body in FILE."""
    api.client.update_datasource(name, _body(file))
    api.out.done(f"datasource {name} updated", kind="datasource", name=name, action="update")


@api_command(datasources, "delete")
def datasources_delete(api: Api, name: Name) -> None:
    """Delete datasource NAME."""
    api.client.delete_datasource(name)
    api.out.done(f"datasource {name} deleted", kind="datasource", name=name, action="delete")


@api_command(schemas, "infer")
def schemas_infer(api: Api, file: BodyFile) -> None:
    """Infer a schema from files: FILE holds {type, spec} as for POST /v2/schemas."""
    found = api.client.infer_schema(_body(file))
    api.out.table(found.schema_, [("key", lambda f: f.key), ("valtype", lambda f: f.valtype)])


# --- jobs -----------------------------------------------------------------------------------


def _scheduler(job: Any) -> str:
    if job.scheduler is None:
        return ""
    spec = job.scheduler.spec or {}
    detail = spec.get("crontab") or spec.get("loop") or ""
    return f"{job.scheduler.type} {detail}".strip()


@api_command(jobs, "list")
def jobs_list(
    api: Api,
    src_datasource: Annotated[
        str | None, typer.Option("--src-datasource", help="Only jobs reading this datasource")
    ] = None,
    src_job: Annotated[
        str | None, typer.Option("--src-job", help="Only jobs downstream of this job")
    ] = None,
) -> None:
    """List the jobs."""
    api.out.table(
        api.client.list_jobs(src_datasource, src_job),
        [("name", lambda j: j.name), ("scheduler", _scheduler), ("srcs", lambda j: _names(j.srcs)),
         ("workflow", lambda j: j.workflow), ("output", lambda j: _names_keys(j.schema_))],
    )  # fmt: skip


def _names_keys(fields: Any) -> str:
    return ", ".join(f"{f.key}:{f.valtype}" for f in fields)


@api_command(jobs, "get")
def jobs_get(api: Api, name: Name) -> None:
    """Show one job."""
    api.out.record(api.client.get_job(name))


@api_command(jobs, "create")
def jobs_create(api: Api, name: Name, file: BodyFile) -> None:
    """Create job NAME from the body in FILE."""
    api.client.create_job(name, _body(file))
    api.out.done(f"job {name} created", kind="job", name=name, action="create")


@api_command(jobs, "update")
def jobs_update(api: Api, name: Name, file: BodyFile) -> None:
    """Replace job NAME with the body in FILE."""
    api.client.update_job(name, _body(file))
    api.out.done(f"job {name} updated", kind="job", name=name, action="update")


@api_command(jobs, "delete")
def jobs_delete(api: Api, name: Name) -> None:
    """Delete job NAME (and its history)."""
    api.client.delete_job(name)
    api.out.done(f"job {name} deleted", kind="job", name=name, action="delete")


@api_command(jobs, "stop")
def jobs_stop(api: Api, name: Name) -> None:
    """Stop job NAME: its scheduler, and its running batch."""
    api.client.stop_job(name)
    api.out.done(f"job {name} stopped", kind="job", name=name, action="stop")


# --- exports --------------------------------------------------------------------------------


@api_command(exports, "list")
def exports_list(api: Api, job: JobName) -> None:
    """List the exports of JOB."""
    api.out.table(
        api.client.list_exports(job),
        [("name", lambda e: e.name), ("type", lambda e: e.type), ("spec", lambda e: e.spec)],
    )


@api_command(exports, "get")
def exports_get(api: Api, job: JobName, name: Name) -> None:
    """Show export NAME of JOB."""
    api.out.record(api.client.get_export(job, name))


@api_command(exports, "create")
def exports_create(api: Api, job: JobName, name: Name, file: BodyFile) -> None:
    """Create export NAME of JOB from the body in FILE ({type, spec})."""
    api.client.create_export(job, name, _body(file))
    api.out.done(f"export {name} of job {job} created", kind="export", job=job, name=name,
                 action="create")  # fmt: skip


@api_command(exports, "update")
def exports_update(api: Api, job: JobName, name: Name, file: BodyFile) -> None:
    """Replace the spec of export NAME of JOB with the body in FILE."""
    api.client.update_export(job, name, _body(file))
    api.out.done(f"export {name} of job {job} updated", kind="export", job=job, name=name,
                 action="update")  # fmt: skip


@api_command(exports, "delete")
def exports_delete(api: Api, job: JobName, name: Name) -> None:
    """Delete export NAME of JOB."""
    api.client.delete_export(job, name)
    api.out.done(f"export {name} of job {job} deleted", kind="export", job=job, name=name,
                 action="delete")  # fmt: skip


# --- variables ------------------------------------------------------------------------------


@api_command(variables, "list")
def variables_list(
    api: Api,
    type: Annotated[
        str | None, typer.Option("--type", help="user or system (default: both)")
    ] = None,
) -> None:
    """List the variables."""
    api.out.table(
        api.client.list_variables(type),
        [("name", lambda v: v.name), ("type", lambda v: v.type), ("value", lambda v: v.value),
         ("format", lambda v: v.format)],
    )  # fmt: skip


@api_command(variables, "get")
def variables_get(api: Api, name: Name) -> None:
    """Show one variable."""
    api.out.record(api.client.get_variable(name))


@api_command(variables, "create")
def variables_create(api: Api, name: Name, file: BodyFile) -> None:
    """Create variable NAME from the body in FILE ({type, value, format})."""
    api.client.create_variable(name, _body(file))
    api.out.done(f"variable {name} created", kind="variable", name=name, action="create")


@api_command(variables, "update")
def variables_update(api: Api, name: Name, file: BodyFile) -> None:
    """Replace variable NAME with the body in FILE."""
    api.client.update_variable(name, _body(file))
    api.out.done(f"variable {name} updated", kind="variable", name=name, action="update")


@api_command(variables, "delete")
def variables_delete(api: Api, name: Name) -> None:
    """Delete variable NAME."""
    api.client.delete_variable(name)
    api.out.done(f"variable {name} deleted", kind="variable", name=name, action="delete")


# --- workflows ------------------------------------------------------------------------------


@api_command(workflows, "list")
def workflows_list(api: Api) -> None:
    """List the workflows."""
    api.out.table(
        api.client.list_workflows(),
        [("name", lambda w: w.name), ("status", lambda w: w.status),
         ("canStart", lambda w: w.can_start), ("nodes", lambda w: ", ".join(w.nodes)),
         ("comment", lambda w: w.comment)],
    )  # fmt: skip


@api_command(workflows, "get")
def workflows_get(api: Api, name: Name) -> None:
    """Show one workflow with its nodes."""
    api.out.record(api.client.get_workflow(name))


@api_command(workflows, "create")
def workflows_create(api: Api, name: Name, file: BodyFile) -> None:
    """Create workflow NAME from the body in FILE ({region, comment})."""
    api.client.create_workflow(name, _body(file))
    api.out.done(f"workflow {name} created", kind="workflow", name=name, action="create")


@api_command(workflows, "update")
def workflows_update(api: Api, name: Name, file: BodyFile) -> None:
    """Update workflow NAME (its comment) from the body in FILE."""
    api.client.update_workflow(name, _body(file))
    api.out.done(f"workflow {name} updated", kind="workflow", name=name, action="update")


@api_command(workflows, "delete")
def workflows_delete(api: Api, name: Name) -> None:
    """Delete workflow NAME (it must be empty and not started)."""
    api.client.delete_workflow(name)
    api.out.done(f"workflow {name} deleted", kind="workflow", name=name, action="delete")


@api_command(workflows, "status")
def workflows_status(api: Api, name: Name) -> None:
    """Show the status of workflow NAME and of its nodes."""
    found = api.client.workflow_status(name)
    if api.out.json:
        api.out.data(found)
        return
    typer.echo(f"workflow {found.name}: {found.status}")
    api.out.table(found.nodes, [("node", lambda n: n.name), ("type", lambda n: n.type),
                                ("status", lambda n: n.status)])  # fmt: skip


@api_command(workflows, "start")
def workflows_start(api: Api, name: Name) -> None:
    """Start workflow NAME."""
    api.client.start_workflow(name)
    api.out.done(f"workflow {name} started", kind="workflow", name=name, action="start")


@api_command(workflows, "stop")
def workflows_stop(api: Api, name: Name) -> None:
    """Stop workflow NAME."""
    api.client.stop_workflow(name)
    api.out.done(f"workflow {name} stopped", kind="workflow", name=name, action="stop")
