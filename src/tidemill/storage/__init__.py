"""Object storage for kodo buckets: a local directory per bucket, or an S3-compatible store."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tidemill.config import Settings
    from tidemill.storage.base import ObjectStore


def open_store(settings: Settings) -> ObjectStore:
    """The S3 store when `settings.s3.endpoint` is set, else directories under the data dir."""
    if settings.s3.endpoint:
        from tidemill.storage.s3 import S3Store  # imports boto3 only when S3 is configured

        s3 = settings.s3
        return S3Store(s3.endpoint, s3.access_key, s3.secret_key.get_secret_value(), s3.region)
    from tidemill.storage.local import LocalStore

    return LocalStore(settings.data_dir / "kodo")
