"""A fresh account on the shared served server for each test, with a bucket of CDN rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.served import Served
from tidemill.config import Settings
from tidemill.runtime import build_runtime
from tidemill.services.accounts import create_key

SCHEMA = [
    {"key": "url", "valtype": "string", "required": True},
    {"key": "bytes", "valtype": "long"},
]
ROWS = [{"url": "/a", "bytes": 10}, {"url": "/b", "bytes": 5}, {"url": "/a", "bytes": 7}]
BUCKET, OUT_BUCKET = "bkt1", "outb1"


@dataclass(frozen=True)
class Account:
    name: str
    endpoint: str
    access_key: str
    secret_key: str
    data_dir: Path


def new_account(served: Served, name: str) -> Account:
    """Account `name` (a new key pair in the served store) with bkt1/cdn/a.json and outb1."""
    runtime = build_runtime(Settings(data_dir=served.data_dir))
    try:
        pair = create_key(runtime, name)
    finally:
        runtime.close()
    root = served.data_dir / "kodo" / name
    (root / BUCKET / "cdn").mkdir(parents=True)
    (root / BUCKET / "cdn" / "a.json").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    (root / OUT_BUCKET).mkdir()
    return Account(name, served.url, pair.access_key, pair.secret_key, served.data_dir)


def datasource_body(prefix: str = "cdn/") -> dict[str, Any]:
    return {
        "region": "nb", "type": "kodo", "noVerifySchema": True, "schema": SCHEMA,
        "spec": {"bucket": BUCKET, "keyPrefixes": [prefix], "fileType": "json"},
    }  # fmt: skip


def job_body(code: str, source: str = "logs", **extra: Any) -> dict[str, Any]:
    return {
        "srcs": [{"name": source, "type": "DataSource", "tableName": "logs"}],
        "computation": {"type": "sql", "code": code},
        "container": {"type": "1U2G", "count": 1},
        "scheduler": {"type": "manual"},
        **extra,
    }


def closed_port() -> int:
    """A loopback port nothing listens on (an http export to it keeps a batch Running while
    the exporter retries)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
