"""The server's WAL checkpoint thread (session 7, serverpath, `store.checkpoints`): a failing
checkpoint does not end the thread (the next look checkpoints again), and the app's lifespan
leaves no checkpoint thread behind when it ends, however often it is entered."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.store.test_checkpoints import _file_alone, _write, table_and_checkpointer
from tidemill.api.app import create_app
from tidemill.config import Settings


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tidemill-checkpoint" and t.is_alive()]


def test_the_thread_outlives_a_failing_checkpoint(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db, engine, checkpointer = table_and_checkpointer(tmp_path)
    good = checkpointer._connection
    broken = sqlite3.connect(db)
    broken.close()  # every call on it raises sqlite3.ProgrammingError
    checkpointer._connection = broken
    caplog.set_level(logging.ERROR, "tidemill.store")
    checkpointer.start()
    try:
        deadline = time.monotonic() + 10
        while not any("WAL checkpoint failed" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "the thread never tried"
            time.sleep(0.02)
        with checkpointer._lock:
            checkpointer._connection = good
        _write(engine, 10)
        while _file_alone(db, tmp_path) != 10:
            assert time.monotonic() < deadline + 10, "the thread ended with the failure"
            time.sleep(0.02)
    finally:
        checkpointer.close()
        engine.dispose()


def test_the_lifespan_leaves_no_checkpoint_thread_after_each_run(settings: Settings) -> None:
    before = _checkpoint_threads()
    for _ in range(2):
        with TestClient(create_app(settings), raise_server_exceptions=False):
            assert len(_checkpoint_threads()) == len(before) + 1
        assert _checkpoint_threads() == before
