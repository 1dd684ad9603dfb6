"""Ends the forkserver within 0.1 s of the service's death.

The forkserver (the parent of every worker) exits on its own when the service is gone, but only
once it reaches its main loop (while it preloads `tidemill.runner.worker` — DuckDB, pyarrow,
SQLAlchemy: seconds on a busy machine — it looks at nothing), and then through a full
interpreter shutdown (2 s measured on a loaded machine). Preloaded first, this module starts a
thread in the forkserver that `os._exit`s as soon as its parent changes, and cuts the shutdown
short (an `atexit` hook that `os._exit`s). The thread only sleeps
and reads its parent's id, so forking beside it is safe; forked workers do not inherit it (they
watch the service themselves, `worker._exit_with_parent`). Imported anywhere else (the service,
a worker) it does nothing.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from multiprocessing import forkserver

WATCH_EVERY = 0.1  # seconds


def _in_forkserver_preload() -> bool:
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code is forkserver.main.__code__:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _watch(parent: int) -> None:
    while True:
        time.sleep(WATCH_EVERY)
        if os.getppid() != parent:
            os._exit(1)


def _exit_now(forkserver_pid: int) -> None:
    if os.getpid() == forkserver_pid:
        os._exit(0)


if _in_forkserver_preload():
    # Its main loop ends with SystemExit; skip the interpreter's teardown of DuckDB, pyarrow...
    atexit.register(_exit_now, os.getpid())
    threading.Thread(
        target=_watch, args=(os.getppid(),), name="tidemill-forkguard", daemon=True
    ).start()
