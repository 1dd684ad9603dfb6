"""A stop that comes just before or just after the assigning thread sends a batch's plan to its
live worker (session 7, serverpath: `Slot.assign` sends, the slot thread only waits for the
answer) ends the batch Canceled, once: the batch never runs to Successful, its depend child is
never queued, and the slot serves the next batch. Real runner, worker processes and SQLite; the
stop is made at the slot's `_spawning` lock, which the send takes without waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

import pytest

from tests.runner.test_handoff import parent_queued_with_a_depend_child, status
from tidemill.config import Settings
from tidemill.core.batches import BatchStatus
from tidemill.runner.runner import Runner, Slot, start_forkserver
from tidemill.store import batches as store

S = BatchStatus


class Gate:
    """The slot's `_spawning` lock, calling `hook` when the assigning (test) thread takes it
    without waiting ("before", the send) or gives it back ("after" it)."""

    def __init__(self, when: str, hook: Callable[[], None]) -> None:
        self.lock = threading.Lock()
        self.when, self.hook, self.fired = when, hook, False
        self._polling = False

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not blocking and not self.fired and self.when == "before":
            self.fired = True
            self.hook()
        taken = self.lock.acquire(blocking, timeout)
        self._polling = taken and not blocking
        return taken

    def release(self) -> None:
        polled, self._polling = self._polling, False
        self.lock.release()
        if polled and not self.fired and self.when == "after":
            self.fired = True
            self.hook()

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_stop_at_the_plans_send_ends_the_batch_canceled_once(
    settings: Settings, when: str
) -> None:
    runtime, account = parent_queued_with_a_depend_child(settings)
    start_forkserver()
    runner = Runner(runtime, slots=1)  # no dispatcher thread: passes by hand
    slot = Slot(runner, 0)
    runner._slots = [slot]
    slot.ensure_process()  # a live worker: the assigning thread sends the plan itself

    def stop() -> None:  # as the API's stop: Cancelling, then the worker ended
        with runtime.db.begin() as conn:
            assert store.move(conn, account, "up", 1, [S.RUNNING], status=S.CANCELLING)
        current = slot.current
        assert current is not None
        slot.cancel(current)

    gate = Gate(when, stop)
    slot._spawning = gate  # type: ignore[assignment]
    try:
        runner._dispatch()
        assert gate.fired
        assert slot.idle.wait(30), "the slot never ended the stopped batch"
        assert status(runtime, account, "up") is S.CANCELED
        assert status(runtime, account, "down") is None  # it never succeeded: no child

        if when == "before":
            return  # the next batch on a fresh worker: once is enough (seconds here)
        with runtime.db.begin() as conn:  # a rerun: the slot serves the next batch
            assert store.move(conn, account, "up", 1, [S.CANCELED], status=S.RESTARTING,
                              rerun_count=1)  # fmt: skip
        runner._dispatch()
        deadline = time.monotonic() + 30
        while status(runtime, account, "up") is not S.SUCCESSFUL:
            assert time.monotonic() < deadline, status(runtime, account, "up")
            time.sleep(0.05)
    finally:
        runner.close()
        runtime.close()
