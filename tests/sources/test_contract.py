"""The Source contract: every registered source implementation must pass this file.

Each implementation is a `Place`: a source, two accounts, and a way to put files where that
source finds them. kodo runs on local directories and on a real S3 server (SeaweedFS), hdfs on
the run's MiniDFSCluster. Buckets and accounts are kodo's own (`kodo_only`). The last cases
(`selection`) hold for every source, fusion (file://, s3:// and the log-list API) included.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.fusion_api import log_list_api
from tidemill.config import FusionSettings, S3Settings, Settings
from tidemill.core.models import AccountScope, Datasource
from tidemill.core.plans import InputFile
from tidemill.core.variables import UserVariable
from tidemill.errors import Failure, InvalidInputError
from tidemill.sources.base import Moment, Source
from tidemill.sources.fusion import FusionSource
from tidemill.sources.hdfs import HdfsSource
from tidemill.sources.kodo import KodoSource
from tidemill.sources.registry import Sources, open_sources
from tidemill.storage.base import Kodo
from tidemill.storage.local_buckets import LocalKodo
from tidemill.storage.registry import Storages, open_storages
from tidemill.storage.s3 import S3Store
from tidemill.storage.s3_buckets import S3Kodo

ZONE = ZoneInfo("Asia/Shanghai")
AT = datetime(2024, 3, 5, 14, 30, tzinfo=ZONE)


def new_name() -> str:
    return "t-" + uuid.uuid4().hex[:16]


@dataclass
class Place:
    """One source implementation over real storage.

    Every file of a test lives under `root` (a URI); `put(key, data)` writes `root + key` where
    the source finds it, and `datasource(*prefixes)` names `root + prefix` for each prefix
    (none: all of `root`) in the spec's terms (kodo: bucket and keyPrefixes; hdfs: paths).
    """

    source: Source
    storages: Storages  # reads an InputFile's URI, as the engine does
    alice: AccountScope
    root: str

    def put(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def datasource(self, *prefixes: str, file_type: str = "json", **spec: object) -> Datasource:
        raise NotImplementedError


@dataclass
class KodoPlace(Place):
    """kodo with two accounts' buckets: `bucket` is alice's, `theirs` bob's; `ghost` is a name
    alice may use (on S3: granted) that does not exist."""

    kodo: Kodo
    bob: AccountScope
    bucket: str
    theirs: str
    ghost: str

    def put(self, key: str, data: bytes, *, scope: AccountScope | None = None,
            bucket: str | None = None) -> None:  # fmt: skip
        self.kodo.for_account(scope or self.alice).write(bucket or self.bucket, key, data)

    def datasource(self, *prefixes: str, file_type: str = "json", **spec: object) -> Datasource:
        return kodo(self.bucket, *prefixes, file_type=file_type, **spec)


@dataclass
class HdfsPlace(Place):
    """hdfs on the test run's MiniDFSCluster: `root` is a fresh directory of it."""

    def put(self, key: str, data: bytes) -> None:
        self.storages.put(self.root + key, data)

    def datasource(self, *prefixes: str, file_type: str = "json", **spec: object) -> Datasource:
        paths = [self.root + p for p in prefixes] or [self.root]
        return Datasource("ds", "nb", "hdfs", {"paths": paths, "fileType": file_type, **spec}, ())


def kodo_place(source: KodoSource, kodo: Kodo, storages: Storages, alice: AccountScope,
               bob: AccountScope, bucket: str, theirs: str, ghost: str) -> KodoPlace:  # fmt: skip
    root = kodo.for_account(alice).bucket_uri(bucket)
    return KodoPlace(source, storages, alice, root, kodo, bob, bucket, theirs, ghost)


def local_place(tmp_path: Path) -> KodoPlace:
    kodo = LocalKodo(tmp_path / "kodo")
    alice, bob = AccountScope("alice"), AccountScope("bob")
    bucket, theirs = new_name(), new_name()
    kodo.for_account(alice).create_bucket(bucket)
    kodo.for_account(bob).create_bucket(theirs)
    storages = open_storages(Settings(data_dir=tmp_path))
    return kodo_place(KodoSource(kodo), kodo, storages, alice, bob, bucket, theirs, new_name())


