"""The worker process: executes one batch plan at a time in its own sandboxed DuckDB.

Runs in a child process, so a query that exhausts memory or crashes cannot take the service
down, and stopping a batch is ending the process.
"""

from __future__ import annotations

import ctypes
import logging
import os
import resource
import shutil
import signal
import sys
import threading
import time
import uuid
from contextlib import ExitStack, suppress
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from pathlib import Path

import duckdb
import sqlalchemy as sa

from tidemill.config import WorkerConfig
from tidemill.core.models import SchemaField
from tidemill.core.outcomes import Ending, Outcome
from tidemill.engines.duckdb import (
    conformed,
    open_engine,
    quote_identifier,
    quote_literal,
    seal,
)
from tidemill.engines.reading import register_source, source_error
from tidemill.errors import BackendError, Failure, TidemillError
from tidemill.exporters.base import Fence, Unfenced
from tidemill.runner.exports import BatchResult, export_result
from tidemill.runner.fence import LeaseFence, LeaseLostError
from tidemill.runner.plan import BatchPlan, SourcePlan
from tidemill.storage import open_store
from tidemill.storage.base import ObjectStore
from tidemill.storage.selection import matching_keys
from tidemill.store.db import create_engine
from tidemill.store.export_outcomes import BatchKey

log = logging.getLogger("tidemill.worker")


def execute(
    plan: BatchPlan,
    store: ObjectStore,
    engine: duckdb.DuckDBPyConnection | None = None,
    fence: Fence | None = None,
) -> int:
    """Run `plan`, commit its result atomically; the number of result rows.

    `engine` is an unsealed DuckDB opened ahead of time (`open_engine`); it is used up. The
    result is published only while `fence` (the attempt's lease) holds.
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
            try:
                with (fence or Unfenced()).publishing():
                    os.replace(temporary, out / "result.parquet")
            finally:
                temporary.unlink(missing_ok=True)
            return int(row[0]) if row else 0
        finally:
            con.close()


def _describe(exc: duckdb.Error) -> str:
    text = str(exc).split("\n")[0]
    kind = type(exc).__name__.removesuffix("Exception").removesuffix("Error")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return f"{EXCEEDED}: use a larger container or a query that needs less ({text})"
    return f"the query failed ({kind}): {text}"


EXCEEDED = "the batch exceeded the container's memory"


def limit_memory(ceiling: int) -> None:
    """Hold this process's private data (heap, anonymous mappings: what DuckDB, pyarrow and
    Python allocate) to `ceiling` bytes, 0 for none. An allocation beyond it fails — DuckDB
    answers OutOfMemoryException, Python MemoryError — instead of growing past the container
    (issue 9, kind 9). The soft limit only: the next batch may set a larger one."""
    if sys.platform != "linux":
        return
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    wanted = resource.RLIM_INFINITY if ceiling <= 0 else ceiling
    if hard != resource.RLIM_INFINITY:
        wanted = hard if wanted == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (wanted, hard))


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _exit_with_parent(lifeline: Connection | None) -> None:
    """End this process as soon as the service that started it is gone (killed with -9, say).

    A batch a dead service was running must not go on behind the restarted service's back.
    Three lines of defence, each enough on its own:

    * `lifeline`: the read end of a pipe whose only write end the service holds; the kernel
      closes it when the service dies, and a thread waiting on it ends the process at once.
    * The forkserver (the worker's parent) exits when the service does, once no worker holds
      the write end of its "service alive" pipe: each worker inherits it, so it is closed here.
      Linux then sends SIGKILL on the parent's death (PR_SET_PDEATHSIG).
    * Elsewhere, a thread notices the change of parent within half a second.
    """
    inherited = getattr(forkserver._forkserver, "_forkserver_alive_fd", None)
    if inherited is not None:  # CPython passes it on so a worker could fork; ours never do
        with suppress(OSError):
            os.close(inherited)
        forkserver._forkserver._forkserver_alive_fd = None  # type: ignore[attr-defined]
    parent = os.getppid()
    if sys.platform == "linux":
        with suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before the signal was armed
        os._exit(1)

    def wait_for_eof() -> None:
        assert lifeline is not None
        with suppress(EOFError, OSError):
            while True:
                lifeline.recv_bytes()
        os._exit(1)

    def poll_parent() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    if lifeline is not None:
        threading.Thread(target=wait_for_eof, name="tidemill-lifeline", daemon=True).start()
    threading.Thread(target=poll_parent, name="tidemill-parent-watch", daemon=True).start()


def _fence(db: sa.Engine | None, plan: BatchPlan) -> Fence:
    if db is None or not plan.owner:
        return Unfenced()
    key = BatchKey(plan.batch_uid, plan.account, plan.job, plan.run_id)
    return LeaseFence(db, key, plan.owner, plan.attempt)


def serve(conn: Connection, config: WorkerConfig, lifeline: Connection | None = None) -> None:
    """Worker loop: receive a plan, answer a BatchResult (the result is committed) or the
    Outcome of a failed attempt (core.outcomes). `config` is all the worker knows of the
    settings (docs/decisions.md, "Runner")."""
    _exit_with_parent(lifeline)
    storage = open_store(config)
    db = create_engine(config.metadata_url)  # the fence: leases are checked before publishing
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
            fence = _fence(db, plan)
            limit_memory(plan.memory_ceiling)
            rows = execute(plan, store, spare, fence)
            outcomes = export_result(
                config, store, account=plan.account, tenant=plan.scope.name, job=plan.job,
                run_id=plan.run_id,
                attempt=plan.attempt, result_dir=plan.result_dir, rows=rows,
                time_zone=plan.time_zone, threads=plan.threads, memory_limit=plan.memory_limit,
                plans=plan.exports, batch_uid=plan.batch_uid, fence=fence,
            )  # fmt: skip
            conn.send(BatchResult(rows, outcomes))
        except TidemillError as exc:
            conn.send(Outcome(_ending(exc), exc.message))
        except MemoryError:
            ceiling = plan.memory_ceiling // 2**20
            conn.send(Outcome(Ending.MEMORY, f"{EXCEEDED} ({ceiling} MiB of data)"))
        except Exception as exc:  # a bug: keep the worker alive, tell the user something useful
            log.exception("batch %s/%s crashed", plan.job, plan.run_id)
            message = f"internal error while running the batch ({type(exc).__name__})"
            conn.send(Outcome(Ending.ERROR, message))


def _ending(exc: TidemillError) -> Ending:
    """How an attempt that raised `exc` ended: a backend failure may pass on another attempt;
    anything else (the SQL, a source, an export spec refused) fails again the same way."""
    if isinstance(exc, LeaseLostError):
        return Ending.LEASE_LOST
    if exc.message.startswith(EXCEEDED):  # the engine's out-of-memory (see _describe)
        return Ending.MEMORY
    return Ending.ERROR if isinstance(exc, BackendError) else Ending.REFUSED
