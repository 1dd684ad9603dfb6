"""Shared fixtures: settings built per test, the real app, signed requests, real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support import AK, SK, Client
from tidemill.api.app import create_app
from tidemill.config import Settings
from tidemill.runtime import Runtime, build_runtime

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own TIDEMILL_* variables must not leak into tests.
    for name in [n for n in os.environ if n.startswith("TIDEMILL_") and "TEST" not in n]:
        monkeypatch.delenv(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One real PostgreSQL per run (scripts/postgres.sh), or TIDEMILL_TEST_POSTGRES_URL."""
    given = os.environ.get("TIDEMILL_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    # Outside pytest's 0700 temp tree: the server runs as the postgres user, not as root.
    directory = Path(tempfile.mkdtemp(prefix="tidemill-pg-"))
    directory.chmod(0o755)
    script = str(ROOT / "scripts/postgres.sh")
    started = subprocess.run(
        [script, "start", str(directory / "data"), str(free_port())], capture_output=True, text=True
    )
    if started.returncode != 0:
        pytest.fail(f"could not start PostgreSQL: {started.stderr.strip()}")
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([script, "stop", str(directory / "data")], check=False)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the shared server for each test."""
    import uuid

    import sqlalchemy as sa

    name = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres_server.rsplit("/", 1)[0] + "/" + name


def make_settings(tmp_path: Path, database_url: str = "") -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, access_key=AK, secret_key=SK
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings)
    yield rt
    rt.close()


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[Client]:
    with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as test_client:
        yield Client(test_client)