def s3_place(tmp_path: Path, s3: S3Settings) -> KodoPlace:
    raw = S3Store(s3.endpoint, s3.access_key, s3.secret_key.get_secret_value(), s3.region)
    bucket, theirs, ghost = new_name(), new_name(), new_name()
    raw.create_bucket(bucket)
    raw.create_bucket(theirs)
    kodo = S3Kodo(raw)
    alice = AccountScope("alice", frozenset({bucket, ghost}))
    bob = AccountScope("bob", frozenset({theirs}))
    storages = open_storages(Settings(data_dir=tmp_path, s3=s3))
    return kodo_place(KodoSource(kodo), kodo, storages, alice, bob, bucket, theirs, ghost)


def hdfs_place(tmp_path: Path, hdfs_url: str) -> HdfsPlace:
    storages = open_storages(Settings(data_dir=tmp_path))
    return HdfsPlace(HdfsSource(storages), storages, AccountScope("alice"),
                     f"{hdfs_url}/{new_name()}/")  # fmt: skip


KODO_PLACES = ["kodo-local", pytest.param("kodo-s3", marks=pytest.mark.s3)]


def make_place(request: pytest.FixtureRequest, tmp_path: Path) -> Place:
    if request.param == "kodo-local":
        return local_place(tmp_path)
    if request.param == "kodo-s3":
        return s3_place(tmp_path, request.getfixturevalue("s3_settings"))
    return hdfs_place(tmp_path, request.getfixturevalue("hdfs_url"))


@pytest.fixture(params=[*KODO_PLACES, pytest.param("hdfs", marks=pytest.mark.hdfs)])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Place:
    """Every source implementation (the tests of the contract)."""
    return make_place(request, tmp_path)


@pytest.fixture(params=KODO_PLACES)
def kodo_only(request: pytest.FixtureRequest, tmp_path: Path) -> KodoPlace:
    """kodo only (buckets and accounts)."""
    place = make_place(request, tmp_path)
    assert isinstance(place, KodoPlace)
    return place


def kodo(bucket: str, *prefixes: str, file_type: str = "json", **spec: object) -> Datasource:
    body = {"bucket": bucket, "fileType": file_type, "keyPrefixes": list(prefixes), **spec}
    if not prefixes:
        del body["keyPrefixes"]
    return Datasource("ds", "nb", "kodo", body, ())


def listed(place: Place, ds: Datasource, file_filter: str = "",
           moment: Moment | None = None) -> list[InputFile]:  # fmt: skip
    return place.source.list(ds, file_filter, moment or Moment(AT), place.alice)


def keys(place: Place, files: list[InputFile]) -> list[str]:
    """The keys of `files`, which must all be under the place's root."""
    assert all(f.uri.startswith(place.root) for f in files), [f.uri for f in files]
    return [f.uri.removeprefix(place.root) for f in files]


def test_key_prefixes_select_what_starts_with_them(place: Place) -> None:
    for key in ["logs/2024/a.json", "logs/2024/b.json", "logs/2025/c.json", "other/d.json"]:
        place.put(key, b"{}\n")
    place.put("logsx/e.json", b"{}\n")

    assert keys(place, listed(place, place.datasource("logs/2024/"))) == [
        "logs/2024/a.json",
        "logs/2024/b.json",
    ]
    two = listed(place, place.datasource("logs/2025/", "other/"))
    assert keys(place, two) == ["logs/2025/c.json", "other/d.json"]
    overlapping = listed(place, place.datasource("logs/", "logs/2024/", "logs/"))
    assert keys(place, overlapping) == [
        "logs/2024/a.json",
        "logs/2024/b.json",
        "logs/2025/c.json",
    ]
    assert len(keys(place, listed(place, place.datasource()))) == 5  # no prefix: the bucket


