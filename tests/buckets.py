"""The real app over one fresh bucket, in a local directory or on the test S3 server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.support import Client
from tidemill.api.app import create_app
from tidemill.clock import Clock
from tidemill.runtime import Runtime, build_runtime
from tidemill.storage.base import Buckets
from tidemill.store import accounts

BACKENDS = ["local", "s3"]  # parametrize a fixture with these, and pass request.param on


@dataclass
class Env:
    client: Client
    bucket: str
    put: Callable[[str, bytes], None]
    runtime: Runtime | None = None  # the app's own (its metadata, storage and sources)


@contextmanager
def bucket_env(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Clock | None = None
) -> Iterator[Env]:
    """The app with a bucket on the backend `request.param` names; the bucket is new."""
    settings = make_settings(tmp_path)
    if request.param == "s3":
        settings = settings.model_copy(update={"s3": request.getfixturevalue("s3_settings")})
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    runtime = build_runtime(settings, clock)
    store = own_bucket(runtime, bucket)
    try:
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            client = Client(http, clock=clock)
            yield Env(client, bucket, lambda key, data: store.write(bucket, key, data), runtime)
    finally:
        runtime.close()


def own_bucket(runtime: Runtime, bucket: str, account: str | None = None) -> Buckets:
    """Create `bucket` for `account` (default: the bootstrap account) and return that
    account's store: on S3 the bucket is granted to it first, as an operator would."""
    name = account or runtime.settings.account
    with runtime.db.begin() as conn:
        account_id = accounts.ensure_account(conn, name, runtime.clock.now())
        if runtime.settings.s3.endpoint:
            accounts.grant_bucket(conn, account_id, bucket, runtime.clock.now())
        store = runtime.store_for(conn, account_id)
    store.create_bucket(bucket)
    return store
