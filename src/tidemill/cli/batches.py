"""`tidemill jobs start [--wait]`, `tidemill history`, `tidemill batches stop|rerun`,
`tidemill result`: batches (spec §6.5, §7) seen from the command line."""

from __future__ import annotations

import math
import re
import time
from typing import Annotated

import typer
from rich.live import Live
from rich.table import Table
from rich.text import Text

from tidemill.cli._connect import Api, api_command
from tidemill.cli.resources import jobs
from tidemill.client import ApiError, WaitTimeout
from tidemill.client.models import Batch

batches = typer.Typer(
    no_args_is_help=True, help="Stop or rerun one batch of a job (spec §7), or read its log."
)
commands = typer.Typer()  # `history` and `result`, added to the top level

JobName = Annotated[str, typer.Argument(help="Job name")]
RunId = Annotated[int, typer.Argument(help="Batch number (runId); -1 is the latest")]
EXIT_SUCCESSFUL, EXIT_UNSUCCESSFUL = 0, 1


def _seconds(value: float) -> float:
    """A --timeout: a finite number of seconds above 0, refused (exit 2) before any call."""
    if not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{value} is not a number of seconds above 0, e.g. 600")
    return value


Timeout = Annotated[
    float, typer.Option("--timeout", help="Seconds --wait waits", callback=_seconds)
]
STATUS_STYLE = {"Successful": "green", "Failed": "red", "Canceled": "yellow"}


def _param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise typer.BadParameter(f"{text!r} is not k=v", param_hint="--param")
    return name, value


ROWS_READ = re.compile(r"^rows read: ([\d,]+)$", re.MULTILINE)


def rows_read(log: str) -> int | None:
    """`rows read` of a batch log's engine figures (runner.batch_log), when it has them."""
    match = ROWS_READ.search(log)
    return int(match.group(1).replace(",", "")) if match else None


def logged_rows_read(api: Api, job: str, run_id: int) -> int | None:
    """Rows read by an ended batch, from its log; None when the server keeps no log."""
    try:
        return rows_read(api.client.batch_log(job, run_id))
    except ApiError:
        return None


def progress(job: str, batch: Batch, elapsed: float, read: int | None = None) -> Table:
    """The live view of a batch: status, elapsed seconds, rows read when known."""
    table = Table(show_header=False, show_edge=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    style = STATUS_STYLE.get(batch.status, "cyan")
    table.add_row("job", Text(f"{job}  batch {batch.run_id}"))
    table.add_row("status", f"[{style}]{batch.status}[/]")
    table.add_row("elapsed", f"{elapsed:.1f} s")
    if read is not None:
        table.add_row("rows read", f"{read:,}")
    if batch.message and batch.ended:
        table.add_row("message", Text(batch.message))
    return table


def follow(api: Api, job: str, run_id: int, timeout: float, interval: float = 0.5) -> Batch:
    """Watch batch `run_id` until it ends (live in table mode); WaitTimeout after `timeout`."""
    began = time.monotonic()
    last: Batch | None = None
    console = api.out.console()
    live = None if api.out.json else Live(console=console, auto_refresh=False)
    try:
        if live is not None:
            live.start()
        for last in api.client.watch(job, run_id, interval=interval):
            read = logged_rows_read(api, job, run_id) if last.ended and live else None
            if live is not None:
                live.update(progress(job, last, time.monotonic() - began, read), refresh=True)
            if not last.ended and time.monotonic() - began > timeout:
                raise WaitTimeout(f"batch {run_id} of job {job!r} still {last.status} "
                                  f"after {timeout} s", last)  # fmt: skip
    finally:
        if live is not None:
            live.stop()
            if not console.is_terminal:
                console.line()  # the last frame is printed without its line end
    assert last is not None
    return last


def finish(api: Api, job: str, batch: Batch) -> None:
    """Print the ended batch; exit 0 when Successful, 1 when Failed or Canceled."""
    if api.out.json:
        api.out.data({"job": job, **batch.wire()})
    elif batch.status != "Successful" and batch.message:
        api.out.error(f"{batch.status}: {batch.message}")
    raise typer.Exit(EXIT_SUCCESSFUL if batch.status == "Successful" else EXIT_UNSUCCESSFUL)


@api_command(jobs, "start")
def jobs_start(
    api: Api,
    name: JobName,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="k=v, a value for a param")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the batch; exit 0 if Successful, else 1")
    ] = False,
    timeout: Timeout = 3600.0,
) -> None:
    """Start job NAME (a manual job runs one batch now; crontab/loop jobs start scheduling)."""
    params = dict(_param(p) for p in param or [])
    before = api.client.batch(name, -1) if wait else None
    api.client.start_job(name, params)
    if not wait:
        api.out.done(f"job {name} started", kind="job", name=name, action="start")
        return
    run_id = api.client.await_new_batch(name, before.run_id if before else 0, timeout=timeout)
    finish(api, name, follow(api, name, run_id, timeout))