def test_file_filter_follows_each_prefix(place: Place) -> None:
    for key in ["a/x1.json", "a/y1.json", "b/x2.json", "c/x3.json"]:
        place.put(key, b"{}\n")

    files = listed(place, place.datasource("a/", "b/"), file_filter="x")
    assert keys(place, files) == ["a/x1.json", "b/x2.json"]


def test_a_star_makes_a_glob_over_the_whole_key(place: Place) -> None:
    for key in ["logs/a.json", "logs/deep/b.json", "logs/c.csv", "logs/d.json.gz", "top.json"]:
        place.put(key, b"x")

    globbed = listed(place, place.datasource("logs/"), file_filter="*.json")
    assert keys(place, globbed) == ["logs/a.json", "logs/deep/b.json"]  # '*' crosses '/'
    in_prefix = listed(place, place.datasource("*/c.*"))
    assert keys(place, in_prefix) == ["logs/c.csv"]
    classes = listed(place, place.datasource("logs/[ac]*"))  # '[..]' and '?' then apply too
    assert keys(place, classes) == ["logs/a.json", "logs/c.csv"]
    assert keys(place, listed(place, place.datasource("l?gs/?.j*"))) == [
        "logs/a.json",
        "logs/d.json.gz",
    ]
    # Without '*' the same characters are a plain prefix: nothing starts with "logs/?.json".
    assert listed(place, place.datasource("logs/?.json")) == []


def test_magic_variables_are_rendered_at_the_moment(place: Place) -> None:
    place.put("logs/20240305/14/eu/a.json", b"{}\n")
    place.put("logs/20240305/13/eu/b.json", b"{}\n")
    place.put("logs/20240305/14/us/c.json", b"{}\n")
    place.put("logs/20240304/14/eu/d.json", b"{}\n")
    user = {"region": UserVariable("region", "string", "eu", "")}
    moment = Moment(AT, user=user, params={"kind": "a"})

    ds = place.datasource("logs/$(year)$(mon)$(day)/$(hour)/$(region)/")
    assert keys(place, listed(place, ds, "$(kind)", moment)) == ["logs/20240305/14/eu/a.json"]
    given = Moment(AT, user=user, runtime={"kind": "b"}, params={"kind": "a"})
    assert listed(place, ds, "$(kind)", given) == []  # the start value wins: no b at 14h
    later = Moment(datetime(2024, 3, 5, 13, 5, tzinfo=ZONE), user=user, params={"kind": "b"})
    assert keys(place, listed(place, ds, "$(kind)", later)) == ["logs/20240305/13/eu/b.json"]


def test_an_undefined_variable_is_refused(place: Place) -> None:
    with pytest.raises(InvalidInputError) as exc:
        listed(place, place.datasource("logs/$(nowhere)/"))
    assert exc.value.failure is Failure.JOB_SQL_UNDEF_VAR
    assert "nowhere" in exc.value.message


def test_files_carry_size_format_and_compression(place: Place) -> None:
    plain = b'{"a": 1}\n' * 3
    packed = gzip.compress(plain)
    place.put("in/a.json", plain)
    place.put("in/b.json.gz", packed)
    place.put("in/c.json.ZST", b"zz")
    place.put("in/d.json.bz2", b"bb")
    place.put("in/e.snappy.parquet", b"pq")
    place.put("in/empty.json", b"")

    files = listed(place, place.datasource("in/", file_type="JSON"))

    found = [(f.size, f.format, f.compression) for f in files]
    assert dict(zip(keys(place, files), found, strict=True)) == {
        "in/a.json": (len(plain), "json", ""),
        "in/b.json.gz": (len(packed), "json", "gzip"),
        "in/c.json.ZST": (2, "json", "zstd"),
        "in/d.json.bz2": (2, "json", "bzip2"),
        "in/e.snappy.parquet": (2, "json", ""),
        "in/empty.json": (0, "json", ""),
    }
    csv = listed(place, place.datasource("in/a.json", file_type="csv", delimiter=","))
    assert [f.format for f in csv] == ["csv"]


