"""`LocalBuckets.local_path` pins the key's file by a hard link made by path and checked to be
the opened file's inode. For a key that is itself a symbolic link (leading inside the bucket,
which is allowed), Python's `os.link` on Linux links the *link*, not the file: the pin was a
symbolic link, the inode check (which followed it) passed, and the engine read the pinned path
later by following the link's text again. A directory on that path swapped for a link to
another account's bucket after the pin had the engine read that account's file. The pin is
now the opened file itself (linked from where it really is, never a link), else a copy."""

from __future__ import annotations

import os
from pathlib import Path

from tidemill.core.models import AccountScope
from tidemill.storage.local_buckets import LocalKodo


def test_a_key_that_is_a_link_is_pinned_as_the_file_it_opened(tmp_path: Path) -> None:
    kodo = LocalKodo(tmp_path / "kodo")
    mallory = kodo.for_account(AccountScope("mallory"))
    alice = kodo.for_account(AccountScope("alice"))
    mallory.create_bucket("logs")
    alice.create_bucket("payroll")
    alice.write("payroll", "a.json", b'{"who": "alice"}\n')
    mallory.write("logs", "real/a.json", b'{"who": "mallory"}\n')
    bucket = tmp_path / "kodo" / "mallory" / "logs"
    (bucket / "day").mkdir()
    os.symlink(bucket / "real" / "a.json", bucket / "day" / "a.json")  # inside the bucket

    with mallory.local_path("logs", "day/a.json") as pinned:
        os.rename(bucket / "real", bucket / "real-aside")
        os.symlink(tmp_path / "kodo" / "alice" / "payroll", bucket / "real")
        assert not pinned.is_symlink()
        assert pinned.read_bytes() == b'{"who": "mallory"}\n'
        # a link of the file itself, not a copy
        assert pinned.stat().st_ino == (bucket / "real-aside" / "a.json").stat().st_ino


def test_a_plain_key_is_still_pinned_by_a_hard_link(tmp_path: Path) -> None:
    kodo = LocalKodo(tmp_path / "kodo")
    mallory = kodo.for_account(AccountScope("mallory"))
    mallory.create_bucket("logs")
    mallory.write("logs", "day/a.json", b"{}\n")
    with mallory.local_path("logs", "day/a.json") as pinned:
        original = tmp_path / "kodo" / "mallory" / "logs" / "day" / "a.json"
        assert not pinned.is_symlink() and pinned.stat().st_ino == original.stat().st_ino
