"""store.checkpoints: a commit no longer copies the WAL into the database file below
AUTOCHECKPOINT_PAGES; the Checkpointer does, when something was committed, and only then."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import sqlalchemy as sa

from tidemill.store.checkpoints import AUTOCHECKPOINT_PAGES, Checkpointer
from tidemill.store.db import create_engine

ROWS = 3000  # ~1,500 pages of log in one commit: past SQLite's default threshold of 1,000


def _file_alone(db: Path, tmp_path: Path) -> int:
    """How many rows the database file holds without its log (what was checkpointed)."""
    copy = tmp_path / f"copy-{time.monotonic_ns()}.db"
    shutil.copyfile(db, copy)
    conn = sqlite3.connect(copy)
    try:
        if not conn.execute("select 1 from sqlite_master where name = 't'").fetchone():
            return 0
        return int(conn.execute("select count(*) from t").fetchone()[0])
    finally:
        conn.close()


def _write(engine: sa.Engine, rows: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("insert into t (x) values (:x)"), [{"x": "x" * 2000} for _ in range(rows)]
        )


def table_and_checkpointer(
    tmp_path: Path, period: float = 0.02
) -> tuple[Path, sa.Engine, Checkpointer]:
    """A SQLite file with a table `t (x text)`, its engine, and its checkpointer (not started)."""
    db = tmp_path / "db.sqlite"
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.text("create table t (x text)"))
    checkpointer = Checkpointer.of(engine, period=period)
    assert checkpointer is not None
    return db, engine, checkpointer


def test_commits_leave_the_log_and_a_tick_copies_it_into_the_file(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    engine = create_engine(f"sqlite:///{db}")
    checkpointer = Checkpointer.of(engine)
    assert checkpointer is not None
    try:
        with engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert pages == AUTOCHECKPOINT_PAGES
        with engine.begin() as conn:
            conn.execute(sa.text("create table t (x text)"))
        assert checkpointer.tick()  # the table, into the file
        _write(engine, ROWS)
        assert _file_alone(db, tmp_path) == 0  # the commit did not checkpoint
        assert checkpointer.tick()
        assert _file_alone(db, tmp_path) == ROWS
        assert not checkpointer.tick()  # nothing committed since
        assert checkpointer.passes == 2
    finally:
        checkpointer.close()
        engine.dispose()


def test_the_thread_checkpoints_what_was_committed(tmp_path: Path) -> None:
    db, engine, checkpointer = table_and_checkpointer(tmp_path)
    checkpointer.start()
    try:
        _write(engine, 10)
        deadline = time.monotonic() + 10
        while _file_alone(db, tmp_path) != 10:
            assert time.monotonic() < deadline, "the thread never checkpointed"
            time.sleep(0.02)
    finally:
        checkpointer.close()
        engine.dispose()


def test_nothing_to_checkpoint_on_postgresql_or_in_memory() -> None:
    assert Checkpointer.of(sa.create_engine("postgresql+psycopg://u@127.0.0.1:1/none")) is None
    assert Checkpointer.of(sa.create_engine("sqlite://")) is None
    assert Checkpointer.of(sa.create_engine("sqlite:///:memory:")) is None
