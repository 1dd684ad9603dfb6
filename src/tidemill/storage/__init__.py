"""Object storage for kodo buckets: directories under the data dir, or an S3-compatible store.

Either way the installation's storage is a `Kodo`, which hands out one account's buckets
(`for_account`) and nothing else: every reader and writer works on an account's view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tidemill.config import Settings, WorkerConfig
    from tidemill.storage.base import Kodo


def open_kodo(settings: Settings | WorkerConfig) -> Kodo:
    """S3 when `settings.s3.endpoint` is set (accounts use granted buckets), else the
    directories under `<data dir>/kodo/` (account A's bucket B is `kodo/A/B/`)."""
    if settings.s3.endpoint:
        from tidemill.storage.s3 import S3Store  # boto3 only when S3 is configured
        from tidemill.storage.s3_buckets import S3Kodo

        s3 = settings.s3
        return S3Kodo(
            S3Store(s3.endpoint, s3.access_key, s3.secret_key.get_secret_value(), s3.region),
            (settings.warehouse,) if settings.warehouse.startswith("s3://") else (),
        )
    from tidemill.storage.local_buckets import LocalKodo

    return LocalKodo(settings.data_dir / "kodo")
