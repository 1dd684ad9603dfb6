"""The Buckets contract: every backend (local directories, real S3) must pass this file."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tidemill.config import S3Settings, Settings
from tidemill.core.object_keys import key_problem
from tidemill.errors import (
    BackendError,
    ConfigError,
    Failure,
    InvalidInputError,
    NotFoundError,
    TidemillError,
)
from tidemill.storage import open_kodo
from tidemill.storage.base import AccountScope, Buckets
from tidemill.storage.local import TEMP_PREFIX
from tidemill.storage.local_buckets import LocalBuckets, LocalKodo
from tidemill.storage.s3 import MiB, S3Store
from tidemill.storage.s3_buckets import S3Kodo


def s3_store(settings: S3Settings, secret_key: str | None = None) -> S3Store:
    return S3Store(
        settings.endpoint,
        settings.access_key,
        settings.secret_key.get_secret_value() if secret_key is None else secret_key,
        settings.region,
        multipart_threshold=5 * MiB,  # low, so that the upload test also runs a multipart upload
    )


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Buckets:
    if request.param == "local":
        return LocalBuckets(tmp_path / "kodo")
    return s3_store(request.getfixturevalue("s3_settings"))


def new_name() -> str:
    return "t-" + uuid.uuid4().hex[:16]  # valid for S3: 3-63 lowercase letters, digits, '-'


@pytest.fixture
def bucket(store: Buckets) -> str:
    name = new_name()
    store.create_bucket(name)
    return name


def keys(store: Buckets, bucket: str, prefix: str = "") -> list[str]:
    return [o.key for o in store.list(bucket, prefix)]


def assert_not_found(exc: pytest.ExceptionInfo[TidemillError], *names: str) -> None:
    assert exc.value.failure is Failure.DS_VERIFY_NOT_FOUND
    for name in names:
        assert repr(name) in exc.value.message


def test_written_object_reads_back(store: Buckets, bucket: str) -> None:
    data = bytes(range(256)) * 100
    store.write(bucket, "runs/1/part-0.bin", data)
    store.write(bucket, "empty", b"")

    assert store.read(bucket, "runs/1/part-0.bin") == data
    assert store.read(bucket, "empty") == b""
    with store.open_read(bucket, "runs/1/part-0.bin") as stream:
        assert stream.read(10) == data[:10]
        assert stream.read() == data[10:]


def test_overwrite_replaces_the_whole_object(store: Buckets, bucket: str) -> None:
    store.write(bucket, "a.csv", b"old,longer,content\n")
    store.write(bucket, "a.csv", b"new\n")

    assert store.read(bucket, "a.csv") == b"new\n"
    assert [(o.key, o.size) for o in store.list(bucket)] == [("a.csv", 4)]


def test_readers_see_the_old_or_the_new_object_never_half(store: Buckets, bucket: str) -> None:
    versions = [b"A" * 2 * MiB, b"B" * 3 * MiB]
    store.write(bucket, "hot", versions[0])
    done = threading.Event()

    def overwrite() -> None:
        for i in range(8):
            store.write(bucket, "hot", versions[(i + 1) % 2])
        done.set()

    writer = threading.Thread(target=overwrite)
    writer.start()
    for _ in range(200):
        content = store.read(bucket, "hot")
        assert content in versions
        if done.is_set():
            break
    writer.join()
    assert store.read(bucket, "hot") == versions[0]


def test_list_is_in_key_order_and_filters_by_prefix(store: Buckets, bucket: str) -> None:
    written = [
        "logs/2017-06-10/a.log",
        "logs/2017-06-01/b.log",
        "logs/2017-06-01/a.log",
        "logs/2017-06-02/sub/deep.log",
        "logs-old/x.log",
        "logs/2017-07-01/a.log",
        "logs.txt",
        "z",
        "a-b",
        "a/b",
    ]
    for key in written:
        store.write(bucket, key, key.encode())

    assert keys(store, bucket) == sorted(written)  # '-' < '.' < '/' as in S3's byte order
    assert keys(store, bucket, "logs/2017-06-0") == [
        "logs/2017-06-01/a.log",
        "logs/2017-06-01/b.log",
        "logs/2017-06-02/sub/deep.log",
    ]
    assert keys(store, bucket, "logs/") == sorted(k for k in written if k.startswith("logs/"))
    assert keys(store, bucket, "logs") == sorted(k for k in written if k.startswith("logs"))
    assert keys(store, bucket, "logs/2017-06-01/a.log") == ["logs/2017-06-01/a.log"]
    assert keys(store, bucket, "logs/2017-06-01/a.log/") == []
    assert keys(store, bucket, "nothing") == []


def test_list_reports_size_and_utc_time(store: Buckets, bucket: str) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    store.write(bucket, "d/part.csv", b"12345")

    [info] = store.list(bucket)

    assert (info.key, info.size) == ("d/part.csv", 5)
    assert info.modified.utcoffset() == timedelta(0)
    assert before <= info.modified <= datetime.now(UTC) + timedelta(seconds=5)


def test_empty_bucket_lists_nothing(store: Buckets, bucket: str) -> None:
    assert keys(store, bucket) == []


def test_missing_bucket_is_not_found_for_every_operation(store: Buckets, tmp_path: Path) -> None:
    missing = new_name()
    source = tmp_path / "source.txt"
    source.write_bytes(b"x")
    operations: dict[str, Callable[[], object]] = {
        "list": lambda: store.list(missing, "logs/"),
        "read": lambda: store.read(missing, "k.txt"),
        "open_read": lambda: store.open_read(missing, "k.txt"),
        "write": lambda: store.write(missing, "k.txt", b"x"),
        "upload": lambda: store.upload(missing, "k.txt", source),
        "delete": lambda: store.delete(missing, "k.txt"),
        "local_path": lambda: store.local_path(missing, "k.txt").__enter__(),
    }
    for name, operation in operations.items():
        with pytest.raises(NotFoundError) as exc:
            operation()
        assert exc.value.failure is Failure.DS_VERIFY_NOT_FOUND, name
        assert repr(missing) in exc.value.message, name
    assert not store.bucket_exists(missing)


def test_missing_key_is_not_found(store: Buckets, bucket: str) -> None:
    store.write(bucket, "dir/present", b"x")
    for key in ["never/written.csv", "dir"]:  # a '/'-prefix of keys is no object either
        with pytest.raises(NotFoundError) as exc:
            store.read(bucket, key)
        assert_not_found(exc, bucket, key)
        with pytest.raises(NotFoundError) as exc:
            store.open_read(bucket, key)
        assert_not_found(exc, bucket, key)
        with pytest.raises(NotFoundError) as exc, store.local_path(bucket, key):
            pass
        assert_not_found(exc, bucket, key)


def test_delete_is_idempotent(store: Buckets, bucket: str) -> None:
    store.write(bucket, "a/b/c.txt", b"x")
    store.write(bucket, "a/keep.txt", b"y")

    store.delete(bucket, "a/b/c.txt")
    store.delete(bucket, "a/b/c.txt")
    store.delete(bucket, "never/written")

    assert keys(store, bucket) == ["a/keep.txt"]
    with pytest.raises(NotFoundError):
        store.read(bucket, "a/b/c.txt")
    store.write(bucket, "a/b", b"a key where a prefix was")
    assert keys(store, bucket) == ["a/b", "a/keep.txt"]


@pytest.mark.parametrize("size", [0, 1000, 6 * MiB + 17], ids=["empty", "small", "multipart"])
def test_upload_stores_a_local_file(store: Buckets, bucket: str, tmp_path: Path, size: int) -> None:
    source = tmp_path / "part-0.parquet"
    data = (bytes(range(251)) * (size // 251 + 1))[:size]
    source.write_bytes(data)

    store.upload(bucket, "warehouse/job/part-0.parquet", source)

    assert store.read(bucket, "warehouse/job/part-0.parquet") == data
    assert source.read_bytes() == data


def test_upload_with_move_takes_the_file_over(store: Buckets, bucket: str, tmp_path: Path) -> None:
    source = tmp_path / "staged.parquet"
    source.write_bytes(b"PAR1 staged")
    store.write(bucket, "out/part-0.parquet", b"older")

    store.upload(bucket, "out/part-0.parquet", source, move=True)

    assert store.read(bucket, "out/part-0.parquet") == b"PAR1 staged"
    assert not source.exists()


def test_upload_of_a_missing_file_is_a_backend_error(
    store: Buckets, bucket: str, tmp_path: Path
) -> None:
    with pytest.raises(BackendError) as exc:
        store.upload(bucket, "k", tmp_path / "absent.csv")
    assert "absent.csv" in exc.value.message
    assert exc.value.failure is Failure.INTERNAL


def test_local_path_holds_the_object(store: Buckets, bucket: str) -> None:
    store.write(bucket, "logs/2017-06-01/access.csv.gz", b"\x1f\x8bcontent")

    with store.local_path(bucket, "logs/2017-06-01/access.csv.gz") as path:
        assert path.read_bytes() == b"\x1f\x8bcontent"
        assert path.name.endswith(".csv.gz")  # engines detect the format by the suffix
    # a download, or on a local bucket a pinned link (never the key's path, which a symbolic
    # link swapped in later could redirect: tests/storage/test_local_bucket_races.py)
    assert not path.exists()  # removed on exit


def test_create_bucket_is_idempotent(store: Buckets) -> None:
    name = new_name()
    assert not store.bucket_exists(name)

    store.create_bucket(name)
    store.create_bucket(name)

    assert store.bucket_exists(name)
    assert keys(store, name) == []


def test_empty_key_is_refused(store: Buckets, bucket: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        store.write(bucket, "", b"x")
    assert exc.value.failure is Failure.DS_PATH_ILLEGAL


def test_bucket_name_with_a_slash_is_refused(store: Buckets) -> None:
    with pytest.raises(InvalidInputError) as exc:
        store.create_bucket("a/b")
    assert exc.value.failure is Failure.DS_PATH_ILLEGAL
    assert "'a/b'" in exc.value.message


# -- backend-specific behaviour ------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["../escape", "a/../../escape", "/etc/passwd", "a//b", "a/./b", "dir/", ".."]
)
def test_local_keys_cannot_leave_the_bucket(tmp_path: Path, key: str) -> None:
    store = LocalBuckets(tmp_path / "kodo")
    store.create_bucket("bucket")

    operations: list[Callable[[], object]] = [
        lambda: store.write("bucket", key, b"x"),
        lambda: store.read("bucket", key),
        lambda: store.delete("bucket", key),
    ]
    for operation in operations:
        with pytest.raises(InvalidInputError) as exc:
            operation()
        assert exc.value.failure is Failure.DS_PATH_ILLEGAL
        assert repr(key) in exc.value.message
    assert not (tmp_path / "escape").exists()


@pytest.mark.parametrize("name", ["..", ".", "a/b", ""])
def test_local_bucket_names_cannot_leave_the_root(tmp_path: Path, name: str) -> None:
    store = LocalBuckets(tmp_path / "kodo")
    with pytest.raises(InvalidInputError) as exc:
        store.create_bucket(name)
    assert exc.value.failure is Failure.DS_PATH_ILLEGAL


def test_local_list_skips_temporary_files_and_leaves_none(tmp_path: Path) -> None:
    store = LocalBuckets(tmp_path / "kodo")
    store.create_bucket("b")
    store.write("b", "d/x.csv", b"1")
    store.upload("b", "d/y.csv", tmp_path / "kodo/b/d/x.csv")
    (tmp_path / "kodo/b/d" / (TEMP_PREFIX + "abc")).write_bytes(b"half")  # a crashed writer

    assert keys(store, "b") == ["d/x.csv", "d/y.csv"]
    names = sorted(p.name for p in (tmp_path / "kodo/b/d").iterdir())
    assert names == [TEMP_PREFIX + "abc", "x.csv", "y.csv"]
    assert (tmp_path / "kodo/b/d/x.csv").stat().st_mode & 0o777 == 0o644


def test_local_key_cannot_be_both_object_and_prefix(tmp_path: Path) -> None:
    store = LocalBuckets(tmp_path / "kodo")
    store.create_bucket("b")
    store.write("b", "a/b", b"x")

    with pytest.raises(BackendError) as exc:
        store.write("b", "a", b"y")
    assert "'a'" in exc.value.message and "'b'" in exc.value.message
    assert store.read("b", "a/b") == b"x"


@pytest.mark.s3
def test_s3_wrong_credentials_are_a_backend_error(s3_settings: S3Settings) -> None:
    good = s3_store(s3_settings)
    name = new_name()
    good.create_bucket(name)
    bad = s3_store(s3_settings, secret_key="not-the-secret")

    operations: list[Callable[[], object]] = [
        lambda: bad.bucket_exists(name),
        lambda: bad.list(name),
        lambda: bad.read(name, "k"),
        lambda: bad.write(name, "k", b"x"),
        lambda: bad.delete(name, "k"),
    ]
    for operation in operations:
        with pytest.raises(BackendError) as exc:
            operation()
        assert exc.value.failure is Failure.INTERNAL
        assert repr(name) in exc.value.message
        assert s3_settings.access_key in exc.value.message
        assert "SECRET_KEY" in exc.value.message


@pytest.fixture
def refusing_endpoint() -> Iterator[str]:
    # A bound socket that never listens: connections are refused, and no one else takes the port.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_s3_endpoint_that_refuses_connections_is_a_backend_error(refusing_endpoint: str) -> None:
    store = S3Store(refusing_endpoint, "ak", "sk")

    with pytest.raises(BackendError) as exc:
        store.read("bucket", "logs/a.csv")

    assert exc.value.failure is Failure.INTERNAL
    assert refusing_endpoint in exc.value.message
    assert "'logs/a.csv'" in exc.value.message and "'bucket'" in exc.value.message


def test_open_store_chooses_the_backend(tmp_path: Path) -> None:
    local = open_kodo(Settings(data_dir=tmp_path))
    assert isinstance(local, LocalKodo)
    assert local.root == tmp_path / "kodo"

    s3 = open_kodo(
        Settings(data_dir=tmp_path, s3=S3Settings(endpoint="http://127.0.0.1:1", access_key="a"))
    )
    assert isinstance(s3, S3Kodo)
    assert s3.store.endpoint == "http://127.0.0.1:1"


# -- one account's view ----------------------------------------------------------------------


def test_local_account_buckets_are_directories_of_their_own(tmp_path: Path) -> None:
    storage = LocalKodo(tmp_path / "kodo")
    alice = storage.for_account(AccountScope("alice"))
    bob = storage.for_account(AccountScope("bob"))
    alice.create_bucket("sales")
    alice.write("sales", "orders/a.json", b"alice's")

    assert (tmp_path / "kodo/alice/sales/orders/a.json").read_bytes() == b"alice's"
    assert not bob.bucket_exists("sales")
    with pytest.raises(NotFoundError):
        bob.list("sales")
    with pytest.raises(NotFoundError):
        bob.read("sales", "orders/a.json")
    bob.create_bucket("sales")  # the same bucket name is another bucket
    bob.write("sales", "orders/a.json", b"bob's")
    bob.delete("sales", "orders/a.json")
    assert alice.read("sales", "orders/a.json") == b"alice's"


@pytest.mark.parametrize("name", ["", "..", ".", "a/b", "A", "Alice", "_x", "9lives", "a b"])
def test_local_account_names_must_be_one_safe_directory_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError):
        LocalKodo(tmp_path / "kodo").for_account(AccountScope(name))


@pytest.mark.parametrize("key", ["a\\b", "a\x00b", "/abs", "a/\nb", "a/../b", "a//b", "."])
def test_keys_no_backend_can_hold_are_refused_on_write(
    store: Buckets, bucket: str, key: str
) -> None:
    with pytest.raises(InvalidInputError) as exc:
        store.write(bucket, key, b"x")
    assert exc.value.failure is Failure.DS_PATH_ILLEGAL
    assert key_problem(key) is not None  # the same rule the create-time checks use


@pytest.mark.s3
def test_s3_account_uses_only_granted_buckets(s3_settings: S3Settings) -> None:
    raw = s3_store(s3_settings)
    mine, theirs = new_name(), new_name()
    raw.create_bucket(mine)
    raw.create_bucket(theirs)
    raw.write(theirs, "secret.json", b"theirs")
    storage = S3Kodo(raw)
    view = storage.for_account(AccountScope("alice", frozenset({mine})))

    view.write(mine, "k.json", b"mine")
    assert view.read(mine, "k.json") == b"mine"
    assert view.bucket_exists(mine) and view.can_use(mine)
    assert not view.bucket_exists(theirs) and not view.can_use(theirs)
    operations: list[Callable[[], object]] = [
        lambda: view.list(theirs),
        lambda: view.read(theirs, "secret.json"),
        lambda: view.open_read(theirs, "secret.json"),
        lambda: view.local_path(theirs, "secret.json"),
        lambda: view.write(theirs, "secret.json", b"overwritten"),
        lambda: view.delete(theirs, "secret.json"),
        lambda: view.create_bucket(new_name()),
    ]
    for operation in operations:
        with pytest.raises(NotFoundError) as exc:
            operation()
        assert exc.value.failure is Failure.DS_VERIFY_NOT_FOUND
        assert "tidemill buckets grant" in exc.value.message
    assert raw.read(theirs, "secret.json") == b"theirs"


def test_s3_endpoint_must_be_a_url() -> None:
    with pytest.raises(TidemillError) as exc:
        S3Store("127.0.0.1:8333", "ak", "sk")
    assert "TIDEMILL_S3__ENDPOINT" in exc.value.message