def test_uris_read_back_the_listed_bytes(place: Place) -> None:
    data = {"u/a b.json": b"one\n", "u/sub/c.json": b"two\n", "u/\u00e9t\u00e9.json": b"3\n"}
    for key, value in data.items():
        place.put(key, value)

    files = listed(place, place.datasource("u/"))

    assert [f.uri for f in files] == sorted(f.uri for f in files)
    assert {k: place.storages.read(f.uri) for k, f in
            zip(keys(place, files), files, strict=True)} == data  # fmt: skip
    for file in files:
        assert place.storages.stat(file.uri).size == file.size


def test_an_empty_selection_is_an_empty_list(place: Place) -> None:
    assert listed(place, place.datasource()) == []
    place.put("logs/a.json", b"{}\n")
    assert listed(place, place.datasource("nothing/")) == []
    assert listed(place, place.datasource("logs/"), file_filter="*.csv") == []


def assert_no_bucket(exc: pytest.ExceptionInfo[InvalidInputError], bucket: str) -> None:
    assert exc.value.failure is Failure.DS_VERIFY_NOT_FOUND
    assert repr(bucket) in exc.value.message


def test_a_missing_bucket_is_refused_by_name(kodo_only: KodoPlace) -> None:
    place = kodo_only
    with pytest.raises(InvalidInputError) as exc:
        listed(place, kodo(place.ghost, "logs/"))
    assert_no_bucket(exc, place.ghost)
    never = new_name()
    with pytest.raises(InvalidInputError) as exc:
        listed(place, kodo(never))
    assert_no_bucket(exc, never)


def test_another_accounts_bucket_is_never_listed(kodo_only: KodoPlace) -> None:
    place = kodo_only
    place.put("secret/bob.json", b'{"bob": 1}\n', scope=place.bob, bucket=place.theirs)
    place.put("secret/alice.json", b"{}\n")

    with pytest.raises(InvalidInputError) as exc:
        listed(place, kodo(place.theirs, "secret/"))
    assert_no_bucket(exc, place.theirs)
    assert "bob.json" not in exc.value.message
    # Bob sees his own, and only his own, through the same source.
    bobs = place.source.list(kodo(place.theirs, "secret/"), "", Moment(AT), place.bob)
    assert keys_of_bob(place, bobs) == ["secret/bob.json"]
    with pytest.raises(InvalidInputError) as exc:
        place.source.list(kodo(place.bucket, "secret/"), "", Moment(AT), place.bob)
    assert_no_bucket(exc, place.bucket)


def keys_of_bob(place: KodoPlace, files: list[InputFile]) -> list[str]:
    base = place.kodo.for_account(place.bob).bucket_uri(place.theirs)
    assert all(f.uri.startswith(base) for f in files)
    return [f.uri.removeprefix(base) for f in files]


def test_the_same_bucket_name_is_each_accounts_own_on_local_storage(tmp_path: Path) -> None:
    place = local_place(tmp_path)
    place.kodo.for_account(place.bob).create_bucket(place.bucket)
    place.put("k/bob.json", b"{}\n", scope=place.bob)
    place.put("k/alice.json", b"{}\n")

    assert keys(place, listed(place, kodo(place.bucket, "k/"))) == ["k/alice.json"]


# -- the registry ------------------------------------------------------------------------------


def test_the_registry_serves_kodo_and_hdfs_and_names_what_it_cannot_read(tmp_path: Path) -> None:
    storages = open_storages(Settings(data_dir=tmp_path))
    sources: Sources = open_sources(LocalKodo(tmp_path / "kodo"), storages)
    assert isinstance(sources.get(kodo("b")), KodoSource)
    hdfs = sources.get(Datasource("ds", "nb", "hdfs", {"paths": ["hdfs://nn:9000/x"]}, ()))
    assert isinstance(hdfs, HdfsSource) and hdfs.storage is storages
    for type_ in ["fusion", "other"]:
        with pytest.raises(InvalidInputError) as exc:
            sources.get(Datasource("weblogs", "nb", type_, {}, ()))
        assert exc.value.failure is Failure.DS_TYPE_INVALID
        assert "'weblogs'" in exc.value.message and type_ in exc.value.message


