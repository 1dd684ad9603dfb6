"""A connection of its own to a SQLite database file, beside the engine's pool.

The readers and writers that must not wait for the pool or hold one of its connections (the
data version's reader, the WAL checkpointer) each open one here.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

BUSY_TIMEOUT_MS = 10_000


def side_connection(engine: sa.Engine) -> Any | None:
    """A DBAPI connection (`sqlite3.Connection`) to `engine`'s database file: autocommit,
    usable from any thread, waiting up to BUSY_TIMEOUT_MS for a lock. None where there is no
    such file: not SQLite, or a database in memory."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database or ""
    if database in ("", ":memory:") or "mode=memory" in database:
        return None
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    cparams = {**cparams, "check_same_thread": False, "isolation_level": None}
    connection = engine.dialect.loaded_dbapi.connect(*cargs, **cparams)
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return connection
