"""Whether the metadata database has changed since a moment: SQLite's `PRAGMA data_version`.

SQLite gives every connection a `data_version` that changes whenever *another* connection
commits to the database file, in this process or any other (sqlite.org/pragma.html#pragma_
data_version); it is unchanged by the connection's own commits. A connection of its own that
never writes therefore sees every commit anyone makes: two equal readings mean nothing was
committed in between. One reading costs 6 to 11 µs on this machine (a read transaction on the
WAL index, no page read), a twentieth of reading and encoding a job (docs/performance.md).

There is no such counter on PostgreSQL (nodes share the database over the network; a check
would cost a round trip, as much as the read it would save), nor on an in-memory SQLite (each
connection is a database of its own): `DataVersion.of` gives None there, and callers read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from tidemill.store.side_connection import side_connection

T = TypeVar("T")


class DataVersion:
    """The `data_version` of a SQLite database file, read on a connection that never writes."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._lock = threading.Lock()

    @classmethod
    def of(cls, engine: sa.Engine) -> DataVersion | None:
        """The database's version reader; None when its changes cannot be seen this way
        (not SQLite, or a database in memory)."""
        connection = side_connection(engine)
        return None if connection is None else cls(connection)

    def read(self) -> int:
        """The current version: it differs from an earlier reading iff some other connection
        committed in between (a commit this one cannot make: it never writes)."""
        with self._lock:
            return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def run(self, read: Callable[[Any], T]) -> T:
        """`read(connection)` on this reader's connection, under its lock: a read only (the
        connection must never write, or `read` would miss its commits), each statement its
        own read transaction (autocommit). For the hottest small reads of a request, on the
        event loop: no pool checkout and no SQLAlchemy execution (~10 µs against ~40-100)."""
        with self._lock:
            return read(self._connection)

    def close(self) -> None:
        with self._lock:
            self._connection.close()
