"""A runner stopped while a parent's slot thread is about to claim its depend children (session
6's hand-off) claims nothing more: the child stays Ready for the next start, rather than being
claimed by a stopping runner and recorded Failed ("shut down while this batch was running;
rerun the batch") though it never ran. Real runner, worker processes and SQLite; the slot
thread's pass is held at the lock that serialises passes until the stop has begun."""

from __future__ import annotations

import threading
import time
from types import TracebackType

from tests.runner.test_handoff import parent_queued_with_a_depend_child, status
from tidemill.config import Settings
from tidemill.core.batches import BatchStatus
from tidemill.runner.runner import Runner, Slot, start_forkserver


class Gate:
    """A lock (the runner's `_dispatching`) that the test can hold, and that tells when a slot
    thread waits on it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.slot_waits = threading.Event()

    def __enter__(self) -> None:
        if threading.current_thread().name.startswith("tidemill-slot"):
            self.slot_waits.set()
        self.lock.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.lock.release()


def test_a_stop_during_the_parents_hand_off_leaves_the_child_ready(settings: Settings) -> None:
    runtime, account = parent_queued_with_a_depend_child(settings)

    # No dispatcher thread: one pass by hand starts the parent on slot 0.
    start_forkserver()
    runner = Runner(runtime, slots=2)
    gate = Gate()
    runner._dispatching = gate  # type: ignore[assignment]
    runner._slots = [Slot(runner, i) for i in range(2)]
    closing = threading.Thread(target=runner.close, daemon=True)
    try:
        runner._dispatch()
        gate.lock.acquire()  # the parent's slot thread will wait here to claim the child
        try:
            assert gate.slot_waits.wait(30), "the parent's slot never passed its children on"
            assert status(runtime, account, "up") is BatchStatus.SUCCESSFUL
            closing.start()
            deadline = time.monotonic() + 10
            while not runner.stopping:
                assert time.monotonic() < deadline
                time.sleep(0.01)
        finally:
            gate.lock.release()
        closing.join(30)
        assert not closing.is_alive()
        assert status(runtime, account, "down") is BatchStatus.READY
    finally:
        if not closing.is_alive():
            runner.close()
        runtime.close()
