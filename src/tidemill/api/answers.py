"""Encoded bodies of read answers, kept while the metadata database is unchanged.

A GetJob answer is a function of stored rows only (the job, its schedule state, its alerts'
deliveries; `nextFireTimes` come from the stored next fire, not from the clock) and of the
server's configuration (its zone). Reading and encoding it is about a third of the request's
CPU (docs/performance.md), and clients poll it. `AnswerCache` keeps the encoded body by
(what, account, name), stamped with the database's `data_version` (store.data_version) read
*before* the rows were: any commit by anyone since then, in this process or another, changes
the version, and every kept body is dropped at the first request that sees the new one. A
body is therefore never older than the last commit before the request's own reading of the
version: what a read of the database at that moment would have answered.

Where the database's changes cannot be seen this way (PostgreSQL, shared by nodes over the
network; an in-memory SQLite), nothing is kept and every request reads.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from tidemill.store.data_version import DataVersion

# Bodies kept at most (one version's worth: every commit empties the cache); past it the cache
# starts again, so a client walking many names costs memory of at most this many bodies.
LIMIT = 4096
# Bytes of bodies kept at most, and the largest body kept: a job's definition is bounded only by
# the request limit (4 MiB), so a count alone let a few hundred large jobs fill gigabytes.
MAX_BYTES = 64 * 1024 * 1024
MAX_BODY = 1024 * 1024


class AnswerCache:
    """Bodies by key, all of one database version. `open_version` opens the version reader
    at the first use (None: this database cannot be watched, nothing is kept)."""

    def __init__(self, open_version: Callable[[], DataVersion | None], limit: int = LIMIT) -> None:
        self._open_version = open_version
        self._reader: DataVersion | None = None
        self._opened = False
        self._limit = limit
        self._version: int | None = None
        self._bodies: dict[Hashable, bytes] = {}
        self._bytes = 0

    def reader(self) -> DataVersion | None:
        """The version's reader, opened at the first use; None when there is none."""
        if not self._opened:
            self._reader = self._open_version()
            self._opened = True
        return self._reader

    def version(self) -> int | None:
        """The database's version now; None when nothing can be kept. Read it *before* reading
        the rows a body is made of."""
        reader = self.reader()
        if reader is None:
            return None
        version = reader.read()
        if version != self._version:
            self._bodies, self._bytes = {}, 0
            self._version = version
        return version

    def get(self, version: int, key: Hashable) -> bytes | None:
        """The body kept for `key` at `version` (from `version()` just now), else None."""
        if version != self._version:
            return None
        return self._bodies.get(key)

    def put(self, version: int, key: Hashable, body: bytes) -> None:
        """Keep `body`, made from rows read after `version` was."""
        if version != self._version or len(body) > MAX_BODY:
            return  # the database changed meanwhile (a later request reads again), or too big
        if len(self._bodies) >= self._limit or self._bytes + len(body) > MAX_BYTES:
            self._bodies, self._bytes = {}, 0
        old = self._bodies.get(key)
        self._bytes += len(body) - (len(old) if old is not None else 0)
        self._bodies[key] = body

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        self._reader = None
        self._opened = False
        self._bodies, self._bytes = {}, 0
