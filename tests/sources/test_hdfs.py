"""What the hdfs source adds to the Source contract (tests/sources/test_contract.py runs that on
it too): a path names a file or a directory, never its siblings; nothing outside the paths is
read; an unreachable namenode is refused fast with the reason."""

from __future__ import annotations

import socket
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tidemill.config import HdfsSettings, Settings
from tidemill.core.models import AccountScope, Datasource
from tidemill.errors import Failure, InvalidInputError, TidemillError
from tidemill.sources.base import Moment
from tidemill.sources.hdfs import HdfsSource
from tidemill.storage.registry import Storages, open_storages

AT = datetime(2024, 3, 5, 14, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
ALICE = AccountScope("alice")


def hdfs(*paths: str, file_type: str = "json") -> Datasource:
    return Datasource("weblogs", "nb", "hdfs", {"paths": list(paths), "fileType": file_type}, ())


@pytest.fixture
def storages(tmp_path: Path) -> Storages:
    return open_storages(Settings(data_dir=tmp_path))


@pytest.fixture
def root(hdfs_url: str) -> str:
    return f"{hdfs_url}/s-{uuid.uuid4().hex[:12]}/"


@pytest.mark.hdfs
def test_a_path_names_a_file_or_a_directory_never_a_sibling(storages: Storages, root: str) -> None:
    for name in ["logs/a.json", "logs/deep/b.json", "logs-old/c.json", "logs.json", "other.json"]:
        storages.put(root + name, b"{}\n")
    source = HdfsSource(storages)

    def names(ds: Datasource, file_filter: str = "") -> list[str]:
        return [f.uri.removeprefix(root) for f in source.list(ds, file_filter, Moment(AT), ALICE)]

    assert names(hdfs(root + "logs")) == ["logs/a.json", "logs/deep/b.json"]
    assert names(hdfs(root + "logs.json")) == ["logs.json"]
    assert names(hdfs(root + "logs/deep", root + "other.json")) == [
        "logs/deep/b.json",
        "other.json",
    ]
    # With a fileFilter the path and filter are one prefix (spec §4.3), as for kodo.
    assert names(hdfs(root + "logs"), file_filter="-old/") == ["logs-old/c.json"]
    assert names(hdfs(root + "logs"), file_filter="*.json") == [
        "logs-old/c.json", "logs.json", "logs/a.json", "logs/deep/b.json",
    ]  # fmt: skip


@pytest.mark.hdfs
def test_a_filter_cannot_climb_out_of_the_paths(storages: Storages, root: str) -> None:
    storages.put(root + "secret/s.json", b'{"s": 1}\n')
    storages.put(root + "mine/m.json", b"{}\n")
    source = HdfsSource(storages)
    moment = Moment(AT, params={"up": "../secret/"})

    for file_filter in ["../secret/", "$(up)", "*/../secret/*"]:
        try:
            files = source.list(hdfs(root + "mine/"), file_filter, moment, ALICE)
        except TidemillError as exc:
            assert exc.failure is Failure.DS_PATH_ILLEGAL
        else:
            assert files == []


@pytest.mark.hdfs
def test_files_are_listed_with_their_uri_as_name(storages: Storages, root: str) -> None:
    storages.put(root + "d/x.csv.gz", b"zz")
    [file] = HdfsSource(storages).list(hdfs(root + "d/", file_type="CSV"), "", Moment(AT), ALICE)
    assert (file.uri, file.name, file.size, file.format, file.compression) == (
        root + "d/x.csv.gz", root + "d/x.csv.gz", 2, "csv", "gzip",
    )  # fmt: skip


def test_an_unreachable_namenode_is_refused_fast_with_the_reason(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])  # closed once the socket is
    settings = Settings(data_dir=tmp_path, hdfs=HdfsSettings(connect_timeout=2))
    source = HdfsSource(open_storages(settings))
    started = time.monotonic()

    with pytest.raises(InvalidInputError) as exc:
        source.list(hdfs(f"hdfs://127.0.0.1:{port}/logs/"), "", Moment(AT), ALICE)

    assert time.monotonic() - started < 10
    assert exc.value.failure is Failure.DS_VERIFY_NOT_FOUND
    assert f"hdfs://127.0.0.1:{port}" in exc.value.message
    assert "Connection refused" in exc.value.message and "'weblogs'" in exc.value.message


def test_a_spec_without_paths_is_refused(storages: Storages) -> None:
    with pytest.raises(InvalidInputError) as exc:
        HdfsSource(storages).list(hdfs(), "", Moment(AT), ALICE)
    assert exc.value.failure is Failure.DS_SPEC_INVALID


# -- TIDEMILL_HDFS__ROOTS: checked again where the files are listed (core.hdfs_roots) ----------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed once the socket is


def test_a_path_outside_the_accounts_root_is_refused_before_any_listing(
    storages: Storages,
) -> None:
    nn = f"hdfs://127.0.0.1:{closed_port()}"  # nothing listens: a listing would say so
    source = HdfsSource(storages, [nn + "/tenants/{account}/"])

    for path, file_filter in [
        (nn + "/tenants/bob/", ""),  # another account's directory
        (nn + "/tenants/alice", "x/"),  # the filter joins the path: tenants/alicex/
        (nn + "/tenants/alice/", "../bob/"),
        (nn + "/tenants/alice/x/$(up)", ""),  # a parameter rendered at the batch
    ]:
        moment = Moment(AT, params={"up": "../../bob/"})
        with pytest.raises(InvalidInputError) as exc:
            source.list(hdfs(path), file_filter, moment, ALICE)
        assert exc.value.failure is Failure.DS_PATH_ILLEGAL, path
        assert "TIDEMILL_HDFS__ROOTS" in exc.value.message
        assert nn + "/tenants/alice/" in exc.value.message

    # Inside its root the namenode is asked (and here cannot be reached); Bob's root is his.
    for path, scope in [(nn + "/tenants/alice/logs/", ALICE),
                        (nn + "/tenants/bob/", AccountScope("bob"))]:  # fmt: skip
        with pytest.raises(InvalidInputError) as exc:
            source.list(hdfs(path), "", Moment(AT), scope)
        assert exc.value.failure is Failure.DS_VERIFY_NOT_FOUND, path


@pytest.mark.hdfs
def test_within_its_root_an_account_reads_its_files_and_no_neighbours(
    storages: Storages, root: str
) -> None:
    storages.put(root + "alice/in/a.json", b"{}\n")
    storages.put(root + "alicex/in/b.json", b"{}\n")  # shares the prefix, not the directory
    source = HdfsSource(storages, [root + "{account}/"])

    [file] = source.list(hdfs(root + "alice/in/"), "", Moment(AT), ALICE)
    assert file.uri == root + "alice/in/a.json"
    with pytest.raises(InvalidInputError) as exc:
        source.list(hdfs(root + "alice"), "*", Moment(AT), ALICE)  # would reach alicex/
    assert exc.value.failure is Failure.DS_PATH_ILLEGAL
