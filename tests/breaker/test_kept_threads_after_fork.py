"""The worker's kept threads (session 7, workerpath): the write-back flusher (one per process)
and the result's sending thread. A child forked while the parent's flusher holds the lock a
block's start and end take (it opens a file to flush under it) starts its own flusher and
sending thread, and neither waits for the parent's (which do not exist in the child)."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
import time
from pathlib import Path

import pytest

from tidemill.runner import worker
from tidemill.writeback import written_back


def _child(directory: Path, report: int) -> None:
    """In the forked child: a block flushes a growing file on a thread of the child's own, and
    the sending thread runs a job; b"ok" on `report` when both did."""
    flushed: list[int] = []
    real = os.fdatasync

    def recording(fd: int) -> None:
        flushed.append(fd)
        real(fd)

    os.fdatasync = recording  # type: ignore[assignment]
    directory.mkdir()
    with written_back(directory, 0.01), open(directory / "part", "wb") as out:
        deadline = time.monotonic() + 10
        while not flushed and time.monotonic() < deadline:
            out.write(b"x" * 4096)
            out.flush()
            time.sleep(0.01)
    sent = worker._sender().submit(lambda: os.getpid()).result(10)
    os.write(report, b"ok" if flushed and sent == os.getpid() else b"no")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fork() with threads: on purpose
def test_a_child_forked_mid_flush_runs_its_own_kept_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()
    in_flush, release = threading.Event(), threading.Event()
    real = os.open

    def held(path: str, flags: int, *args: int) -> int:  # the parent's flusher stops while
        # it opens a file to flush, holding its lock
        if os.getpid() == parent and threading.current_thread().name == "tidemill-writeback":
            in_flush.set()
            release.wait(10)
        return real(path, flags, *args)

    monkeypatch.setattr(os, "open", held)
    assert worker._sender().submit(lambda: 1).result(10) == 1  # the parent's sending thread
    mine = tmp_path / "parent"
    mine.mkdir()
    (mine / "big").write_bytes(b"y" * 4096)
    reading, writing = os.pipe()
    pid = 0
    try:
        with written_back(mine, 0.01):
            assert in_flush.wait(10), "the parent's flusher never flushed"
            pid = os.fork()
            if pid == 0:  # the child
                code = 1
                try:
                    os.close(reading)
                    _child(tmp_path / "child", writing)
                    code = 0
                finally:
                    os._exit(code)
            release.set()
        os.close(writing)
        ready, _, _ = select.select([reading], [], [], 30)
        answer = os.read(reading, 2) if ready else b"hung"
        assert answer == b"ok"
    finally:
        release.set()
        os.close(reading)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
