"""Files that hold secrets (key pairs, the metadata database): owner-only from their first byte.

Writing a file and then `chmod 600` leaves it readable by everybody between the two calls (and
for good when the process dies in between). Here the mode is given when the file is created:
`write_new` writes into a temporary file that `mkstemp` creates 0600, syncs it and links it into
place (`os.link` never replaces a file, so two processes racing keep the first one whole);
`create` makes an empty 0600 file with O_CREAT|O_EXCL for a program that opens it next (SQLite
keeps the database file's mode for its -wal and -shm files).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

PRIVATE = 0o600  # read and write by the owner only


def write_new(path: Path, data: bytes) -> bool:
    """Create `path` holding `data`, mode 0600, complete or not at all. False (nothing
    written) when `path` already exists: whoever made it first wins. OSError as the system
    raises it otherwise."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def create(path: Path) -> bool:
    """Create `path` empty with mode 0600 unless it exists (then it is left as it is); whether
    it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        return False
    os.close(fd)
    return True
