"""Flushing files to disk while another thread (DuckDB's COPY) still writes them.

A file that is published durably is fsynced first (`Storage.upload`, `Buckets.upload`); that
fsync waits for every byte still only in the page cache. Flushed as the file grows, the
final fsync finds little left, and the disk works while the writer computes instead of after
(an 8 MB result: ~5 ms of fsync on this machine's disk; a 79 MB export: ~60 ms).
docs/performance.md, "Parquet export vs plain DuckDB COPY" and "GROUP BY ... (session 5)".
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def written_back(directory: Path, every: float, first: float | None = None) -> Iterator[None]:
    """While the block runs, every `every` seconds, flush (`fdatasync`) each file under
    `directory` that grew since it was last flushed; every `first` seconds (default `every`)
    until a file there has data (each look costs ~0.1 ms of CPU here: a query that writes its
    output at its end need not pay for looks at an empty directory). The files stay in the
    page cache (a remote upload reads them again). Errors are ignored: the publish's own fsync
    reports what matters. The thread is joined when the block ends."""
    done = threading.Event()
    flushed: dict[str, int] = {}  # path -> size when last flushed

    def flush_grown() -> None:
        for folder, _, files in os.walk(directory):
            for name in files:
                path = os.path.join(folder, name)
                try:
                    size = os.stat(path).st_size
                    if size == flushed.get(path, 0):
                        continue  # nothing new: no call, no disk cache flush
                    fd = os.open(path, os.O_RDONLY)
                except OSError:
                    continue  # renamed or removed meanwhile: nothing to flush
                try:
                    os.fdatasync(fd)
                    flushed[path] = size
                except OSError:
                    pass
                finally:
                    os.close(fd)

    def run() -> None:
        while not done.wait(every if flushed else (first or every)):
            flush_grown()

    flusher = threading.Thread(target=run, name="tidemill-writeback", daemon=True)
    flusher.start()
    try:
        yield
    finally:
        done.set()
        flusher.join()