@api_command(batches, "stop")
def batches_stop(api: Api, job: JobName, run_id: RunId) -> None:
    """Stop batch RUN_ID of JOB (it must be Running)."""
    moved = api.client.stop_batch(job, run_id)
    _transition(api, job, run_id, "stop", moved.pre_status, moved.post_status)


@api_command(batches, "rerun")
def batches_rerun(
    api: Api,
    job: JobName,
    run_id: RunId,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the rerun to its end")] = False,
    timeout: Timeout = 3600.0,
) -> None:
    """Rerun batch RUN_ID of JOB (it must be Successful, Failed or Canceled)."""
    moved = api.client.rerun_batch(job, run_id)
    if wait:
        finish(api, job, follow(api, job, run_id, timeout))
    _transition(api, job, run_id, "rerun", moved.pre_status, moved.post_status, moved.rerun_count)


def _transition(
    api: Api, job: str, run_id: int, action: str, pre: str, post: str, reruns: int | None = None
) -> None:
    fields = {"job": job, "runId": run_id, "action": action, "preStatus": pre, "postStatus": post}
    if reruns is not None:
        fields["rerunCount"] = reruns
    api.out.done(f"batch {run_id} of job {job}: {pre} -> {post}", **fields)


@api_command(commands, "history")
def history(
    api: Api,
    job: JobName,
    status: Annotated[str | None, typer.Option("--status", help="Only this status")] = None,
    sort_by: Annotated[
        str | None, typer.Option("--sort-by", help="runId, endTime, ... ('-' first: descending)")
    ] = None,
    page: Annotated[int, typer.Option("--page", help="Page (1-based)")] = 1,
    size: Annotated[int, typer.Option("--size", help="Page size")] = 20,
    every: Annotated[bool, typer.Option("--all", help="Every batch, page after page")] = False,
) -> None:
    """The batches of JOB, newest first: one page (--page, --size), or --all."""
    if every:
        found = list(api.client.iter_history(job, page_size=100, status=status, sort_by=sort_by))
        total = len(found)
    else:
        answer = api.client.history(job, page=page, size=size, status=status, sort_by=sort_by)
        found, total = answer.history, answer.total
    api.out.table(
        found,
        [("runId", lambda b: b.run_id), ("status", lambda b: b.status),
         ("batchTime", lambda b: b.batch_time), ("startTime", lambda b: b.start_time),
         ("duration", lambda b: f"{b.duration} s"), ("message", lambda b: b.message)],
    )  # fmt: skip
    if not api.out.json and total > len(found):
        typer.echo(f"{len(found)} of {total} batches (page {page}; --all for every one)")


@api_command(commands, "result")
def result(
    api: Api,
    job: JobName,
    run_id: RunId,
    limit: Annotated[int, typer.Option("--limit", help="Rows to show (at most 10000)")] = 20,
) -> None:
    """The first rows of the result of batch RUN_ID of JOB (a Successful batch)."""
    found = api.client.result(job, run_id, limit)
    if api.out.json:
        api.out.data(found)
        return
    table = Table(show_edge=False, header_style="bold")
    for column in found.columns:
        table.add_column(Text(column), overflow="fold")
    for row in found.rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row))  # data, not markup
    console = api.out.console()
    console.print(table)
    console.print(f"{len(found.rows)} of {found.total} rows", style="dim")


@api_command(batches, "log")
def batches_log(api: Api, job: JobName, run_id: RunId) -> None:
    """Print the log of batch RUN_ID of JOB (rendered SQL, inputs, engine figures, exports)."""
    text = api.client.batch_log(job, run_id)
    if api.out.json:
        api.out.data({"job": job, "runId": run_id, "log": text})
    else:
        typer.echo(text, nl=False)
