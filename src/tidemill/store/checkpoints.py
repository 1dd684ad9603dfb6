"""SQLite's WAL checkpoints on a thread of the server's own, not in a commit on a path.

In WAL mode SQLite copies the write-ahead log back into the database file — a checkpoint:
the log fsynced, up to ~1,000 pages written, the file fsynced — inside the commit that takes
the log past `wal_autocheckpoint` pages (sqlite.org/wal.html#automatic_checkpoint), whichever
commit that is: a batch's outcome (the depend hand-off waits on it), a claim (the trigger's
path), a worker's lease transaction, a POST. On this machine that commit took 4 to 45 ms instead
of ~0.1 (docs/performance.md, session 7, serverpath); one in every ~50 runs of the bench.

The server runs `Checkpointer`: every `period` seconds, if anything was committed since its
last look (`PRAGMA data_version` on a connection of its own that never writes, as
store.data_version), a PASSIVE checkpoint — it never waits for or blocks readers and
writers, and SQLite releases the GIL while it runs. Every connection's automatic checkpoint
stays, at AUTOCHECKPOINT_PAGES, as the fallback: a process without the thread (the CLI, a
worker while the server is gone) or a burst of writes the thread has not caught up with still
keeps the log bounded. Durability is unchanged: a commit is in the log before it returns, and
where it is copied to the file later does not change what a crash keeps.

Nothing to do on PostgreSQL or an in-memory SQLite: `Checkpointer.of` gives None there.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import sqlalchemy as sa

from tidemill.store.side_connection import side_connection

log = logging.getLogger("tidemill.store")

# The automatic checkpoint's threshold in pages (SQLite's default: 1,000), above what the
# thread lets the log reach at this service's write rates (~600 pages a second in the trigger
# bench); the 100,000-job scheduler slot writes more than that in one commit, as it did.
AUTOCHECKPOINT_PAGES = 4000
PERIOD = 1.0  # seconds between the thread's looks


class Checkpointer:
    """A thread that checkpoints a SQLite database's WAL when something was committed."""

    def __init__(self, connection: Any, period: float = PERIOD) -> None:
        self._connection = connection
        self._period = period
        self._seen: int | None = None
        self._lock = threading.Lock()  # one checkpoint at a time (the thread, or a test's tick)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0  # checkpoints run (the figure tests and benchmarks read)

    @classmethod
    def of(cls, engine: sa.Engine, period: float = PERIOD) -> Checkpointer | None:
        """The database's checkpointer; None where there is no WAL to checkpoint (not
        SQLite, or a database in memory)."""
        connection = side_connection(engine)
        return None if connection is None else cls(connection, period)

    def tick(self) -> bool:
        """Checkpoint if anything was committed since the last tick; whether it did.

        Raises the driver's error (sqlite3.Error) when the checkpoint fails."""
        with self._lock:
            version = int(self._connection.execute("PRAGMA data_version").fetchone()[0])
            if version == self._seen:
                return False
            busy, _, _ = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if not busy:  # another connection's checkpoint under way: look again next time
                self._seen = version
            self.passes += 1
            return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="tidemill-checkpoint", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread (after a checkpoint under way) and close the connection."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
        with self._lock:
            self._connection.close()

    def _loop(self) -> None:
        while not self._stopping.wait(self._period):
            try:
                self.tick()
            except Exception:  # the automatic checkpoint still bounds the log meanwhile
                log.exception("WAL checkpoint failed; trying again in %s s", self._period)
