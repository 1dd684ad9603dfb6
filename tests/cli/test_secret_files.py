"""Files holding secrets are never readable by others, not even for a moment: the demo key
pair (`tidemill demo`, `make run`) and the SQLite metadata database (it holds the accounts'
secret keys and alert secrets)."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tidemill.cli import CREDENTIALS_FILE, _demo_credentials
from tidemill.config import Settings
from tidemill.runtime import build_runtime
from tidemill.services.accounts import find_key

_watched: list[tuple[Path, list[int]]] = []


def _audit(event: str, args: Any) -> None:
    """Every audited call (open, chmod, link, ...) of the process: the modes `path` had."""
    for path, modes in _watched:
        with contextlib.suppress(OSError):
            modes.append(stat.S_IMODE(os.stat(path).st_mode))


sys.addaudithook(_audit)  # cannot be removed: inert once nothing is watched


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual umask: plain files come out 0644
    try:
        yield
    finally:
        os.umask(old)


def test_the_demo_key_file_is_owner_only_from_its_first_moment(
    tmp_path: Path, loose_umask: None
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir()
    path = settings.data_dir / CREDENTIALS_FILE
    modes: list[int] = []
    _watched.append((path, modes))
    try:
        access_key, secret_key = _demo_credentials(settings)
    finally:
        _watched.clear()
    again = _demo_credentials(settings)
    runtime = build_runtime(settings)
    try:
        known = find_key(runtime, access_key)
    finally:
        runtime.close()

    assert modes, "the key file was never seen"
    assert {oct(m) for m in modes} == {"0o600"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"accessKey": access_key, "secretKey": secret_key}
    assert again == (access_key, secret_key) and known is not None
    assert [p.name for p in settings.data_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_the_metadata_database_and_its_wal_are_owner_only(
    tmp_path: Path, loose_umask: None
) -> None:
    settings = Settings(data_dir=tmp_path / "data", access_key="AK", secret_key="SK" * 10)
    runtime = build_runtime(settings)
    try:
        with runtime.db.connect():
            files = sorted(settings.data_dir.glob("tidemill.db*"))
            modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    finally:
        runtime.close()

    assert "tidemill.db" in modes and "tidemill.db-wal" in modes
    assert set(modes.values()) == {"0o600"}, modes
