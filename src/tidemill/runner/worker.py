"""The worker process: runs one batch plan at a time on its engine (`tidemill.engines`).

Runs in a child process, so a query that exhausts memory or crashes cannot take the service
down, and stopping a batch is ending the process.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import resource
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa

from tidemill.config import WorkerConfig
from tidemill.core.outcomes import Ending, Outcome
from tidemill.core.plans import BatchPlan
from tidemill.engines import registry
from tidemill.engines.base import EXCEEDED, Committed, Engine, RunIO
from tidemill.errors import BackendError, TidemillError
from tidemill.exporters.base import Fence, Unfenced
from tidemill.observability import json_logs
from tidemill.runner import batch_log
from tidemill.runner.exports import BatchResult, export_result
from tidemill.runner.fence import LeaseFence, LeaseLostError
from tidemill.storage import open_kodo
from tidemill.storage.base import Kodo, Storage
from tidemill.storage.local import directory_syncs_deferred
from tidemill.storage.local_buckets import reads_through_buckets
from tidemill.storage.registry import open_storages
from tidemill.storage.staging import Staged, publish_copy, publish_file, stage_file
from tidemill.store.db import create_engine
from tidemill.store.export_outcomes import BatchKey

log = logging.getLogger("tidemill.worker")
T = TypeVar("T")

# An attempt's first batch log (what it was given) is written once the attempt has run this
# long, seconds: a batch that ends sooner has only its final log, which says all the first one
# would. A worker that dies sooner leaves it to the runner (`batch_log.save_given_if_missing`).
FIRST_LOG_AFTER = 0.2


class HeldResult:
    """The result of a batch without exports, sent by the engine's publish but not yet visible:
    the worker commits it and the final batch log under one hold of the lease (one metadata
    transaction instead of two). `staged`: None until the engine publishes. `sent`: its
    transfer (`Staged.send`: a local file's fsync, S3's parts), which runs on the worker's
    sending thread while the engine and the worker finish the run; `wait_sent` before
    committing or aborting it."""

    def __init__(self) -> None:
        self.staged: Staged | None = None
        self.sent: Future[None] | None = None

    def wait_sent(self) -> None:
        """Once the transfer has ended; raises what it raised."""
        if self.sent is not None:
            self.sent.result()


def execute(
    plan: BatchPlan,
    storage: Storage,
    engine: Engine | None = None,
    fence: Fence | None = None,
    stop: threading.Event | None = None,
    scratch: Path | None = None,
    kodo: Kodo | None = None,
    held: HeldResult | None = None,
    keep: Path | None = None,
) -> Committed:
    """Run `plan` on `engine` (the plan's, by default) and commit its result atomically.

    The engine reads exactly the files the plan names (listed by the planner through each
    datasource's Source), by URI through `storage`; upstream results and the result itself are
    files of `storage` too (the warehouse). The result is published only while `fence` (the
    attempt's lease) holds. `scratch` is the local directory for temporary files (None: the
    system's). `kodo`: the buckets a kodo input is read through, as the plan's account
    (`storage.local_buckets.reads_through_buckets`: its file checked and pinned when opened,
    never a path a link swapped in after the listing leads elsewhere); None: `storage`'s.
    `held` (with `scratch`): the engine's publish only sends the result (outside the lease)
    and leaves it in `held` for the caller to commit under the lease, or to abort; the
    `Committed` answered is then not visible yet. `keep`: where the engine may keep a
    directory between runs of one account (`RunIO.keep`); None: nothing is kept.
    """
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    lease = fence or Unfenced()

    def publish(uri: str, source: Path) -> None:
        if held is None or scratch is None:
            publish_file(storage, uri, source, lease)  # the transfer outside the lease
            return
        try:  # out of the engine's run directory, which it removes when the run returns
            kept = source.rename(scratch / f"result-{uuid.uuid4().hex}{source.suffix}")
        except OSError:  # another file system: published now, as without `held`
            publish_file(storage, uri, source, lease)
            return
        held.staged = stage_file(storage, uri, kept, sole_writer=True)
        # The transfer beside the engine's end (its run directory's removal, its figures) and
        # the worker's log lines: a local result's fsync (~0.5 ms of disk here) then no longer
        # lies on the path. Committed only once it has ended (`_commit_with_log`).
        held.sent = _sender().submit(held.staged.send)

    def publish_staged(src: str, dst: str) -> None:
        publish_copy(storage, src, dst, lease)  # the copy outside the lease

    reads = storage if kodo is None else reads_through_buckets(storage, kodo, plan.scope)
    io = RunIO(
        reads,
        lease,
        scratch=scratch,
        stop=stop,
        publish=publish,
        publish_staged=publish_staged,
        keep=keep,
    )
    return (engine or registry.engine(plan.engine)).run(plan, io)


def scratch_dir(data_dir: Path, plan: BatchPlan) -> Path:
    """The local directory for one attempt's temporary files (spill, the staged result, export
    staging): under `<data dir>/scratch`. The worker removes what it made; the runner removes
    the directory after the attempt, which also clears what a killed worker left."""
    return _resolved(data_dir) / "scratch" / f"{plan.batch_uid or plan.job}-{plan.attempt}"


def keep_dir(data_dir: Path) -> Path:
    """Where a worker's engines keep a database between batches (`RunIO.keep`): the parent of
    every attempt's scratch directory. A kept directory whose worker ended is removed by the
    runner (`scratch.sweep_kept_dirs`)."""
    return _resolved(data_dir) / "scratch"


@functools.lru_cache(maxsize=8)
def _resolved(data_dir: Path) -> Path:
    """`data_dir` resolved (its links followed: one `lstat` per component, ~0.1 ms on a
    batch's path), once per process: the data directory is not moved while the service runs."""
    return data_dir.resolve()


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


def spark_environment(config: WorkerConfig) -> None:
    """TIDEMILL_SPARK__* of `config.spark` in this process's environment, where the Spark
    engine reads them (`engines.registry`): the forkserver that forked this worker started
    without the TIDEMILL_* variables, so without this a worker ran Spark plans on the default
    `local[2]` whatever TIDEMILL_SPARK__URL said. Spark's settings hold no secret."""
    for key, value in config.spark.model_dump().items():
        os.environ[f"TIDEMILL_SPARK__{key.upper()}"] = str(value)


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
    spark_environment(config)

    if config.log_format == "json":
        json_logs.configure("json")
    kodo = open_kodo(config)
    storage = open_storages(config)  # the warehouse (results, upstream results), by URI
    db = create_engine(config.metadata_url)  # the fence: leases are checked before publishing
    try:
        while True:
            # before the plan comes: ~15 ms off a DuckDB batch. Under auto most batches are
            # DuckDB's; Spark's session starts with the first Spark plan (seconds, once).
            registry.engine("duckdb" if config.engine == "auto" else config.engine).prepare()
            batch_log.reset_peak_memory()  # the next batch's peak is measured from here
            try:
                plan = conn.recv()
            except EOFError:
                return
            if plan is None:
                return
            answer = _run(plan, config, kodo, storage, db)
            conn.send(answer)
    finally:  # a worker killed leaves its engine's kept directory to the runner's sweep
        registry.close_all()


def _run(
    plan: BatchPlan, config: WorkerConfig, kodo: Kodo, storage: Storage, db: sa.Engine | None
) -> BatchResult | Outcome:
    """Run one plan: the answer for the runner, once the batch's log is written (before the
    answer: once the runner records it, this attempt's lease is over)."""
    redact = batch_log.Redactor.for_plan(plan, config.data_dir, config.warehouse)
    blog = batch_log.BatchLog(plan, redact)
    fence = _fence(db, plan)  # both saves of the log too: a stale attempt never overwrites
    # What it was given, even if it is killed, once the run has lasted FIRST_LOG_AFTER (a
    # shorter one has its final log only; the runner writes it for a worker that died sooner).
    # Not synced: only a machine crash would lose it, and after one this attempt is settled
    # and runs again (docs/decisions.md).
    first = _first_log().start(lambda: batch_log.save(storage, blog, fence, durable=False))
    # Without exports the result is committed with the final log, under one hold of the lease.
    held = None if plan.exports else HeldResult()
    # The result and the final log are renamed into one directory; at the end of this block,
    # after the lease and before the answer, the log's file is synced, and with it (on ext4,
    # XFS: their journals) both renames; elsewhere the directory too (docs/decisions.md).
    with directory_syncs_deferred(puts=True):
        try:
            answer = _attempt(plan, config, kodo, storage, fence, blog, held)
        finally:
            first.cancel()  # never after the final log: waits for a write under way
        blog.finish(batch_log.process_figures() if blog.failing else None)
        staged = held.staged if held is not None else None
        if held is not None and staged is not None and isinstance(answer, BatchResult):
            answer = _commit_with_log(held, staged, storage, fence, blog, answer)
        else:
            if held is not None and staged is not None:  # the attempt failed: never visible
                with suppress(Exception):
                    held.wait_sent()  # never aborted while its transfer runs
                with suppress(TidemillError):
                    staged.abort()
            batch_log.save(storage, blog, fence)
    return answer


def write_given_log(plan: BatchPlan, config: WorkerConfig, storage: Storage, db: sa.Engine) -> None:
    """For the runner, once `plan`'s worker died without an answer: the batch log of what the
    attempt was given, unless its worker wrote one (it does once the run has lasted
    FIRST_LOG_AFTER), while the attempt's lease holds; never raises."""
    try:
        redact = batch_log.Redactor.for_plan(plan, config.data_dir, config.warehouse)
        blog = batch_log.BatchLog(plan, redact)
        blog.failed("the worker ended before the batch did (this log is the runner's)")
        fence: Fence = Unfenced()
        if plan.owner:  # a batch being stopped is still this attempt's, until it is recorded
            key = BatchKey(plan.batch_uid, plan.account, plan.job, plan.run_id)
            fence = LeaseFence(db, key, plan.owner, plan.attempt, stopping=True)
        batch_log.save_given_if_missing(storage, blog, fence)
    except Exception:
        log.exception("cannot write the log of batch %s/%s", plan.job, plan.run_id)


def _commit_with_log(
    held: HeldResult,
    staged: Staged,
    storage: Storage,
    fence: Fence,
    blog: batch_log.BatchLog,
    answer: BatchResult,
) -> BatchResult | Outcome:
    """Make the held result visible, once its transfer has ended, and store the final log,
    both under one hold of the lease; the answer, or the failed attempt's Outcome (then
    nothing is visible and the log says why, written on its own)."""
    try:
        held.wait_sent()  # its failure is reported as the commit's would be
        with fence.publishing():
            staged.commit()
            batch_log.save(storage, blog)  # a log that cannot be written fails nothing
        staged.settle()  # outside the lease, as `publish_file`'s
        return answer
    except Exception as exc:
        with suppress(TidemillError):  # the failure to report is the commit's or the lease's
            staged.abort()
        blog.reopen()
        outcome: Outcome
        if isinstance(exc, TidemillError):
            blog.failed(exc.message, exc)
            outcome = Outcome(_ending(exc), exc.message)
        else:  # a bug: as `_attempt`'s
            log.exception("batch %s/%s crashed", blog.plan.job, blog.plan.run_id)
            message = f"internal error while running the batch ({type(exc).__name__})"
            blog.failed(message)
            outcome = Outcome(Ending.ERROR, message)
        blog.finish(batch_log.process_figures())
        batch_log.save(storage, blog, fence)
        return outcome


class _Delayed:
    """One thread of the worker that runs a job once it has waited its delay, unless cancelled
    before (an attempt's first log). A cancel waits for a job under way to end."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._job: tuple[float, Callable[[], None]] | None = None
        self._thread: threading.Thread | None = None

    def start(self, job: Callable[[], None], after: float = FIRST_LOG_AFTER) -> _Delayed:
        with self._ready:
            self._job = (time.monotonic() + after, job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="tidemill-first-log", daemon=True
                )
                self._thread.start()
            else:
                self._ready.notify()
        return self

    def cancel(self) -> None:
        with self._ready:  # held by `_serve` while a job runs
            self._job = None

    def _serve(self) -> None:
        with self._ready:
            while True:
                if self._job is None:
                    self._ready.wait()
                    continue
                due, job = self._job
                left = due - time.monotonic()
                if left > 0:
                    self._ready.wait(left)
                    continue
                self._job = None
                try:
                    job()
                except Exception:  # a log that cannot be written never fails the batch
                    log.exception("cannot write a batch's first log")


def _one_per_process(make: Callable[[], T]) -> Callable[[], T]:
    """A getter of what `make` makes, made on first use and kept for this process; a forked
    child makes its own (the parent's threads are not in it)."""
    made: list[tuple[int, T]] = []

    def get() -> T:
        if not made or made[0][0] != os.getpid():
            made[:] = [(os.getpid(), make())]
        return made[0][1]

    return get


# This process's one `_Delayed` (made in the worker, never in the forkserver) and its one
# sending thread (`HeldResult.sent`), each started with its first use and kept.
_first_log = _one_per_process(_Delayed)
_sender = _one_per_process(lambda: ThreadPoolExecutor(1, thread_name_prefix="tidemill-send"))


def _attempt(
    plan: BatchPlan,
    config: WorkerConfig,
    kodo: Kodo,
    storage: Storage,
    fence: Fence,
    blog: batch_log.BatchLog,
    held: HeldResult | None = None,
) -> BatchResult | Outcome:
    """Run the plan and its exports: the answer, once noted in `blog`. `held`: see `execute`."""
    answer: BatchResult | Outcome
    try:
        store = kodo.for_account(plan.scope)  # this batch's account's buckets only
        # A Spark driver JVM started here would inherit the limit (and cannot start under
        # it); Spark holds its memory to the executors' settings instead.
        limit_memory(plan.memory_ceiling if plan.engine == "duckdb" else 0)
        scratch = scratch_dir(config.data_dir, plan)
        # The engine may keep a directory beside the attempts' (a DuckDB database sealed to it
        # serves the account's next batch: docs/decisions.md, "A kept DuckDB database").
        committed = execute(
            plan,
            storage,
            fence=fence,
            scratch=scratch,
            kodo=kodo,
            held=held,
            keep=keep_dir(config.data_dir),
        )
        blog.committed(committed, batch_log.process_figures())
        rows = committed.rows
        outcomes = export_result(
            config, store, storage, account=plan.account, tenant=plan.scope.name,
            job=plan.job, run_id=plan.run_id, attempt=plan.attempt,
            result_uri=plan.result_uri, scratch_dir=str(scratch), rows=rows,
            time_zone=plan.zone, threads=plan.limits.threads,
            memory_limit=plan.limits.memory,
            plans=plan.exports, batch_uid=plan.batch_uid, fence=fence,
        )  # fmt: skip
        blog.exported(outcomes)
        answer = BatchResult(rows, outcomes, committed.note)
    except TidemillError as exc:
        blog.failed(exc.message, exc)
        answer = Outcome(_ending(exc), exc.message)
    except MemoryError:
        answer = Outcome(Ending.MEMORY, f"{EXCEEDED} ({plan.memory_ceiling // 2**20} MiB of data)")
        blog.failed(answer.message)
    except Exception as exc:  # a bug: keep the worker alive, tell the user something useful
        log.exception("batch %s/%s crashed", plan.job, plan.run_id)
        answer = Outcome(
            Ending.ERROR, f"internal error while running the batch ({type(exc).__name__})"
        )
        blog.failed(answer.message)
    return answer


def _ending(exc: TidemillError) -> Ending:
    """How an attempt that raised `exc` ended: a backend failure may pass on another attempt;
    anything else (the SQL, a source, an export spec refused) fails again the same way."""
    if isinstance(exc, LeaseLostError):
        return Ending.LEASE_LOST
    if exc.message.startswith(EXCEEDED):  # the engine's out-of-memory (engines.base.EXCEEDED)
        return Ending.MEMORY
    return Ending.ERROR if isinstance(exc, BackendError) else Ending.REFUSED
