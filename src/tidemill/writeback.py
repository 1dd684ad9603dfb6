"""Flushing files to disk while another thread (DuckDB's COPY) still writes them.

A file that is published durably is fsynced first (`Storage.upload`, `Buckets.upload`); that
fsync waits for every byte still only in the page cache. Flushed as the file grows, the
final fsync finds little left, and the disk works while the writer computes instead of after
(an 8 MB result: ~5 ms of fsync on this machine's disk; a 79 MB export: ~60 ms).
docs/performance.md, "Parquet export vs plain DuckDB COPY" and "GROUP BY ... (session 5)".

One thread per process does the flushing for every block (`written_back`), started with the
first block and kept: a thread started and joined per block cost every batch ~0.12 ms of its
own thread's CPU and as much again on the new thread (docs/performance.md, "session 7,
workerpath").
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(eq=False)
class _Watch:
    """One block's directory: looked at every `every` seconds once a file there has data,
    every `first` seconds until then; `due` (time.monotonic) is its next look."""

    directory: Path
    every: float
    first: float
    due: float
    flushed: dict[str, int] = field(default_factory=dict)  # path -> size when last flushed
    active: bool = True  # False once its block ended: no file is opened for it after that

    def flush_grown(self, lock: threading.Condition) -> None:
        """Flush the files that grew. Each is opened under `lock` while the watch is still
        active (`_Flusher.remove` clears it under the same lock), its `fdatasync` runs
        outside it: a block that ends does not wait for a flush under way."""
        for folder, _, files in os.walk(self.directory):
            for name in files:
                path = os.path.join(folder, name)
                try:
                    size = os.stat(path).st_size
                    if size == self.flushed.get(path, 0):
                        continue  # nothing new: no call, no disk cache flush
                    with lock:
                        if not self.active:
                            return
                        fd = os.open(path, os.O_RDONLY)
                except OSError:
                    continue  # renamed or removed meanwhile: nothing to flush
                try:
                    os.fdatasync(fd)
                    self.flushed[path] = size
                except OSError:
                    pass
                finally:
                    os.close(fd)


class _Flusher:
    """The process's flushing thread and the blocks' directories it looks at. Its lock guards
    the list and each file's opening, not the flush itself: a block that ends (`remove`) waits
    for no `fdatasync` under way (at load one takes up to ~55 ms, and the end of a batch's
    COPY waited 0.4-4 ms for one in some batches: docs/performance.md, "session 8,
    groupby8"); no file is opened for the block after that."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._watches: list[_Watch] = []
        self._pid = 0  # the process the thread runs in (a forked child starts its own)

    def add(self, watch: _Watch) -> None:
        with self._changed:
            self._watches.append(watch)
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._serve, name="tidemill-writeback", daemon=True).start()
            else:
                self._changed.notify()

    def remove(self, watch: _Watch) -> None:
        with self._changed:  # `flush_grown` opens each file under it
            watch.active = False
            self._watches.remove(watch)

    def _serve(self) -> None:
        while True:
            lock = self._changed
            with lock:
                if not self._watches:
                    lock.wait()
                    continue
                now = time.monotonic()
                due = min(w.due for w in self._watches)
                if due > now:
                    lock.wait(due - now)
                    continue
                ready = [w for w in self._watches if w.due <= now]
            for watch in ready:
                watch.flush_grown(lock)
                watch.due = time.monotonic() + (watch.every if watch.flushed else watch.first)

    def forget(self) -> None:
        """In a forked child: no thread runs there, and the lock may have been held by it."""
        self._changed = threading.Condition()
        self._watches = []
        self._pid = 0


_FLUSHER = _Flusher()
os.register_at_fork(after_in_child=_FLUSHER.forget)


@contextmanager
def written_back(directory: Path, every: float, first: float | None = None) -> Iterator[None]:
    """While the block runs, every `every` seconds, flush (`fdatasync`) each file under
    `directory` that grew since it was last flushed; every `first` seconds (default `every`)
    until a file there has data (each look costs ~10 µs of CPU here: a query that writes its
    output at its end need not pay for many looks at an empty directory). The files stay in the
    page cache (a remote upload reads them again). Errors are ignored: the publish's own fsync
    reports what matters. When the block ends no file under `directory` is opened for a flush
    any more; one opened before may still be in its `fdatasync` (harmless: the publish's own
    fsync waits for the same pages), the block does not wait for it (the process's one
    flushing thread, `_Flusher`, goes on waiting for blocks)."""
    start = first or every
    watch = _Watch(directory, every, start, time.monotonic() + start)
    _FLUSHER.add(watch)
    try:
        yield
    finally:
        _FLUSHER.remove(watch)
