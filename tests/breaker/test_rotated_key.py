"""The API kept every access key it had looked up for the life of the process ("keys are only
ever added"), but a key's secret is replaced whenever a runtime starts with the bootstrap keys
set (`build_runtime` puts TIDEMILL_ACCESS_KEY/TIDEMILL_SECRET_KEY, replacing the stored secret):
an operator rotating a leaked secret by starting the CLI or another node with the new one, or
deleting the key's row, left the old secret accepted by every running server until it
restarted. A key's secret is now read again once the database has changed (SQLite: its
`data_version`), and at most a second after it was read where that cannot be seen."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.support import AK, SK, Client
from tidemill.api import auth
from tidemill.api.app import create_app
from tidemill.config import Settings
from tidemill.runtime import build_runtime

NEW_SK = "sk_rotated_0123456789abcdefghijklmn"


def _rotate(tmp_path: Path, secret: str) -> None:
    """What `TIDEMILL_SECRET_KEY=<new> tidemill ...` does to the shared database."""
    settings = make_settings(tmp_path)
    other = build_runtime(Settings(**{**settings.model_dump(), "secret_key": secret}))
    other.close()


def test_a_rotated_secret_stops_working_at_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    runtime = build_runtime(settings)
    with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
        old, new = Client(http), Client(http, AK, NEW_SK)
        assert old.get("/v2/jobs").status_code == 200
        assert new.get("/v2/jobs").status_code == 401

        _rotate(tmp_path, NEW_SK)
        assert old.get("/v2/jobs").status_code == 401
        assert new.get("/v2/jobs").status_code == 200

        database = str(runtime.db.url.database)
        other = sqlite3.connect(database)
        other.execute("delete from access_keys where access_key = ?", (AK,))
        other.commit()
        other.close()
        assert new.get("/v2/jobs").status_code == 401
    runtime.close()


def test_without_a_data_version_a_key_is_read_again_after_a_second(
    tmp_path: Path, monkeypatch: object
) -> None:
    settings = make_settings(tmp_path)
    runtime = build_runtime(settings)
    cache = auth.KeyCache(runtime)
    pair = cache.known(AK, None)
    assert pair is None  # never read yet
    import asyncio

    found = asyncio.run(cache.get(AK, None))
    assert found is not None and found.secret_key == SK
    assert cache.known(AK, None) == found
    _rotate(tmp_path, NEW_SK)
    assert cache.known(AK, None) == found  # within its second: kept
    time.sleep(auth.KEY_SECONDS + 0.05)
    assert cache.known(AK, None) is None  # read again
    again = asyncio.run(cache.get(AK, None))
    assert again is not None and again.secret_key == NEW_SK
    runtime.close()
