"""The runner: claims waiting batches, hands them to worker processes, records outcomes.

Every status change is stored (through the state machine's table) before it is acted on. One
dispatcher thread claims batches; one thread per slot owns one worker process and waits on it.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import queue
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler

import sqlalchemy as sa

from tidemill.config import Settings, WorkerConfig
from tidemill.core.batches import EXECUTING, Batch, BatchStatus
from tidemill.core.models import Job, SchedulerMode
from tidemill.core.outcomes import Ending, Outcome, Verdict, settle
from tidemill.core.plans import BatchPlan
from tidemill.errors import BackendError, TidemillError
from tidemill.exporters import failure_message
from tidemill.runner import retrying, scratch, uploads, worker
from tidemill.runner.claims import claim_pass
from tidemill.runner.exports import (
    BatchResult,
    plan_exports,
    record_outcomes,
    sweep_expired,
    undo_attempt,
)
from tidemill.runner.plan import EngineSetting, plan_batch
from tidemill.runtime import Runtime
from tidemill.services import notify
from tidemill.store import batches as store
from tidemill.store import export_outcomes, schedules
from tidemill.store import repository as repo

log = logging.getLogger("tidemill.runner")
S = BatchStatus
LEASE = timedelta(seconds=30)
PIPE_ROOM = 32 * 1024  # bytes of plan sent by `Slot.assign` (Linux pipes buffer 64 KiB)
# Fewer bytes than any input file of a plan pickles to (its URI alone is longer): a plan with
# more than PIPE_ROOM / FILE_BYTES_AT_LEAST files is over PIPE_ROOM without pickling it.
FILE_BYTES_AT_LEAST = 16
Payload = bytes | memoryview  # a pickled plan (ForkingPickler.dumps gives a memoryview)
RENEW_EVERY = 10.0
PREFIX = Settings.model_config["env_prefix"]  # of the variables the settings are read from
Answer = BatchResult | Outcome  # what a worker answers for one plan (worker.serve)
ENDS_READ = frozenset({S.FAILED, S.SUCCESSFUL})  # the ends retries and alerts look at


def start_forkserver() -> None:
    """Start the forkserver — the parent of every worker — from an environment without the
    TIDEMILL_* variables, so that no worker can read the settings (the bootstrap secret key,
    the database URL...) from its environment or its memory: it is given a WorkerConfig.

    Once per process (later runners share the forkserver). The variables are out of this
    process's environment only while the forkserver is spawned (a fork and an exec): nothing
    else reads them then, the settings having been read at start-up.
    """
    hidden = {name: os.environ.pop(name) for name in list(os.environ) if name.startswith(PREFIX)}
    try:
        forkserver.ensure_running()
    finally:
        os.environ.update(hidden)


class Every:
    """`due()` is true at most once per `seconds` of monotonic time (first: now, or after one
    period when `wait_first`)."""

    def __init__(self, seconds: float, *, wait_first: bool = False) -> None:
        self.seconds = seconds
        self._last = time.monotonic() if wait_first else -float("inf")

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.seconds:
            return False
        self._last = now
        return True


@dataclass(frozen=True, slots=True)
class Assignment:
    account: int
    batch: Batch
    plan: BatchPlan
    began: float = field(default_factory=time.monotonic)  # when a slot was given it


class Slot:
    """One worker process and the thread that feeds it, one batch at a time."""

    def __init__(self, runner: Runner, index: int) -> None:
        self.runner = runner
        self.index = index
        self.current: Assignment | None = None
        self.idle = threading.Event()
        self.idle.set()
        # Each assignment, whether its plan was sent already (`assign`), and the plan pickled
        # if `assign` pickled it (the slot thread sends those bytes); None: stop.
        self._queue: queue.Queue[tuple[Assignment, bool, Payload | None] | None] = queue.Queue()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lifeline: Connection | None = None  # its EOF tells the worker we are gone
        self._spawning = threading.Lock()  # the slot thread and warm() may both ask
        self._cancelled = threading.Event()  # the current batch is to end, started or not
        # Held while the batch the slot runs changes, and while a cancel ends its worker: a
        # cancel meant for one batch never ends the worker once it has moved to the next.
        self._holding = threading.Lock()
        self._thread = threading.Thread(
            target=self._run, name=f"tidemill-slot-{index}", daemon=True
        )
        self._thread.start()

    def assign(self, assignment: Assignment) -> None:
        """Give the (free) slot a batch. Its plan is sent to the worker on the calling
        thread when the worker is up: the slot thread, woken through its queue, would first
        have to get the GIL from this one (docs/performance.md, session 7, serverpath); the
        slot thread waits for the answer, and does everything else (a worker to start, a
        send that failed) as before."""
        with self._holding:
            self.idle.clear()
            self._cancelled.clear()
            self.current = assignment
        self._queue.put((assignment, *self._send_now(assignment.plan)))

    def _send_now(self, plan: BatchPlan) -> tuple[bool, Payload | None]:
        """Send the plan to a live worker now; whether it was sent, and the plan pickled when
        it was pickled here. Not when a worker is being started (the slot thread or warm()
        holds `_spawning`; never waited for here), none is up, the batch was stopped already,
        or the plan would not fit in the pipe's buffer (the worker may be preparing its
        database: the send would wait for it). A plan whose files alone are sure to be over
        PIPE_ROOM is not pickled here at all: a large one costs tens of milliseconds to pickle
        (~40 ms for 10,000 files), and here that is spent under the dispatch lock. The slot
        thread sends what was not sent (the bytes pickled here, else pickling it: a plan is
        pickled once), and finds out again what failed here (a worker lost between two
        batches, a plan that cannot be pickled)."""
        if sum(len(t.files) for t in plan.tables) * FILE_BYTES_AT_LEAST > PIPE_ROOM:
            return False, None
        try:
            payload = ForkingPickler.dumps(plan)  # as Connection.send pickles it
        except Exception:
            return False, None
        if len(payload) > PIPE_ROOM or not self._spawning.acquire(blocking=False):
            return False, payload
        try:
            process, conn = self._process, self._conn
            if process is None or conn is None or self._cancelled.is_set():
                return False, payload
            if not process.is_alive():
                return False, payload
            try:
                conn.send_bytes(payload)
            except (OSError, ValueError):  # its pipe is broken: the worker is gone
                return False, payload
            return True, payload
        finally:
            self._spawning.release()

    def ensure_process(self) -> None:
        with self._spawning:
            if self._process is not None and self._process.is_alive():
                return
            parent, child = multiprocessing.Pipe()
            # Never written: the worker ends itself when it reads EOF, i.e. when we are gone.
            lifeline_r, lifeline_w = multiprocessing.Pipe(duplex=False)
            context = self.runner.context
            process = context.Process(
                target=worker.serve, args=(child, self.runner.worker_config, lifeline_r),
                name=f"tidemill-worker-{self.index}", daemon=True,
            )  # fmt: skip
            process.start()
            child.close()
            lifeline_r.close()
            for old in (self._conn, self._lifeline):
                if old is not None:
                    old.close()
            self._process, self._conn, self._lifeline = process, parent, lifeline_w

    @property
    def cancelling(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self, assignment: Assignment | None = None) -> None:
        """End the current batch — only if it is still `assignment`, when given: its worker if
        it runs one, else it never starts.

        The flag is set before the process is looked at, and the slot thread looks at the flag
        after its process exists: a batch whose worker is still being spawned is caught too.
        Worker processes serve batch after batch, so a cancel that found its batch finished
        (the slot already on the next one) must not end the process: the check and the kill
        hold the lock that moving to another batch takes.
        """
        with self._holding:
            if assignment is not None and self.current is not assignment:
                return
            self._cancelled.set()
            self.kill()

    def kill(self) -> None:
        """End the worker process now (terminate, then kill after a grace period)."""
        process = self._process
        if process is None or not process.is_alive():
            return
        process.terminate()
        process.join(1.0)
        if process.is_alive():
            process.kill()
            process.join(1.0)

    def close(self, wait: float = 5.0) -> None:
        """End the current batch (it is recorded as interrupted by the shutdown) and the
        thread, waiting up to `wait` seconds for the record to be written."""
        self._queue.put(None)
        self.cancel()
        self._thread.join(wait)

    def _run(self) -> None:
        while True:
            given = self._queue.get()
            if given is None:
                return
            assignment, sent, payload = given
            try:
                try:
                    answer = self._execute(assignment, sent, payload)
                except Exception as exc:  # a bug: the batch still ends, with a useful message
                    log.exception("slot %s failed to run a batch", self.index)
                    answer = Outcome(
                        Ending.ERROR,
                        f"internal error while running the batch ({type(exc).__name__})",
                    )
                self.runner.finish(assignment, answer)  # never raises
            finally:
                settings = self.runner.runtime.settings  # what a killed worker left behind
                shutil.rmtree(worker.scratch_dir(settings.data_dir, assignment.plan), True)
                with self._holding:
                    self.current = None
                    self.idle.set()
                self.runner.slot_freed()
                self.runner.wake_waiting_loops()

    def _execute(self, assignment: Assignment, sent: bool, payload: Payload | None) -> Answer:
        """Run the batch on the worker and wait for its answer; `sent`: `assign` sent its
        plan already; `payload`: the plan as `assign` pickled it, if it did."""
        try:
            if not sent:
                self.ensure_process()
                if self._cancelled.is_set():
                    return self._ended()  # stopped before its worker got the plan
                assert self._conn is not None
                if payload is None:
                    self._conn.send(assignment.plan)
                else:
                    self._conn.send_bytes(payload)
            assert self._conn is not None
            answer: Answer = self._conn.recv()
            return answer
        except (EOFError, OSError, BrokenPipeError):
            process, self._process = self._process, None
            if process is not None:  # its lock on its kept directory goes with it
                process.join(1.0)
            self.runner.sweep_kept()  # its last run's inputs, linked there (RunIO.keep)
            if uploads.may_leave_uploads(assignment.plan):  # its unfinished result upload
                runtime = self.runner.runtime
                uploads.drop_result_uploads(runtime.db, runtime.storages, assignment.plan)
            runtime = self.runner.runtime  # what it was given, if it died before logging it
            worker.write_given_log(
                assignment.plan, self.runner.worker_config, runtime.storages, runtime.db
            )
            return self._ended()

    def _ended(self) -> Outcome:
        """How an attempt whose worker gave no answer ended: ended by us for a shutdown or a
        stop, else the process died on its own."""
        if self.runner.stopping:
            return Outcome(Ending.SHUT_DOWN)
        return Outcome(Ending.KILLED if self._cancelled.is_set() else Ending.CRASHED)


class Runner:
    """Dispatches batches of every account to `slots` worker processes."""

    def __init__(self, runtime: Runtime, slots: int | None = None) -> None:
        self.runtime = runtime
        self.node = uuid.uuid4().hex
        self.context = multiprocessing.get_context("forkserver")
        # The forkserver imports the worker (DuckDB and all) once; each worker forks from it.
        # forkguard first: it ends the forkserver if we die while that import runs.
        self.context.set_forkserver_preload(["tidemill.runner.forkguard", "tidemill.runner.worker"])
        self.worker_config = WorkerConfig.of(runtime.settings)  # all a worker is told
        wanted = slots or runtime.settings.runner.slots
        self._slots_wanted = wanted or max(1, min(4, os.cpu_count() or 1))
        self._poll = runtime.settings.runner.poll_seconds
        self._slots: list[Slot] = []
        self._wake = threading.Event()
        # New work (`notify`) takes the next number; a pass that left nothing waiting keeps the
        # number it began under: until another is taken, a freed slot finds nothing to claim.
        self._work = itertools.count()
        self._work_seen = next(self._work)
        self._drained_at = -1  # `_work_seen` when a pass last left nothing waiting
        # Held by a dispatch pass from its look at the free slots to its last assignment: the
        # dispatcher thread and a slot thread that queued depend children (`_record`) both run
        # passes, and two at once would give one free slot two batches.
        self._dispatching = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._renewal = Every(RENEW_EVERY)
        # Stops made on other nodes and due retries: at most once a poll, not at every wake-up.
        self._housekeeping = Every(self._poll)
        self._sweep = Every(runtime.settings.exports.retention_sweep_seconds, wait_first=True)

    def start(self) -> None:
        start_forkserver()
        self.settle_orphans(every=self.runtime.db.dialect.name == "sqlite")
        self._sweep_scratch()  # what a killed service's runs left (runner.scratch)
        self._slots = [Slot(self, i) for i in range(self._slots_wanted)]
        self._thread = threading.Thread(target=self._loop, name="tidemill-runner", daemon=True)
        self._thread.start()

    def warm(self) -> None:
        """Start the worker processes now rather than at the first batch."""
        for slot in self._slots:
            slot.ensure_process()

    def notify(self) -> None:
        """Work may be waiting (a batch queued, a slot refused one): the next pass claims."""
        self._queued()
        self._wake.set()

    def _queued(self) -> None:
        """Work may be waiting: the next pass claims (this thread runs it, no wake-up)."""
        self._work_seen = next(self._work)

    def slot_freed(self) -> None:
        """A slot is free: the next pass claims, unless the last one left nothing waiting and
        no work was queued since (`notify`); a poll's pass claims whatever (other nodes and
        processes queue work without telling this one)."""
        self._wake.set()

    def wake_waiting_loops(self) -> None:
        """A batch ended: wake the scheduler if a loop schedule waits for a batch to end
        (only loops wait, `core.schedules.Wait`). One indexed read instead of a scheduler pass
        (its SQL, ~2 ms of CPU) after every batch; a wait this misses (decided while the
        batch ended) is polled by the scheduler within `scheduler.wait_poll_seconds` as before."""
        try:
            with self.runtime.db.connect() as conn:
                waiting = schedules.any_waiting(conn)
        except Exception:
            log.exception("cannot look for waiting loop schedules")
            waiting = True
        if waiting:
            self.runtime.notify_scheduler()

    @property
    def slots(self) -> tuple[Slot, ...]:
        return tuple(self._slots)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def alive(self) -> bool:
        """Whether the dispatcher thread runs (GET /readyz)."""
        return self._thread is not None and self._thread.is_alive() and not self.stopping

    def close(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._dispatching:  # a slot thread's pass (its depend children) ends first
            pass
        for slot in self._slots:
            slot.close()
        self.sweep_kept()  # the workers ended: their engines' kept directories

    def cancel(self, account: int, job: str, run_id: int, wait: float = 2.0) -> None:
        """End the worker running that batch; its slot then records it Canceled."""
        for slot in self._slots:
            current = slot.current
            if current and (current.account, current.batch.job_name, current.batch.run_id) == (
                account, job, run_id,
            ):  # fmt: skip
                slot.cancel(current)
                slot.idle.wait(wait)
                return

    # --- the dispatcher thread --------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            woken = self._wake.wait(self._poll)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                # Once a poll, not at each of a batch's wake-ups (its start, its end): a stop
                # on another node and a retry's due time are looked at as often as before
                # when idle (docs/decisions.md, session 8, serverpath8). And once a poll the
                # pass claims whatever the last one found: work queued by another node or
                # process tells this one nothing, and wake-ups restart the poll's timer, so a
                # busy node would otherwise not look for it (break8).
                housekeeping = self._housekeeping.due()
                if housekeeping:
                    self._end_stopped()
                    self._retry_due()
                    self._queued()
                # Waiting batches next: a wake-up is most often one (started, or a parent's
                # child). A housekeeping pass has taken a new work number (`_queued`), so it
                # claims too.
                if not woken or self._drained_at != self._work_seen:
                    self._dispatch()
                self._renew_and_reap()  # each on its own period (`Every`)
                self._sweep_retention()
            except Exception:
                log.exception("runner loop failed; retrying")

    def _now(self) -> datetime:
        """Now, in the configured zone (the times history messages name)."""
        return self.runtime.clock.now().astimezone(self.runtime.zone)

    def _retry_due(self) -> int:
        """Queue the failed batches whose automatic retry is due (runner.retrying); how many."""
        return retrying.requeue_due(self.runtime.db, self._now())

    def _end_stopped(self) -> None:
        """End our workers whose batch was stopped, rerun or deleted since it was claimed —
        by any node sharing the store (a stop on this node ends its worker at once). Looked
        at each pass of the loop (at least once a second)."""
        busy = [
            (slot, a) for slot in self._slots if (a := slot.current) is not None
            and not slot.cancelling
        ]  # fmt: skip
        if not busy:
            return
        with self.runtime.db.connect() as conn:
            rows = [
                (slot, a, store.get_batch(conn, a.account, a.batch.job_name, a.batch.run_id))
                for slot, a in busy
            ]
        # Not "no longer Running": a batch whose outcome is being recorded is Successful already.
        ended = [
            (slot, a) for slot, a, current in rows
            if current is None or current.uid != a.batch.uid
            or current.rerun_count != a.plan.attempt or current.status is S.CANCELLING
        ]  # fmt: skip
        for slot, a in ended:  # cancel waits for the process: not on this thread
            threading.Thread(target=slot.cancel, args=(a,), name="tidemill-stop",
                             daemon=True).start()  # fmt: skip

    def _renew_and_reap(self) -> None:
        """Extend the leases of the batches our slots execute (only those: a batch whose outcome
        could not be recorded lapses and is settled), then settle lapsed ones."""
        if not self._renewal.due():
            return
        running = [a for a in (slot.current for slot in self._slots) if a is not None]
        with self.runtime.db.begin() as conn:
            for a in running:
                store.renew_lease(conn, a.account, a.batch.job_name, a.batch.run_id, self.node,
                                  self._now() + LEASE)  # fmt: skip
        if self.settle_orphans(every=False):
            self._sweep_scratch()  # a dead node's runs, settled now

    def _sweep_retention(self) -> None:
        """Every `exports.retention_sweep_seconds`: delete exported objects past retention."""
        if not self._sweep.due():
            return
        sweep_expired(self.runtime.db, self.runtime.kodo, self._now())

    def settle_orphans(self, *, every: bool) -> int:
        """Batches left executing by a dead process: Running -> Failed, Cancelling -> Canceled;
        then what attempts that did not succeed published is undone (theirs, and any whose undo
        a crash cut short). How many batches were settled."""
        now = self._now()
        settled = 0
        with self.runtime.db.begin() as conn:
            for account, batch in store.orphans(conn, now, every=every):
                verdict = settle(Outcome(Ending.ABANDONED), batch.status)
                if verdict is not None:
                    _store_verdict(conn, account, batch, batch.status, verdict, now)
                    settled += 1
        # Committed first: from here the zombie's fence is lost, so nothing appears after the undo.
        with self.runtime.db.connect() as conn:
            pending = export_outcomes.unsettled(conn)
        for batch_uid, attempt in pending:
            self._undo(batch_uid, attempt)
        return settled

    def sweep_kept(self) -> None:
        """Remove the kept directories of this node's workers that ended
        (`scratch.sweep_kept_dirs`): a worker killed (a stop, a shutdown, a crash) leaves its
        last run's files there, which its `prepare` would have removed."""
        try:
            scratch.sweep_kept_dirs(self.runtime.settings.data_dir)
        except OSError:  # never stops the runner: the next sweep (`scratch.sweep`) tries again
            log.exception("cannot sweep the kept directories of ended workers")

    def _sweep_scratch(self) -> None:
        try:
            scratch.sweep(self.runtime.db, self.runtime.settings.data_dir)
        except Exception:  # never stops the runner: the next sweep tries again
            log.exception("cannot sweep the scratch directories of ended runs")

    def _undo(self, batch_uid: str, attempt: int) -> None:
        try:
            undo_attempt(self.runtime.db, self.runtime.settings, self.runtime.kodo, batch_uid,
                         attempt, self._now(), self.runtime.storages)  # fmt: skip
        except Exception:
            log.exception("cannot undo the exports of batch %s attempt %s", batch_uid, attempt)

    def _dispatch(self) -> None:
        """Claim a batch for each free slot (one short transaction), then plan each claimed
        batch outside it: planning lists the inputs through their Source, which may ask
        remote storage, and no row lock or write transaction is held meanwhile. A batch that
        cannot be planned ends at once (its own transaction). One pass at a time."""
        with self._dispatching:
            if not self.stopping:  # close() waits for a pass under way, later ones see this
                self._dispatch_once()

    def _dispatch_once(self) -> None:
        free = [slot for slot in self._slots if slot.idle.is_set() and slot.current is None]
        if not free:
            return
        work = self._work_seen  # before the reads: work queued after them is claimed later
        now = self._now()
        with self.runtime.db.begin() as conn:

            def move(account: int, batch: Batch, units: int) -> bool:
                return store.move(
                    conn, account, batch.job_name, batch.run_id, [batch.status],
                    status=S.RUNNING, start_time=now, end_time=None, message="",
                    owner=self.node, lease_until=now + LEASE, units=units,
                )  # fmt: skip

            # Fresh work first, then backfills; under the caps of core.caps (issue 14).
            quota = self.runtime.settings.quota.units
            done = claim_pass(conn, len(free), quota, self._backfill_room(), move)
        if done.drained:
            self._drained_at = work
        taken = done.claimed
        claimed = [(c.account, c.batch, c.job) for c in taken]
        assignments: list[Assignment] = []
        for account, batch, job in claimed:
            with self.runtime.db.connect() as conn:
                plan = self._plan(conn, account, batch, job)
            if isinstance(plan, Outcome):
                with self.runtime.db.begin() as conn:
                    for current in (S.RUNNING, S.CANCELLING):  # a stop may have come meanwhile
                        verdict = settle(plan, current)
                        assert verdict is not None
                        if _store_verdict(conn, account, batch, current, verdict, self._now()):
                            self.runtime.metrics.batch_finished(
                                verdict.status.value, "unplanned", None, account, batch.job_name
                            )
                            break
                continue
            assignments.append(Assignment(account, batch, plan))
        if len(assignments) < len(claimed):
            self.notify()  # the slots refused batches would have taken are free: look again now
        for slot, assignment in zip(free, assignments, strict=False):
            slot.assign(assignment)
            self.runtime.metrics.batch_started(
                assignment.plan.engine, assignment.account, assignment.batch.job_name
            )

    def _backfill_room(self) -> int | None:
        """How many more backfilled batches this runner may start: all its slots but one,
        kept for fresh work (so a schedule's batch never waits for a backfill's to end);
        None (no limit) on a single-slot runner, where nothing could be kept."""
        if len(self._slots) < 2:
            return None
        busy = sum(1 for s in self._slots if (a := s.current) is not None and a.batch.backfill_id)
        return len(self._slots) - 1 - busy

    def _plan(
        self, conn: sa.Connection, account: int, batch: Batch, job: Job | None
    ) -> BatchPlan | Outcome:
        """The batch's plan, or how planning it failed; `job` as the claim read it."""
        if job is None:
            return Outcome(Ending.REFUSED, f"job {batch.job_name!r} no longer exists")
        try:
            plan = plan_batch(
                # The warehouse as resolved at start (`Settings.warehouse` resolves a path).
                conn, account, job, batch, self.worker_config.warehouse,
                self.runtime.zone, os.cpu_count() or 1, self.runtime.sources,
                _engine_setting(self.runtime.settings),
            )  # fmt: skip
            exports = plan_exports(conn, account, job, batch)
            return replace(plan, exports=exports, attempt=batch.rerun_count, owner=self.node,
                           batch_uid=batch.uid)  # fmt: skip
        except TidemillError as exc:
            return Outcome(Ending.ERROR if isinstance(exc, BackendError) else Ending.REFUSED,
                           exc.message)  # fmt: skip
        except Exception as exc:  # a bug must not leave the batch Ready (claimed again forever)
            log.exception("cannot plan batch %s/%s", batch.job_name, batch.run_id)
            return Outcome(
                Ending.ERROR,
                f"internal error while planning the batch ({type(exc).__name__}: {exc})",
            )

    # --- outcomes (called from slot threads) ------------------------------------------------

    def finish(self, assignment: Assignment, answer: Answer) -> None:
        """Record how the batch ended. Whatever fails while recording it (a store error, an
        outcome that cannot be stored) still ends it: Failed with the reason, never stranded
        Running or Cancelling. An attempt that did not succeed is then undone."""
        batch = assignment.batch
        try:
            succeeded = self._record(assignment, answer)
            if succeeded is None:
                return  # settled by another process, which undoes it
        except Exception as exc:
            log.exception("cannot record the outcome of %s/%s", batch.job_name, batch.run_id)
            reason = (
                exc.message if isinstance(exc, TidemillError) else f"{type(exc).__name__}: {exc}"
            )
            self._end_unrecorded(assignment, reason)
            succeeded = False
        if not succeeded:
            self._undo(batch.uid, assignment.plan.attempt)

    def _owned(self, current: Batch | None, assignment: Assignment) -> bool:
        """Whether the batch row is still this assignment's attempt (not settled or rerun)."""
        return (
            current is not None
            and current.uid == assignment.batch.uid
            and current.rerun_count == assignment.plan.attempt
            and current.status in EXECUTING
        )

    def _record(self, assignment: Assignment, answer: Answer) -> bool | None:
        """Store the outcome; whether the attempt succeeded (False: it is to be undone; None:
        another process settled it and undoes it)."""
        account, batch = assignment.account, assignment.batch
        now = self._now()
        if isinstance(answer, BatchResult):
            outcome = Outcome(
                Ending.SUCCEEDED, failure_message(answer.outcomes) or "", answer.rows, answer.note
            )
        else:
            outcome = answer
        with self.runtime.db.begin() as conn:
            current = store.get_batch(conn, account, batch.job_name, batch.run_id)
            if current is None or current.uid != batch.uid:
                return False  # its job was deleted meanwhile: nobody else undoes it
            if not self._owned(current, assignment):
                return None
            if isinstance(answer, BatchResult):  # recorded whatever happens next
                attempt = assignment.plan.attempt
                record_outcomes(conn, account, batch, attempt, answer.outcomes, now)
            verdict = settle(outcome, current.status)
            assert verdict is not None  # owned: Running or Cancelling
            if assignment.plan.engine_reason:  # the engine used, when it was chosen
                ran = f"ran on {assignment.plan.engine} ({assignment.plan.engine_reason})"
                told = f"{ran}; {verdict.message}" if verdict.message else ran
                verdict = replace(verdict, message=told)
            moved = _store_verdict(conn, account, batch, current.status, verdict, now)
            if moved:
                self._count(assignment, answer, verdict)
            if not (verdict.succeeded and moved):
                return False
            children = self._trigger_children(conn, account, batch, now)
        if children:  # they wait, committed: claim them now, not once this slot is free
            self._queued()  # for the dispatcher's passes too, if the one below fails
            self._dispatch_children()
        return True

    def _dispatch_children(self) -> None:
        """A dispatch pass on this (slot) thread, right after the parent's outcome committed:
        its children start without waiting for the dispatcher thread to wake and get the GIL
        (docs/performance.md, session 6). What fails here is left to the dispatcher's next
        pass: the slot wakes it when it is free (`Slot._run`)."""
        try:
            self._dispatch()
        except Exception:
            log.exception("cannot dispatch the depend children; the dispatcher will")

    def _count(self, assignment: Assignment, answer: Answer, verdict: Verdict) -> None:
        """The batch's outcome and its exports', in the metrics (observability.metrics)."""
        metrics = self.runtime.metrics
        seconds = time.monotonic() - assignment.began
        metrics.batch_finished(verdict.status.value, assignment.plan.engine, seconds,
                               assignment.account, assignment.batch.job_name)  # fmt: skip
        if isinstance(answer, BatchResult):
            for outcome in answer.outcomes:
                metrics.exported(outcome.type, outcome.status)

    def _end_unrecorded(self, assignment: Assignment, reason: str) -> None:
        """End the batch whose outcome could not be recorded: Failed with `reason` (Canceled
        if it was being stopped). If even that fails its lease lapses (it is no longer renewed)
        and the reaper settles it."""
        account, batch = assignment.account, assignment.batch
        try:
            with self.runtime.db.begin() as conn:
                current = store.get_batch(conn, account, batch.job_name, batch.run_id)
                if not self._owned(current, assignment):
                    return
                assert current is not None
                verdict = settle(Outcome(Ending.UNRECORDED, reason), current.status)
                assert verdict is not None
                _store_verdict(conn, account, batch, current.status, verdict, self._now())
        except Exception:
            log.exception("cannot end batch %s/%s either", batch.job_name, batch.run_id)

    def _trigger_children(
        self, conn: sa.Connection, account: int, batch: Batch, now: datetime
    ) -> int:
        """Each depend child gets a batch with the same batchTime and params (§7.1), in the
        parent's backfill if it has one; how many were queued."""
        queued = 0
        # Their rows locked: a child deleted meanwhile takes this batch with it, not after it.
        children = repo.list_jobs(conn, account, source_type="job", source=batch.job_name,
                                  lock=True)  # fmt: skip
        for child in children:
            if child.mode is not SchedulerMode.DEPEND:
                continue
            queued += 1
            run_id = store.allocate_run_id(conn, account, child.name)
            store.insert_batch(
                conn, account,
                Batch(child.name, run_id, batch.batch_time, S.READY, dict(batch.params),
                      backfill_id=batch.backfill_id),  # a backfill's children are in it
                now,
            )  # fmt: skip
        return queued


def _store_verdict(
    conn: sa.Connection, account: int, batch: Batch, current: BatchStatus, verdict: Verdict,
    now: datetime,
) -> bool:  # fmt: skip
    """End the executing batch as `verdict` says, if it is still `current`; whether it was.
    A failure its job retries gets its due time (runner.retrying); an end its job's `notify`
    targets want queues their alerts (services.notify), in the same transaction. The job (its
    retry policy and its targets) is read once, for an end that either may concern."""
    job = repo.get_job(conn, account, batch.job_name) if verdict.status in ENDS_READ else None
    verdict, retry_at = retrying.apply(conn, account, batch, verdict, now, job)
    moved = store.move(
        conn, account, batch.job_name, batch.run_id, [current], status=verdict.status,
        end_time=now, message=verdict.message, result_rows=verdict.rows, owner=None,
        lease_until=None, retry_at=retry_at,
    )  # fmt: skip
    if moved and retry_at is None:
        notify.batch_ended(conn, account, batch, verdict.status, verdict.message, now, job)
    return moved


def _engine_setting(settings: Settings) -> EngineSetting:
    """TIDEMILL_ENGINE and its auto thresholds, as the planner takes them."""
    return EngineSetting.of(settings)
