"""kodo's selection rules and its cost: one listing per prefix, whatever the number of patterns."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tidemill.core.compression import compression_of
from tidemill.core.file_patterns import covering_prefixes, listing_prefix, selects
from tidemill.core.models import AccountScope, Datasource
from tidemill.sources.base import Moment
from tidemill.sources.kodo import KodoSource
from tidemill.storage.base import Buckets, ObjectInfo
from tidemill.storage.local_buckets import LocalKodo

AT = Moment(datetime(2024, 3, 5, 14, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
ALICE = AccountScope("alice")


class CountingKodo:
    """The real local kodo, counting the listings its views make (a seam, not a mock)."""

    def __init__(self, root: Path) -> None:
        self.kodo = LocalKodo(root)
        self.listed: list[str] = []

    def for_account(self, scope: AccountScope) -> Buckets:
        view = self.kodo.for_account(scope)
        outer = self

        class Counting:
            def __getattr__(self, name: str) -> object:
                return getattr(view, name)

            def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
                outer.listed.append(prefix)
                return view.list(bucket, prefix)

        return Counting()  # type: ignore[return-value]


def test_one_listing_per_covering_prefix(tmp_path: Path) -> None:
    kodo = CountingKodo(tmp_path)
    view = kodo.kodo.for_account(ALICE)
    view.create_bucket("logs")
    for key in ["a/1.json", "a/b/2.json", "a/b/3.csv", "c/4.json"]:
        view.write("logs", key, b"{}\n")
    prefixes = ["a/", "a/b/", "a/b/", "c/", "a/b/*"]
    ds = Datasource("ds", "nb", "kodo", {"bucket": "logs", "keyPrefixes": prefixes}, ())

    files = KodoSource(kodo).list(ds, "", AT, ALICE)

    assert [f.name for f in files] == ["logs/a/1.json", "logs/a/b/2.json", "logs/a/b/3.csv",
                                       "logs/c/4.json"]  # fmt: skip
    assert sorted(kodo.listed) == ["a/", "c/"]  # "a/b/" is inside "a/": listed once


@pytest.mark.parametrize(
    ("pattern", "key", "chosen"),
    [
        ("logs/", "logs/a.json", True),
        ("logs/", "logsx/a.json", False),
        ("logs/a", "logs/ab.json", True),
        ("logs/*.json", "logs/deep/a.json", True),  # '*' crosses '/' (spec §4.3, D-4)
        ("logs/*.json", "logs/a.json.gz", False),  # a glob matches the whole key
        ("logs/*.json*", "logs/a.json.gz", True),
        ("*/a.json", "x/a.json", True),
        ("logs/[ab]*", "logs/b.json", True),  # with a '*', fnmatch's [...] and ? apply
        ("logs/[ab]", "logs/[ab]/x", True),  # without, the text is a plain prefix
        ("logs/?", "logs/a", False),
    ],
)
def test_patterns_are_globs_only_when_they_hold_a_star(
    pattern: str, key: str, chosen: bool
) -> None:
    assert selects(pattern, key) is chosen
    if chosen:
        assert key.startswith(listing_prefix(pattern))


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("a.json", ""),
        ("a.json.gz", "gzip"),
        ("a.JSON.GZ", "gzip"),
        ("a.gzip", "gzip"),
        ("a.csv.zst", "zstd"),
        ("a.zstd", "zstd"),
        ("a.txt.bz2", "bzip2"),
        ("a.lz4", "lz4"),
        ("part-0.snappy.parquet", ""),
        ("dir.gz/a.json", ""),
        (".gz", ""),
        ("noext", ""),
        ("s3://b/logs/x.json.gz", "gzip"),
    ],
)
def test_compression_is_named_by_the_last_suffix(name: str, codec: str) -> None:
    assert compression_of(name) == codec


def test_covering_prefixes_list_each_name_once() -> None:
    assert covering_prefixes(["a/", "a/b/", "c/*.json", "c/d", "x?[y]*"]) == ["a/", "c/", "x"]
    assert covering_prefixes(["", "a/"]) == [""]
