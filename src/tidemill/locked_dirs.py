"""Private directories held by a lock of their process, and the sweep of those whose process died.

A process that makes scratch directories outside any run (local buckets' input pins, the DuckDB
engine's kept area) cannot be told dead from the metadata store: it holds a shared `flock` on
the directory for as long as it uses it, and a sweep removes only directories it can lock
exclusively (their process ended: kill -9, a machine crash). The lock is taken before the
directory gets its final name (`make`): a sweep never sees a live directory unlocked.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from contextlib import suppress
from pathlib import Path

GRACE = 600.0  # seconds a directory may keep its making name before a sweep removes it


def make(parent: Path, prefix: str, making_prefix: str) -> tuple[Path, int]:
    """A new directory `<parent>/<prefix><uuid>` (mode 0700) and a descriptor of it holding a
    shared lock; closing the descriptor releases it. Made as `<making_prefix><uuid>`, locked,
    then renamed (the lock goes with it). OSError as the system raises it; nothing is left."""
    name = uuid.uuid4().hex
    making, directory = parent / f"{making_prefix}{name}", parent / f"{prefix}{name}"
    os.mkdir(making, 0o700)
    try:
        lock = os.open(making, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        with suppress(OSError):
            os.rmdir(making)
        raise
    try:
        fcntl.flock(lock, fcntl.LOCK_SH)
        os.rename(making, directory)
    except OSError:
        os.close(lock)
        with suppress(OSError):
            os.rmdir(making)
        raise
    return directory, lock


def sweep(parent: Path, prefix: str, making_prefix: str) -> list[str]:
    """Remove the directories `<parent>/<prefix>*` no process holds locked (`make`), and those
    left under `<making_prefix>*` for GRACE seconds (their maker died before locking); the
    names removed, sorted. Any other name, a link, a locked directory: left alone."""
    try:
        entries = [
            e
            for e in os.scandir(parent)
            if e.name.startswith(prefix) or _abandoned(e, making_prefix)
        ]
    except FileNotFoundError:
        return []
    removed: list[str] = []
    for entry in entries:
        try:
            lock = os.open(entry.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue  # gone, or not a directory (a link is never followed)
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # in use
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.name)
        finally:
            os.close(lock)
    return sorted(removed)


def _abandoned(entry: os.DirEntry[str], making_prefix: str) -> bool:
    """A directory being made whose maker died before renaming it: one unchanged for GRACE
    (making one takes microseconds; its lock is not yet held)."""
    if not entry.name.startswith(making_prefix):
        return False
    try:
        return time.time() - entry.stat(follow_symlinks=False).st_mtime > GRACE
    except OSError:
        return False
