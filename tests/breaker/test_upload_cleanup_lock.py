"""The clean-up after a large result's upload holds no database lock while it talks to S3.

`storage.staging` completes a result's multipart upload under the lease (the fence's
transaction: on SQLite the whole database's write lock), then lists the key's other unfinished
uploads and aborts them, best effort. The listing and the aborts ran inside the commit, so
inside that transaction: an endpoint slow to list (or silent) held every write of the node for
read_timeout x attempts (45 s by default; SQLite's busy timeout is 10 s, a lease 30 s). The
clean-up needs no lock (while this attempt publishes, it holds the batch: other uploads at the
key are dead or stale attempts'), so it runs after the transaction. Real SeaweedFS behind a
proxy that never answers ListMultipartUploads (everything else forwarded byte for byte).
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from tests.runner.test_upload_outside_lease import NOW, OWNER, big_file, fence, with_batch
from tests.throttle import UploadListingProxy
from tidemill.config import S3Settings, Settings
from tidemill.runtime import build_runtime
from tidemill.storage.s3 import S3Store
from tidemill.storage.s3_files import S3Files
from tidemill.storage.staging import publish_file
from tidemill.store import batches as store

READ_TIMEOUT = 1.5  # seconds an S3 call waits for an answer


@pytest.mark.s3
def test_the_nodes_writes_go_on_while_the_clean_up_waits_for_s3(
    s3_settings: S3Settings, tmp_path: Path
) -> None:
    rt = with_batch(build_runtime(Settings(data_dir=tmp_path / "data")))
    secret = s3_settings.secret_key.get_secret_value()
    direct = S3Store(s3_settings.endpoint, s3_settings.access_key, secret)
    bucket = f"wh-{uuid.uuid4().hex[:10]}"
    direct.create_bucket(bucket)
    proxy = UploadListingProxy(s3_settings.endpoint)  # never answers a listing
    try:
        s3 = S3Store(proxy.endpoint, s3_settings.access_key, secret, read_timeout=READ_TIMEOUT)
        uri = f"s3://{bucket}/1/j/1/result.parquet"
        source = big_file(tmp_path / "w")
        publishing = threading.Thread(
            target=publish_file, args=(S3Files(s3), uri, source, fence(rt))
        )
        publishing.start()
        deadline = time.monotonic() + 60
        while proxy.listings == 0 and publishing.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proxy.listings >= 1, "the clean-up never listed"
        started = time.monotonic()
        with rt.db.begin() as conn:  # the node's lease renewal
            store.renew_lease(conn, 1, "j", 1, OWNER, NOW + timedelta(seconds=30))
        waited = time.monotonic() - started
        publishing.join()
    finally:
        proxy.close()
    rt.close()
    found = direct.stat(bucket, "1/j/1/result.parquet")
    assert found is not None and found.size > 5 * 1024 * 1024  # published
    assert waited < 1, f"the lease renewal waited {waited:.1f} s for the clean-up's S3 calls"
