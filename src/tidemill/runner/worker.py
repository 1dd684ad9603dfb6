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
import tempfile
import threading
import time
from contextlib import AbstractContextManager, ExitStack, suppress
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from pathlib import Path

import duckdb
import sqlalchemy as sa

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
from tidemill.errors import BackendError, Failure, NotFoundError, TidemillError
from tidemill.exporters.base import Fence, Unfenced
from tidemill.runner.exports import BatchResult, export_result
from tidemill.runner.fence import LeaseFence
from tidemill.runner.plan import BatchPlan, SourcePlan
from tidemill.storage import open_kodo
from tidemill.storage.base import Buckets, Storage
from tidemill.storage.registry import open_storages
from tidemill.storage.selection import matching_keys
from tidemill.store.db import create_engine
from tidemill.store.export_outcomes import BatchKey

log = logging.getLogger("tidemill.worker")


def execute(
    plan: BatchPlan,
    store: Buckets,
    storage: Storage,
    engine: duckdb.DuckDBPyConnection | None = None,
    fence: Fence | None = None,
) -> int:
    """Run `plan`, commit its result atomically at `plan.result_uri`; the number of rows.

    Inputs come from the account's buckets (`store`) and, for upstream results, from `storage`
    by URI. The result is written to a local scratch file, then published through `storage`
    in one step (a rename on a local warehouse, one upload on S3) only while `fence` (the
    attempt's lease) holds. `engine` is an unsealed DuckDB opened ahead of time; it is used up.
    """
    with ExitStack() as stack:
        scratch = _scratch(plan)
        stack.callback(shutil.rmtree, scratch, ignore_errors=True)
        inputs: list[tuple[SourcePlan, list[Path]]] = []
        names: dict[Path, str] = {}
        allowed = {str(scratch)}
        for source in plan.sources:
            if source.result is not None:
                files = [stack.enter_context(_upstream(storage, source.result))]
            else:
                files = []
                for key in matching_keys(store, source.bucket, source.patterns):
                    local = stack.enter_context(store.local_path(source.bucket, key))
                    names[local] = f"{source.bucket}/{key}"
                    files.append(local)
            allowed.update(str(f.parent) for f in files)
            inputs.append((source, files))
        con = seal(
            engine if engine is not None else open_engine(),
            time_zone=plan.time_zone, threads=plan.threads, memory_limit=plan.memory_limit,
            allowed_directories=sorted(allowed), temp_directory=str(scratch / "spill"),
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
            staged = scratch / f"attempt-{plan.attempt}.parquet"
            try:
                query = conformed(con, plan.sql)
                row = con.execute(
                    f"COPY ({query}) TO {quote_literal(str(staged))} (FORMAT parquet)"
                ).fetchone()
            except duckdb.Error as exc:
                raise source_error(con, exc) or BackendError(
                    Failure.INTERNAL, _describe(exc)
                ) from exc
            with (fence or Unfenced()).publishing():
                storage.upload(plan.result_uri, staged, move=True)
            return int(row[0]) if row else 0
        finally:
            con.close()


def _scratch(plan: BatchPlan) -> Path:
    """A fresh local directory for this batch's temporary files (spill, the staged result)."""
    root = Path(plan.scratch_dir) if plan.scratch_dir else Path(tempfile.gettempdir())
    try:
        root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"batch-{plan.run_id}-", dir=root))
    except OSError as exc:
        raise BackendError(
            Failure.INTERNAL, f"cannot make a scratch directory under {root}: {exc.strerror}"
        ) from exc


def _upstream(storage: Storage, uri: str) -> AbstractContextManager[Path]:
    """The upstream result at `uri` as a local file (the file itself on a local warehouse)."""
    try:
        return storage.local_path(uri)
    except NotFoundError as exc:
        raise NotFoundError(
            Failure.BATCH_NOT_FOUND,
            f"the upstream result {uri} is missing from the warehouse; rerun the upstream "
            "batch to make it again",
            uri=uri,
        ) from exc


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


def serve(conn: Connection, settings: Settings, lifeline: Connection | None = None) -> None:
    """Worker loop: receive a plan, answer ("ok", BatchResult) or ("error", message)."""
    _exit_with_parent(lifeline)
    kodo = open_kodo(settings)
    storage = open_storages(settings)  # the warehouse, and upstream results, by URI
    db = create_engine(settings.metadata_url)  # the fence: leases are checked before publishing
    while True:
        spare = open_engine()  # ready before the plan comes: ~15 ms off every batch
        try:
            plan = conn.recv()
        except EOFError:
            return
        if plan is None:
            return
        try:
            store = kodo.for_account(plan.scope)  # this batch's account's buckets only
            fence = _fence(db, plan)
            limit_memory(plan.memory_ceiling)
            rows = execute(plan, store, storage, spare, fence)
            outcomes = export_result(
                settings, store, storage, account=plan.account, tenant=plan.scope.name,
                job=plan.job, run_id=plan.run_id, attempt=plan.attempt,
                result_uri=plan.result_uri, scratch_dir=plan.scratch_dir, rows=rows,
                time_zone=plan.time_zone, threads=plan.threads, memory_limit=plan.memory_limit,
                plans=plan.exports, batch_uid=plan.batch_uid, fence=fence,
            )  # fmt: skip
            conn.send(("ok", BatchResult(rows, outcomes)))
        except TidemillError as exc:
            conn.send(("error", exc.message))
        except MemoryError:
            conn.send(("error", f"{EXCEEDED} ({plan.memory_ceiling // 2**20} MiB of data)"))
        except Exception as exc:  # a bug: keep the worker alive, tell the user something useful
            log.exception("batch %s/%s crashed", plan.job, plan.run_id)
            conn.send(("error", f"internal error while running the batch ({type(exc).__name__})"))
