"""The worker process: runs one batch plan at a time on its engine (`tidemill.engines`).

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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import replace
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from pathlib import Path

import sqlalchemy as sa

from tidemill.config import Settings
from tidemill.core.plans import BatchPlan, InputFile, TablePlan
from tidemill.engines import registry
from tidemill.engines.base import EXCEEDED, Committed, Engine, RunIO
from tidemill.errors import BackendError, Failure, TidemillError
from tidemill.exporters.base import Fence, Unfenced
from tidemill.runner.exports import BatchResult, export_result
from tidemill.runner.fence import LeaseFence
from tidemill.storage import open_kodo
from tidemill.storage.base import Buckets
from tidemill.storage.selection import matching_keys
from tidemill.store.db import create_engine
from tidemill.store.export_outcomes import BatchKey

log = logging.getLogger("tidemill.worker")


def execute(
    plan: BatchPlan,
    store: Buckets,
    engine: Engine | None = None,
    fence: Fence | None = None,
    stop: threading.Event | None = None,
) -> Committed:
    """Run `plan` on `engine` (the plan's, by default) and commit its result atomically.

    The result is published only while `fence` (the attempt's lease) holds. Tables still
    selected as a bucket and key patterns are listed in `store` first (until the planner lists
    input files through a Source).
    """
    out = _local(plan.result_uri).parent
    out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        tables = tuple(_listed(table, store, stack) for table in plan.tables)
        io = RunIO(_LocalFiles(), fence or Unfenced(), scratch=out, stop=stop)
        return (engine or registry.engine(plan.engine)).run(replace(plan, tables=tables), io)


def _listed(table: TablePlan, store: Buckets, stack: ExitStack) -> TablePlan:
    """`table` with the files its bucket and patterns select (local ones, held by `stack`)."""
    if table.result is not None or table.files or not table.bucket:
        return table
    files = []
    for key in matching_keys(store, table.bucket, table.patterns):
        local = stack.enter_context(store.local_path(table.bucket, key))
        uri = FILE + str(local)
        files.append(
            InputFile(uri, local.stat().st_size, table.file_type, name=f"{table.bucket}/{key}")
        )
    return replace(table, files=tuple(files))


FILE = "file://"


def _local(uri: str) -> Path:
    """The local path of a `file://` URI, written literally (until results go through Storage)."""
    if not uri.startswith(FILE):
        raise BackendError(Failure.INTERNAL, f"{uri!r} is not a local file")
    return Path(uri.removeprefix(FILE))


class _LocalFiles:
    """`file://` URIs as an engine's `Files` (until the storage registry serves them)."""

    @contextmanager
    def local_path(self, uri: str) -> Iterator[Path]:
        yield _local(uri)

    def upload(self, uri: str, source: Path, *, move: bool = False) -> None:
        target = _local(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".tmp-{uuid.uuid4().hex}{target.suffix}")
        try:
            if move:
                shutil.move(source, temporary)
            else:
                shutil.copyfile(source, temporary)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)


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
    storage = open_kodo(settings)
    db = create_engine(settings.metadata_url)  # the fence: leases are checked before publishing
    while True:
        registry.engine(settings.engine).prepare()  # before the plan comes: ~15 ms off a batch
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
            rows = execute(plan, store, fence=fence).rows
            outcomes = export_result(
                settings, store, account=plan.account, tenant=plan.scope.name, job=plan.job,
                run_id=plan.run_id,
                attempt=plan.attempt, result_dir=str(_local(plan.result_uri).parent), rows=rows,
                time_zone=plan.zone, threads=plan.limits.threads,
                memory_limit=plan.limits.memory,
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
