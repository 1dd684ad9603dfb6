"""The worker process: executes one batch plan at a time in its own sandboxed DuckDB.

Runs in a child process, so a query that exhausts memory or crashes cannot take the service
down, and stopping a batch is ending the process.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from contextlib import ExitStack
from multiprocessing.connection import Connection
from pathlib import Path

import duckdb

from tidemill.config import Settings
from tidemill.core.models import SchemaField
from tidemill.engines.duckdb import (
    conformed,
    open_engine,
    quote_identifier,
    quote_literal,
    seal,
)
from tidemill.engines.reading import register_source, source_error
from tidemill.errors import BackendError, Failure, TidemillError
from tidemill.runner.exports import BatchResult, export_result
from tidemill.runner.plan import BatchPlan, SourcePlan
from tidemill.storage import open_store
from tidemill.storage.base import ObjectStore
from tidemill.storage.selection import matching_keys

log = logging.getLogger("tidemill.worker")


def execute(
    plan: BatchPlan, store: ObjectStore, engine: duckdb.DuckDBPyConnection | None = None
) -> int:
    """Run `plan`, commit its result atomically; the number of result rows.

    `engine` is an unsealed DuckDB opened ahead of time (`open_engine`); it is used up.
    """
    out = Path(plan.result_dir)
    out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        inputs: list[tuple[SourcePlan, list[Path]]] = []
        names: dict[Path, str] = {}
        allowed = {str(out)}
        for source in plan.sources:
            if source.result is not None:
                files = [Path(source.result)]
            else:
                files = []
                for key in matching_keys(store, source.bucket, source.patterns):
                    local = stack.enter_context(store.local_path(source.bucket, key))
                    names[local] = f"{source.bucket}/{key}"
                    files.append(local)
            allowed.update(str(f.parent) for f in files)
            inputs.append((source, files))
        spill = out / ".spill"
        stack.callback(shutil.rmtree, spill, ignore_errors=True)
        con = seal(
            engine if engine is not None else open_engine(),
            time_zone=plan.time_zone, threads=plan.threads, memory_limit=plan.memory_limit,
            allowed_directories=sorted(allowed), temp_directory=str(spill),
        )  # fmt: skip
        try:
            for source, files in inputs:
                if source.result is not None:
                    con.execute(
                        f"CREATE VIEW {quote_identifier(source.table)} AS "
                        f"SELECT * FROM read_parquet({quote_literal(str(files[0]))})"
                    )
                else:
                    register_source(
                        con, source.table, files, file_type=source.file_type,
                        schema=[SchemaField(k, t, r) for k, t, r in source.schema],
                        delimiter=source.delimiter, contains_header=source.contains_header,
                        names=names,
                    )  # fmt: skip
            temporary = out / f".tmp-{uuid.uuid4().hex}.parquet"
            try:
                query = conformed(con, plan.sql)
                row = con.execute(
                    f"COPY ({query}) TO {quote_literal(str(temporary))} (FORMAT parquet)"
                ).fetchone()
            except duckdb.Error as exc:
                temporary.unlink(missing_ok=True)
                raise source_error(con, exc) or BackendError(
                    Failure.INTERNAL, _describe(exc)
                ) from exc
            os.replace(temporary, out / "result.parquet")
            return int(row[0]) if row else 0
        finally:
            con.close()


def _describe(exc: duckdb.Error) -> str:
    text = str(exc).split("\n")[0]
    kind = type(exc).__name__.removesuffix("Exception").removesuffix("Error")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return f"out of memory: the query needs more than the container's memory ({text})"
    return f"the query failed ({kind}): {text}"


def _exit_with_parent(every: float = 0.5) -> None:
    """End this process when the service that started it is gone (killed with -9, say).

    The worker's parent is the forkserver, which exits with the service; the worker is then
    reparented, and a batch it was running must not go on writing behind the restarted service.
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(every)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="tidemill-parent-watch", daemon=True).start()


def serve(conn: Connection, settings: Settings) -> None:
    """Worker loop: receive a plan, answer ("ok", BatchResult) or ("error", message)."""
    _exit_with_parent()
    storage = open_store(settings)
    while True:
        spare = open_engine()  # ready before the plan comes: ~15 ms off every batch
        try:
            plan = conn.recv()
        except EOFError:
            return
        if plan is None:
            return
        try:
            store = storage.for_account(plan.scope)  # this batch's account's buckets only
            rows = execute(plan, store, spare)
            outcomes = export_result(
                settings, store, account=plan.account, tenant=plan.scope.name, job=plan.job,
                run_id=plan.run_id,
                attempt=plan.attempt, result_dir=plan.result_dir, rows=rows,
                time_zone=plan.time_zone, threads=plan.threads, memory_limit=plan.memory_limit,
                plans=plan.exports,
            )  # fmt: skip
            conn.send(("ok", BatchResult(rows, outcomes)))
        except TidemillError as exc:
            conn.send(("error", exc.message))
        except Exception as exc:  # a bug: keep the worker alive, tell the user something useful
            log.exception("batch %s/%s crashed", plan.job, plan.run_id)
            conn.send(("error", f"internal error while running the batch ({type(exc).__name__})"))
