"""A symbolic link inside an account's local bucket does not lead its jobs out of the bucket:
into another account's bucket or to any file of the server (storage.local_buckets)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tidemill.core.models import AccountScope, Datasource
from tidemill.errors import Failure, InvalidInputError
from tidemill.sources.base import Moment
from tidemill.sources.kodo import KodoSource
from tidemill.storage.local_buckets import LocalKodo

AT = datetime(2024, 3, 5, 14, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_links_out_of_a_bucket_are_neither_listed_read_nor_written(tmp_path: Path) -> None:
    kodo = LocalKodo(tmp_path / "kodo")
    mallory = kodo.for_account(AccountScope("mallory"))
    alice = kodo.for_account(AccountScope("alice"))
    mallory.create_bucket("logs")
    alice.create_bucket("payroll")
    alice.write("payroll", "2024/salaries.json", b'{"who": "alice"}\n')
    (tmp_path / "server.conf").write_bytes(b"secret=1\n")
    mallory.write("logs", "a.json", b"{}\n")
    bucket = tmp_path / "kodo" / "mallory" / "logs"
    (bucket / "peek").symlink_to(tmp_path / "kodo" / "alice" / "payroll")
    (bucket / "conf.json").symlink_to(tmp_path / "server.conf")
    (bucket / "inside.json").symlink_to(bucket / "a.json")  # stays in the bucket: fine

    assert [o.key for o in mallory.list("logs")] == ["a.json", "inside.json"]
    spec = {"bucket": "logs", "fileType": "json"}
    files = KodoSource(kodo).list(
        Datasource("d", "nb", "kodo", spec, ()), "", Moment(AT), AccountScope("mallory")
    )
    assert [f.name for f in files] == ["logs/a.json", "logs/inside.json"]
    assert mallory.read("logs", "inside.json") == b"{}\n"
    reach: list[Callable[[], object]] = [
        lambda: mallory.read("logs", "peek/2024/salaries.json"),
        lambda: mallory.open_read("logs", "conf.json"),
        lambda: mallory.local_path("logs", "conf.json"),
        lambda: mallory.write("logs", "peek/2024/salaries.json", b"overwritten"),
        lambda: mallory.delete("logs", "peek/2024/salaries.json"),
        lambda: mallory.upload("logs", "peek/new.json", tmp_path / "server.conf"),
    ]
    for attempt in reach:
        with pytest.raises(InvalidInputError) as caught:
            attempt()
        assert caught.value.failure is Failure.DS_PATH_ILLEGAL
        assert "symbolic link" in caught.value.message
    assert alice.read("payroll", "2024/salaries.json") == b'{"who": "alice"}\n'
    assert [o.key for o in alice.list("payroll")] == ["2024/salaries.json"]
