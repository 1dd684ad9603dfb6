"""A result published whole is not failed by the clean-up after it.

`storage.staging` completes a large result's multipart upload under the lease, then aborts the
uploads other attempts left at its key, found by ListMultipartUploads. An S3 endpoint that
refuses that listing (a key allowed only to put and get objects: AccessDenied; a store without
it: NotImplemented) failed the batch after its result was published: the attempt was reported
as failed (and undone, and run again) for a clean-up that is best effort. Real SeaweedFS behind
a proxy that refuses only ListMultipartUploads (everything else is forwarded byte for byte).
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest

from tests.runner.test_upload_outside_lease import big_file
from tests.throttle import UploadListingProxy
from tidemill.config import S3Settings
from tidemill.engines.base import UNFENCED
from tidemill.storage.s3 import S3Store
from tidemill.storage.s3_files import S3Files
from tidemill.storage.staging import publish_file

REFUSAL = (
    b"HTTP/1.1 501 Not Implemented\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n%s"
)
BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code>'
    b"<Message>ListMultipartUploads is not implemented</Message></Error>"
)


class NoUploadListing(UploadListingProxy):
    """Answers ListMultipartUploads itself with NotImplemented."""

    def on_listing(self, client: socket.socket) -> None:
        client.sendall(REFUSAL % (len(BODY), BODY))


@pytest.mark.s3
def test_a_result_published_whole_stays_published_when_the_listing_is_refused(
    s3_settings: S3Settings, tmp_path: Path
) -> None:
    secret = s3_settings.secret_key.get_secret_value()
    direct = S3Store(s3_settings.endpoint, s3_settings.access_key, secret)
    bucket = f"wh-{uuid.uuid4().hex[:10]}"
    direct.create_bucket(bucket)
    proxy = NoUploadListing(s3_settings.endpoint)
    try:
        s3 = S3Store(proxy.endpoint, s3_settings.access_key, secret)
        uri = f"s3://{bucket}/1/j/1/result.parquet"
        publish_file(S3Files(s3), uri, big_file(tmp_path / "w"), UNFENCED)  # no error
        assert proxy.listings >= 1  # the clean-up was tried, and refused
    finally:
        proxy.close()
    found = direct.stat(bucket, "1/j/1/result.parquet")
    assert found is not None and found.size > 5 * 1024 * 1024
