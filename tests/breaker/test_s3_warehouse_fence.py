"""A granted S3 bucket that also holds the warehouse does not open the warehouse to the account:
its keys under the warehouse prefix are neither listed, read nor written (storage.s3_buckets),
so kodo datasources and kodo exports cannot reach another account's results."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tidemill.config import S3Settings, Settings, WorkerConfig
from tidemill.errors import Failure, InvalidInputError, NotFoundError
from tidemill.storage import open_kodo
from tidemill.storage.base import AccountScope
from tidemill.storage.s3_buckets import S3Kodo

pytestmark = pytest.mark.s3


@pytest.mark.parametrize("process", ["service", "worker"])
def test_the_warehouse_part_of_a_granted_bucket_is_out_of_reach(
    s3_settings: S3Settings, tmp_path: Path, process: str
) -> None:
    shared = f"shared-{uuid.uuid4().hex[:10]}"
    settings = Settings(data_dir=tmp_path, s3=s3_settings, warehouse_url=f"s3://{shared}/wh")
    config = settings if process == "service" else WorkerConfig.of(settings)
    kodo = open_kodo(config)
    assert isinstance(kodo, S3Kodo)
    view = kodo.for_account(AccountScope("mallory", frozenset({shared})))
    view.create_bucket(shared)
    view.write(shared, "logs/a.json", b"{}\n")
    secret = "wh/2/payroll/1/result.parquet"
    kodo.store.write(shared, secret, b"PAR1 theirs")
    assert [o.key for o in view.list(shared)] == ["logs/a.json"]
    assert [o.key for o in view.list(shared, "wh/")] == []
    reach: list[Callable[[], object]] = [
        lambda: view.read(shared, secret),
        lambda: view.open_read(shared, secret),
        lambda: view.write(shared, secret, b"overwritten"),
        lambda: view.delete(shared, secret),
        lambda: view.upload(shared, "wh/2/x.csv", tmp_path / "nothing"),
    ]
    for attempt in reach:
        with pytest.raises(InvalidInputError) as caught:
            attempt()
        assert caught.value.failure is Failure.DS_PATH_ILLEGAL
        assert "warehouse" in caught.value.message
    assert kodo.store.read(shared, secret) == b"PAR1 theirs"


def test_a_bucket_that_is_the_warehouse_is_not_usable_even_when_granted(
    s3_settings: S3Settings, tmp_path: Path
) -> None:
    bucket = f"wh-{uuid.uuid4().hex[:10]}"
    settings = Settings(data_dir=tmp_path, s3=s3_settings, warehouse_url=f"s3://{bucket}")
    kodo = open_kodo(settings)
    assert isinstance(kodo, S3Kodo)
    kodo.store.create_bucket(bucket)
    view = kodo.for_account(AccountScope("mallory", frozenset({bucket})))
    assert not view.can_use(bucket) and not view.bucket_exists(bucket)
    with pytest.raises(NotFoundError):
        list(view.list(bucket))
