"""A key prefix climbing out of a local bucket (a runtime value put into a datasource's
keyPrefixes or fileFilter) is refused in the bucket's terms: the message never shows the
server's directories (storage.local_buckets)."""

from __future__ import annotations

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


@pytest.mark.parametrize(
    ("prefix", "file_filter"),
    [("$(p)", ""), ("", "$(p)"), ("x/", "../*"), ("", "$(p)*.json")],
)
def test_a_prefix_climbing_out_is_refused_without_the_servers_path(
    tmp_path: Path, prefix: str, file_filter: str
) -> None:
    kodo = LocalKodo(tmp_path / "kodo")
    kodo.for_account(AccountScope("alice")).create_bucket("payroll")
    kodo.for_account(AccountScope("mallory")).create_bucket("logs")
    spec = {"bucket": "logs", "keyPrefixes": [prefix], "fileType": "json"}
    moment = Moment(AT, runtime={"p": "../../alice/payroll/"})
    with pytest.raises(InvalidInputError) as caught:
        KodoSource(kodo).list(
            Datasource("d", "nb", "kodo", spec, ()), file_filter, moment, AccountScope("mallory")
        )
    assert caught.value.failure is Failure.DS_PATH_ILLEGAL
    assert str(tmp_path) not in caught.value.message, caught.value.message
    assert "'logs'" in caught.value.message


def test_a_prefix_ending_in_dots_still_selects_keys_starting_so(tmp_path: Path) -> None:
    view = LocalKodo(tmp_path / "kodo").for_account(AccountScope("mallory"))
    view.create_bucket("logs")
    view.write("logs", "x/..hidden.json", b"{}\n")
    assert [o.key for o in view.list("logs", "x/..")] == ["x/..hidden.json"]
