"""A worker gets its engine ready for the next plan without taking CPU from running batches.

Opening the next DuckDB database (`DuckDBEngine.prepare`, ~15 ms of CPU) happens right after
a worker answers: exactly while the runner records that batch's end and starts its depend
children, and while the other workers run theirs. On a machine with few cores that CPU came
out of those batches' critical path. So the worker prepares on a thread of its own whose CPU
priority is lower (Linux gives each thread its own nice value): it takes the CPU the batches
leave. The next plan waits for the preparation to end, as it did when the worker prepared
before reading it.

Only for engines whose preparation starts no process: a Spark session's JVM started from the
low-priority thread would keep that priority for good, so Spark prepares as before.
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import suppress

from tidemill.engines.base import Engine

NICE = 10  # added to the preparing thread's nice value: ~1/10 of a core's share against 0
ASIDE = frozenset({"duckdb"})  # engines prepared on the low-priority thread


class Preparer:
    """Runs `engine.prepare()` between plans: `start` after an answer, `wait` before a run.

    `start` and `wait` alternate, from one thread. An error of the preparation is raised by
    `wait`, as `prepare` raised it when called there."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._aside = engine.name in ASIDE and sys.platform == "linux"
        self._go = threading.Event()
        self._done = threading.Event()
        self._done.set()
        self._error: BaseException | None = None
        self.thread: threading.Thread | None = None  # the preparing thread, when aside
        if self._aside:
            self.thread = threading.Thread(target=self._loop, name="tidemill-prepare", daemon=True)
            self.thread.start()

    def start(self) -> None:
        if not self._aside:
            self.engine.prepare()
            return
        self._done.clear()
        self._go.set()

    def wait(self) -> None:
        self._done.wait()
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _loop(self) -> None:
        with suppress(OSError):  # a thread's own nice value (Linux: a thread is a task)
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + NICE)
        while True:
            self._go.wait()
            self._go.clear()
            try:
                self.engine.prepare()
            except BaseException as exc:  # raised in the worker's thread by wait()
                self._error = exc
            finally:
                self._done.set()
