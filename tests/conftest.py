"""Shared fixtures: per-test settings, the real app, signed requests, real PostgreSQL and S3."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tests.support import AK, SK, Client
from tidemill.api.app import create_app
from tidemill.config import FusionSettings, S3Settings, Settings
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


_migrated: list[Path] = []  # the SQLite template, made on first use


def _migrated_sqlite() -> Path:
    """A SQLite metadata database migrated to head by `store.db.open_database` — once per
    run: each test's database is a copy of it. Migrating costs ~0.3-0.9 s a time (alembic on
    this machine) and thousands of tests open a fresh database; a copy is ~1 ms and holds
    exactly what the migration wrote. tests/store runs the migrations themselves."""
    if _migrated:
        return _migrated[0]
    import atexit

    from tidemill.store.db import open_database

    directory = Path(tempfile.mkdtemp(prefix="tidemill-template-"))
    atexit.register(shutil.rmtree, directory, True)
    path = directory / "tidemill.db"
    open_database(f"sqlite:///{path}").dispose()
    # The last connection's close checkpoints the WAL into the file: the file is all of it.
    assert not path.with_name(path.name + "-wal").exists()
    _migrated.append(path)
    return path


def make_settings(tmp_path: Path, database_url: str = "") -> Settings:
    """Settings over `tmp_path`; fusion logs (none unless a test puts some) under `cdn/`;
    TIDEMILL_TEST_ENGINE (duckdb, spark, auto) picks the engine, so the API tests can run on
    Spark too. Without `database_url` the data directory starts with a freshly migrated SQLite
    database (a copy of `_migrated_sqlite()`), as `build_runtime` would leave it."""
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, access_key=AK, secret_key=SK,
        fusion=FusionSettings(url=f"file://{(tmp_path / 'cdn').resolve()}"),
        engine=os.environ.get("TIDEMILL_TEST_ENGINE", "duckdb"),
    )  # fmt: skip
    if not database_url:
        database = settings.data_dir / "tidemill.db"
        if not database.exists():
            database.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_migrated_sqlite(), database)
            database.chmod(0o600)  # as store.db creates it: it holds secret keys
    return settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


# Buckets the bootstrap account owns in every test: most request bodies name them, and a kodo
# export to a missing bucket is refused (kind 7). Tests of missing buckets use other names.
OWN_BUCKETS = ("bkt1", "bkt2", "outb")


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings)
    for bucket in OWN_BUCKETS:
        (settings.data_dir / "kodo" / settings.account / bucket).mkdir(parents=True, exist_ok=True)
    yield rt
    rt.close()


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> Iterator[Client]:
    with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as test_client:
        yield Client(test_client)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Settings]:
    """One real SeaweedFS S3 server per run (scripts/seaweedfs.sh), or an endpoint given as
    TIDEMILL_TEST_S3_ENDPOINT with TIDEMILL_TEST_S3_ACCESS_KEY / _SECRET_KEY / _REGION."""
    given = os.environ.get("TIDEMILL_TEST_S3_ENDPOINT")
    if given:
        yield S3Settings(
            endpoint=given,
            access_key=os.environ.get("TIDEMILL_TEST_S3_ACCESS_KEY", ""),
            secret_key=SecretStr(os.environ.get("TIDEMILL_TEST_S3_SECRET_KEY", "")),
            region=os.environ.get("TIDEMILL_TEST_S3_REGION", "us-east-1"),
        )
        return
    directory = Path(tempfile.mkdtemp(prefix="tidemill-s3-"))
    script = str(ROOT / "scripts/seaweedfs.sh")
    started = subprocess.run(
        [script, "start", str(directory), str(free_port())], capture_output=True, text=True
    )
    if started.returncode != 0:
        subprocess.run([script, "stop", str(directory)], check=False)
        shutil.rmtree(directory, ignore_errors=True)
        pytest.fail(f"could not start SeaweedFS: {started.stderr.strip()}")
    values = dict(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
    try:
        yield S3Settings(
            endpoint=values["TIDEMILL_S3__ENDPOINT"],
            access_key=values["TIDEMILL_S3__ACCESS_KEY"],
            secret_key=SecretStr(values["TIDEMILL_S3__SECRET_KEY"]),
        )
    finally:
        subprocess.run([script, "stop", str(directory)], check=False)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def s3_settings(s3_server: S3Settings) -> Iterator[S3Settings]:
    """The shared S3 server; buckets a test creates are emptied and removed after it."""
    import boto3

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=s3_server.endpoint,
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key.get_secret_value(),
        region_name=s3_server.region,
    )
    before = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    yield s3_server
    for bucket in client.list_buckets().get("Buckets", []):
        if bucket["Name"] in before:
            continue
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=bucket["Name"], Key=item["Key"])
        client.delete_bucket(Bucket=bucket["Name"])
    client.close()


def _service(script: str, prefix: str, what: str) -> Iterator[str]:
    """Start scripts/<script> in a fresh directory on a free port; yield its URL; stop it."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    path = str(ROOT / "scripts" / script)
    started = subprocess.run(
        [path, "start", str(directory), str(free_port())], capture_output=True, text=True
    )
    if started.returncode != 0:
        subprocess.run([path, "stop", str(directory)], check=False)
        shutil.rmtree(directory, ignore_errors=True)
        pytest.fail(f"could not start {what}: {started.stderr.strip()[-2000:]}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([path, "stop", str(directory)], check=False)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def influxdb_url() -> Iterator[str]:
    """One real InfluxDB 1.x per run (scripts/influxdb.sh), or TIDEMILL_TEST_INFLUXDB_URL."""
    given = os.environ.get("TIDEMILL_TEST_INFLUXDB_URL")
    if given:
        yield given
        return
    yield from _service("influxdb.sh", "tidemill-influx-", "InfluxDB")


@pytest.fixture(scope="session")
def opensearch_url() -> Iterator[str]:
    """One real OpenSearch node per run (scripts/opensearch.sh), or TIDEMILL_TEST_OPENSEARCH_URL."""
    given = os.environ.get("TIDEMILL_TEST_OPENSEARCH_URL")
    if given:
        yield given
        return
    yield from _service("opensearch.sh", "tidemill-opensearch-", "OpenSearch")


@pytest.fixture(scope="session")
def hdfs_url() -> Iterator[str]:
    """One real HDFS per run (scripts/hdfs.sh: a MiniDFSCluster), started by the first test that
    asks for it, or the namenode given as TIDEMILL_TEST_HDFS_URL (hdfs://host:port)."""
    given = os.environ.get("TIDEMILL_TEST_HDFS_URL")
    if given:
        yield given.rstrip("/")
        return
    directory = Path(tempfile.mkdtemp(prefix="tidemill-hdfs-"))
    script, port = str(ROOT / "scripts/hdfs.sh"), free_port()
    started = subprocess.run([script, "start", str(directory), str(port)], capture_output=True)
    try:
        if started.returncode != 0:
            pytest.fail(f"could not start HDFS: {started.stderr.decode().strip()[-2000:]}")
        # The script's promise: exactly one line, the namenode's URL.
        assert started.stdout == f"hdfs://127.0.0.1:{port}\n".encode(), started.stdout
        yield f"hdfs://127.0.0.1:{port}"
    finally:
        subprocess.run([script, "stop", str(directory)], check=False)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def served_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One real `tidemill serve` for the client and CLI tests (tests/client, tests/cli),
    started on first use; each test takes its own account (tests/client/accounts.py)."""
    from tests.served import Served

    data = tmp_path_factory.mktemp("served-api") / "data"
    data.mkdir()
    server = Served(data)
    try:
        server.start(timeout=120)  # a loaded machine (2 cores, many agents) starts it slowly
        yield server
    finally:
        server.stop()
