"""sources.fusion: the hours a range selects, the storage layout and the log-list API's answers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest

from tests.fusion_api import log_list_api
from tidemill.config import Settings
from tidemill.core.models import AccountScope, Datasource
from tidemill.core.variables import UserVariable
from tidemill.errors import BackendError, Failure, InvalidInputError
from tidemill.sources.base import Moment
from tidemill.sources.fusion import MAX_HOURS, FusionSource, hours
from tidemill.storage.registry import open_storages

ZONE = ZoneInfo("Asia/Shanghai")
AT = datetime(2024, 3, 5, 14, 30, tzinfo=ZONE)
BACK = {"back": UserVariable("back", "time", "$(now)-5d", "yyyy-MM-dd HH:mm"),
        "label": UserVariable("label", "string", "x", "")}  # fmt: skip


def span(start: datetime, count: int) -> list[datetime]:
    return [start + timedelta(hours=k) for k in range(count)]


def test_a_fixed_range_is_start_hour_up_to_end() -> None:
    moment = Moment(AT)
    assert hours("2024-03-01 05:00 ~ 2024-03-01 08:00", moment) == span(
        datetime(2024, 3, 1, 5, tzinfo=ZONE), 3
    )
    # start inside an hour reads that hour; an end inside one reads it too ([start, end))
    assert hours("2024-03-01 05:40 ~ 2024-03-01 07:10", moment) == span(
        datetime(2024, 3, 1, 5, tzinfo=ZONE), 3
    )
    assert hours("2024-03-01 23:00 ~ 2024-03-02 01:00", moment) == span(
        datetime(2024, 3, 1, 23, tzinfo=ZONE), 2
    )


def test_variables_are_evaluated_at_the_batch_time_and_empty_is_its_hour() -> None:
    moment = Moment(AT, user=BACK)
    got = hours("$(back) ~ $(now)", moment)
    assert got == span(datetime(2024, 2, 29, 14, tzinfo=ZONE), 5 * 24 + 1)
    assert hours("", moment) == [datetime(2024, 3, 5, 14, tzinfo=ZONE)]
    assert hours("$(now) ~ $(now)", moment) == []


@pytest.mark.parametrize(
    ("text", "failure"),
    [
        ("$(nowhere) ~ $(now)", Failure.DS_FILTER_UNDEF_VAR),
        ("$(label) ~ $(now)", Failure.DS_FILTER_STRING_VAR),
        ("2024-02-30 00:00 ~ $(now)", Failure.DS_FILTER_INVALID),
        ("yesterday ~ $(now)", Failure.DS_FILTER_INVALID),
        ("2024-03-01 00:00", Failure.DS_FILTER_INVALID),
        ("2000-01-01 00:00 ~ 2024-01-01 00:00", Failure.DS_FILTER_INVALID),
    ],
)
def test_bad_ranges_are_refused(text: str, failure: Failure) -> None:
    with pytest.raises(InvalidInputError) as exc:
        hours(text, Moment(AT, user=BACK))
    assert exc.value.failure is failure
    if "2000" in text:
        assert str(MAX_HOURS) in exc.value.message


def cdn(file_filter: str = "") -> Datasource:
    return Datasource("cdn", "nb", "fusion", {"domains": ["a.com"], "fileFilter": file_filter}, ())


def test_storage_layout_lists_only_the_hours_in_range(tmp_path: Path) -> None:
    storages = open_storages(Settings(data_dir=tmp_path))
    url = f"file://{tmp_path / 'logs'}"
    for path in ["a.com/2024-03-04/23/x.gz", "a.com/2024-03-05/00/y.gz", "a.com/2024-03-05/01/z",
                 "a.com/2024-03-05/1/odd.gz", "a.com/2024-03-05/02/deeper/w.gz",
                 "b.com/2024-03-05/00/other.gz"]:  # fmt: skip
        storages.put(f"{url}/{path}", b"x")
    source = FusionSource(url, storages)
    files = source.list(
        cdn("2024-03-04 23:00 ~ 2024-03-05 02:00"), "", Moment(AT), AccountScope("a")
    )
    assert [f.name for f in files] == [
        "a.com/2024-03-04/23/x.gz",
        "a.com/2024-03-05/00/y.gz",
        "a.com/2024-03-05/01/z",
    ]
    assert all(f.format == "fusion" for f in files)


def test_the_api_is_asked_once_per_day_and_its_files_are_read(tmp_path: Path) -> None:
    root = tmp_path / "api"
    (root / "a.com").mkdir(parents=True)
    for name in ["a.com_2024-03-04-23_part-0.gz", "a.com_2024-03-05-00_part-0.gz",
                 "a.com_2024-03-05-00_part-1.gz", "a.com_2024-03-05-05_part-0.gz"]:  # fmt: skip
        (root / "a.com" / name).write_bytes(name.encode())
    with log_list_api(root) as server:
        storages = open_storages(Settings(data_dir=tmp_path, fusion={"url": server.base}))
        source = FusionSource(server.base, storages)
        files = source.list(
            cdn("2024-03-04 23:00 ~ 2024-03-05 01:00"), "", Moment(AT), AccountScope("a")
        )
        assert [storages.read(f.uri).decode() for f in files] == [
            "a.com_2024-03-04-23_part-0.gz",
            "a.com_2024-03-05-00_part-0.gz",
            "a.com_2024-03-05-00_part-1.gz",
        ]
        assert server.asked == [("2024-03-04", "a.com"), ("2024-03-05", "a.com")]
        assert server.refused == []


class _Broken(BaseHTTPRequestHandler):
    answers: ClassVar[list[tuple[int, bytes]]] = []

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        status, body = self.answers.pop(0)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def broken() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (500, b"boom", "HTTP 500"),
        (200, b"<html>", "not JSON"),
        (200, json.dumps({"code": 400, "error": "no"}).encode(), "an error"),
        (200, json.dumps({"code": 200, "data": {"a.com": [{"name": "x"}]}}).encode(), "entry"),
    ],
)
def test_a_bad_api_answer_is_a_backend_error_naming_it(
    broken: str, tmp_path: Path, status: int, body: bytes, said: str
) -> None:
    _Broken.answers = [(status, body)]
    source = FusionSource(broken, open_storages(Settings(data_dir=tmp_path)))
    with pytest.raises(BackendError) as exc:
        source.list(cdn(), "", Moment(AT), AccountScope("a"))
    assert broken in exc.value.message and said in exc.value.message


def test_an_unreachable_api_fails_naming_it(tmp_path: Path) -> None:
    source = FusionSource("http://127.0.0.1:9", open_storages(Settings(data_dir=tmp_path)),
                          timeout=2)  # fmt: skip
    with pytest.raises(BackendError) as exc:
        source.list(cdn(), "", Moment(AT), AccountScope("a"))
    assert "http://127.0.0.1:9/v2/tune/log/list" in exc.value.message