# -- what every source promises, kodo and fusion alike -------------------------------------------


ALICE = AccountScope("alice")


@dataclass
class Selection:
    """One source and a way to put a file it selects: `put(name, data)` puts a file `name`
    (a plain name such as "a.gz") where `datasource` at `AT` finds it."""

    source: Source
    datasource: Datasource
    storages: Storages
    put: Callable[[str, bytes], None]
    format: str
    scope: AccountScope = ALICE

    def list(self) -> list[InputFile]:
        return self.source.list(self.datasource, "", Moment(AT), self.scope)


FUSION_HOUR = f"{AT:%Y-%m-%d}/{AT:%H}"  # the hour of AT: a fusion range left empty reads it


def kodo_selection(place: Place) -> Selection:
    return Selection(
        place.source, place.datasource("sel/"), place.storages,
        lambda name, data: place.put(f"sel/{name}", data), "json", place.alice,
    )  # fmt: skip


def fusion_selection(url: str, storages: Storages, put: Callable[[str, bytes], None]) -> Selection:
    ds = Datasource("cdn", "nb", "fusion", {"domains": ["a.example.com"]}, ())
    return Selection(FusionSource(url, storages), ds, storages, put, "fusion")


@pytest.fixture(
    params=[
        "kodo-local",
        pytest.param("kodo-s3", marks=pytest.mark.s3),
        "fusion-file",
        pytest.param("fusion-s3", marks=pytest.mark.s3),
        "fusion-api",
    ]
)
def selection(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Selection]:
    kind = request.param
    if kind == "kodo-local":
        yield kodo_selection(local_place(tmp_path))
    elif kind == "kodo-s3":
        yield kodo_selection(s3_place(tmp_path, request.getfixturevalue("s3_settings")))
    elif kind == "fusion-file":
        storages = open_storages(Settings(data_dir=tmp_path))
        url = f"file://{tmp_path / 'cdn'}"
        yield fusion_selection(url, storages, lambda name, data: storages.put(
            f"{url}/a.example.com/{FUSION_HOUR}/{name}", data))  # fmt: skip
    elif kind == "fusion-s3":
        s3 = request.getfixturevalue("s3_settings")
        raw = S3Store(s3.endpoint, s3.access_key, s3.secret_key.get_secret_value(), s3.region)
        bucket = new_name()
        raw.create_bucket(bucket)
        storages = open_storages(Settings(data_dir=tmp_path, s3=s3))
        url = f"s3://{bucket}/logs"
        yield fusion_selection(url, storages, lambda name, data: storages.put(
            f"{url}/a.example.com/{FUSION_HOUR}/{name}", data))  # fmt: skip
    else:
        root = tmp_path / "api"
        (root / "a.example.com").mkdir(parents=True)

        def put(name: str, data: bytes) -> None:
            stamp = f"{AT:%Y-%m-%d-%H}"
            (root / "a.example.com" / f"a.example.com_{stamp}_{name}").write_bytes(data)

        with log_list_api(root) as server:
            settings = Settings(data_dir=tmp_path, fusion=FusionSettings(url=server.base))
            yield fusion_selection(server.base, open_storages(settings), put)
            assert server.refused == []


def test_a_selection_is_in_uri_order_once_each_with_size_and_compression(
    selection: Selection,
) -> None:
    data = {"b.gz": gzip.compress(b"two\n"), "a": b"one\n", "c d.log": b"three\n"}
    for name, value in data.items():
        selection.put(name, value)

    files = selection.list()

    assert [f.uri for f in files] == sorted({f.uri for f in files})
    assert len(files) == 3
    assert sorted(selection.storages.read(f.uri) for f in files) == sorted(data.values())
    for file in files:
        assert file.format == selection.format
        assert file.size == len(selection.storages.read(file.uri))
        assert file.compression == ("gzip" if file.uri.endswith(".gz") else "")
        with selection.storages.local_path(file.uri) as local:
            assert local.read_bytes() == selection.storages.read(file.uri)


def test_nothing_to_select_is_an_empty_list(selection: Selection) -> None:
    assert selection.list() == []
