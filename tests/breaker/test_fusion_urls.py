"""The Fusion log-list API's answer cannot point a batch at the server's own files or the
warehouse: a file url must be http(s) (sources.fusion)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest

from tidemill.config import Settings
from tidemill.core.models import AccountScope, Datasource
from tidemill.errors import BackendError
from tidemill.sources.base import Moment
from tidemill.sources.fusion import FusionSource
from tidemill.storage.registry import open_storages

AT = datetime(2024, 3, 5, 14, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


class _Answer(BaseHTTPRequestHandler):
    url: ClassVar[str] = ""

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        entry = {"name": "a.com_2024-03-05-14_part-0.gz", "size": 9, "mtime": 0, "url": self.url}
        body = json.dumps({"code": 200, "data": {"a.com": [entry]}}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "s3://warehouse/2/j/1/result.parquet", "hdfs://nn:8020/wh/x"]
)
def test_a_file_url_outside_http_is_refused(api: str, tmp_path: Path, url: str) -> None:
    _Answer.url = url
    source = FusionSource(api, open_storages(Settings(data_dir=tmp_path)))
    ds = Datasource("cdn", "nb", "fusion", {"domains": ["a.com"], "fileFilter": ""}, ())
    with pytest.raises(BackendError) as caught:
        source.list(ds, "", Moment(AT), AccountScope("a"))
    assert "not http(s)" in caught.value.message and api in caught.value.message
