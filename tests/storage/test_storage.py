"""The Storage contract (files by URI): every registered backend must pass this file.

The backends come from the registry (`storage.registry.BACKENDS`); `ROOTS` says how a test
gets a fresh place on each. A backend registered without an entry there fails here, so a new
backend cannot skip the suite. Read-only backends (`READ_ONLY`: http(s), the Fusion log
list's files) must refuse every write instead (`test_read_only_backends_refuse_every_write`).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tidemill.config import S3Settings
from tidemill.errors import BackendError, Failure, InvalidInputError, NotFoundError
from tidemill.storage.base import Storage, join, scheme_of
from tidemill.storage.local import (
    TEMP_PREFIX,
    directory_syncs_deferred,
    file_system_type,
    file_uri,
)
from tidemill.storage.registry import (
    BACKENDS,
    READ_ONLY,
    S3Config,
    StorageConfig,
    Storages,
    open_storages,
)
from tidemill.storage.s3 import MiB, S3Store


def _file_root(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[StorageConfig, str]:
    return StorageConfig(), file_uri(tmp_path / "files") + "/"


def _mem_root(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[StorageConfig, str]:
    return StorageConfig(memory=True), f"mem://t-{uuid.uuid4().hex[:8]}/"


def _s3_root(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[StorageConfig, str]:
    settings: S3Settings = request.getfixturevalue("s3_settings")
    secret = settings.secret_key.get_secret_value()
    config = S3Config(settings.endpoint, settings.access_key, secret, settings.region)
    bucket = "t-" + uuid.uuid4().hex[:16]
    S3Store(config.endpoint, config.access_key, secret, config.region).create_bucket(bucket)
    return StorageConfig(s3=config), f"s3://{bucket}/w/"


def _hdfs_root(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[StorageConfig, str]:
    namenode: str = request.getfixturevalue("hdfs_url")
    return StorageConfig(), f"{namenode}/t-{uuid.uuid4().hex[:12]}/w/"


ROOTS: dict[str, Callable[[pytest.FixtureRequest, Path], tuple[StorageConfig, str]]] = {
    "file": _file_root,
    "mem": _mem_root,
    "s3": _s3_root,
    "hdfs": _hdfs_root,
}
MARKS = {"s3": [pytest.mark.s3], "hdfs": [pytest.mark.hdfs]}


@pytest.fixture(
    params=[pytest.param(s, marks=MARKS.get(s, [])) for s in sorted(set(BACKENDS) - READ_ONLY)]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Storage, str]:
    """(the backend, a fresh root URI ending with '/') for each registered scheme."""
    config, root = ROOTS[request.param](request, tmp_path)
    storages = open_storages(config)
    return storages.backends[request.param], root


@pytest.fixture
def storage(backend: tuple[Storage, str]) -> Storage:
    return backend[0]


@pytest.fixture
def root(backend: tuple[Storage, str]) -> str:
    return backend[1]


def uris(storage: Storage, prefix: str) -> list[str]:
    return [info.uri for info in storage.list(prefix)]


def test_put_reads_back_with_its_size(storage: Storage, root: str) -> None:
    uri = root + "runs/1/part-0.bin"
    data = bytes(range(256)) * 100
    before = datetime.now(UTC) - timedelta(minutes=5)

    storage.put(uri, data)

    assert storage.read(uri) == data
    assert storage.exists(uri)
    info = storage.stat(uri)
    assert (info.uri, info.size) == (uri, len(data))
    assert info.modified.tzinfo is not None
    assert before < info.modified < datetime.now(UTC) + timedelta(minutes=5)
    with storage.open(uri) as stream:
        assert stream.read() == data


@pytest.mark.parametrize("durable", [True, False], ids=["durable", "not-durable"])
def test_put_replaces_the_whole_file(storage: Storage, root: str, durable: bool) -> None:
    storage.put(root + "f", b"a much longer first version", durable=durable)
    storage.put(root + "f", b"short", durable=durable)
    assert storage.read(root + "f") == b"short"
    assert storage.stat(root + "f").size == len(b"short")


def test_list_gives_sizes_in_uri_order_under_the_prefix(storage: Storage, root: str) -> None:
    for name, size in [("b/x", 3), ("a-b", 1), ("a/b", 2), ("a/c/d", 4), ("ab", 5), ("c", 0)]:
        storage.put(root + name, b"z" * size)

    listed = [(info.uri, info.size) for info in storage.list(root)]

    names = ["a-b", "a/b", "a/c/d", "ab", "b/x", "c"]  # code-point order: '-' < '/' < 'b'
    assert listed == [(root + n, s) for n, s in zip(names, [1, 2, 4, 5, 3, 0], strict=True)]
    assert uris(storage, root + "a/") == [root + "a/b", root + "a/c/d"]
    assert uris(storage, root + "a") == [root + n for n in ["a-b", "a/b", "a/c/d", "ab"]]
    assert uris(storage, root + "a/c/d") == [root + "a/c/d"]
    assert uris(storage, root + "nothing/") == []
    assert uris(storage, root + "no") == []


def test_a_prefix_where_nothing_was_written_lists_nothing(storage: Storage, root: str) -> None:
    assert uris(storage, root) == []
    assert uris(storage, root + "deep/er/") == []


def test_read_ranges(storage: Storage, root: str) -> None:
    uri = root + "ranges.bin"
    data = bytes(range(200))
    storage.put(uri, data)

    assert storage.read(uri, 10, 5) == data[10:15]
    assert storage.read(uri, 190) == data[190:]
    assert storage.read(uri, 195, 100) == data[195:]  # a range past the end: what exists
    assert storage.read(uri, 200) == b""
    assert storage.read(uri, 500, 3) == b""
    assert storage.read(uri, 0, 0) == b""
    with pytest.raises(InvalidInputError):
        storage.read(uri, -1)


@pytest.mark.parametrize("durable", [True, False], ids=["durable", "not-durable"])
def test_readers_see_the_old_or_the_new_file_never_half(
    storage: Storage, root: str, durable: bool
) -> None:
    uri = root + "atomic.bin"
    old, new = b"o" * (1 << 20), b"n" * (2 << 20)
    storage.put(uri, old)
    seen: set[tuple[int, bytes]] = set()
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            data = storage.read(uri)
            seen.add((len(data), bytes(set(data))))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(6):
            storage.put(uri, new, durable=durable)
            storage.put(uri, old, durable=durable)
    finally:
        done.set()
        thread.join()
    assert seen <= {(len(old), b"o"), (len(new), b"n")}, seen


def test_writers_leave_no_temporary_files_listed(
    storage: Storage, root: str, tmp_path: Path
) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(b"abc")
    storage.put(root + "d/one", b"1")
    storage.put(root + "d/four", b"4", durable=False)
    storage.upload(root + "d/two", source)
    storage.rename(root + "d/two", root + "d/three")

    assert uris(storage, root) == [root + "d/four", root + "d/one", root + "d/three"]
    assert all(TEMP_PREFIX not in uri for uri in uris(storage, root))


@pytest.mark.parametrize("size", [0, 1000, 6 * MiB + 17], ids=["empty", "small", "multipart"])
def test_upload_copies_a_local_file(storage: Storage, root: str, tmp_path: Path, size: int) -> None:
    source = tmp_path / "part-0.parquet"
    data = (bytes(range(251)) * (size // 251 + 1))[:size]
    source.write_bytes(data)

    storage.upload(root + "job/1/result.parquet", source)

    assert storage.read(root + "job/1/result.parquet") == data
    assert storage.stat(root + "job/1/result.parquet").size == size
    assert source.read_bytes() == data


def test_upload_with_move_takes_the_file_over(storage: Storage, root: str, tmp_path: Path) -> None:
    source = tmp_path / "staged.parquet"
    source.write_bytes(b"PAR1 staged")
    storage.put(root + "out/result.parquet", b"older")

    storage.upload(root + "out/result.parquet", source, move=True)

    assert storage.read(root + "out/result.parquet") == b"PAR1 staged"
    assert not source.exists()


def test_upload_of_a_missing_local_file_is_a_backend_error(
    storage: Storage, root: str, tmp_path: Path
) -> None:
    for move in (False, True):
        with pytest.raises(BackendError) as exc:
            storage.upload(root + "k", tmp_path / "absent.csv", move=move)
        assert "absent.csv" in exc.value.message
        assert exc.value.failure is Failure.INTERNAL
    assert not storage.exists(root + "k")


def test_rename_moves_and_replaces(storage: Storage, root: str) -> None:
    storage.put(root + "tmp/.attempt-1", b"new result")
    storage.put(root + "7/result.parquet", b"old result")

    storage.rename(root + "tmp/.attempt-1", root + "7/result.parquet")

    assert storage.read(root + "7/result.parquet") == b"new result"
    assert not storage.exists(root + "tmp/.attempt-1")
    assert uris(storage, root) == [root + "7/result.parquet"]


def test_delete_is_idempotent(storage: Storage, root: str) -> None:
    storage.put(root + "a/b/c.txt", b"x")
    storage.put(root + "a/keep.txt", b"y")

    storage.delete(root + "a/b/c.txt")
    storage.delete(root + "a/b/c.txt")
    storage.delete(root + "never/written")

    assert uris(storage, root) == [root + "a/keep.txt"]
    assert not storage.exists(root + "a/b/c.txt")


def test_delete_prefix_deletes_what_is_under_it_and_counts(storage: Storage, root: str) -> None:
    for name in ["job/1/result.parquet", "job/2/result.parquet", "job/2/x", "jobs/1", "other"]:
        storage.put(root + name, b"x")

    assert storage.delete_prefix(root + "job/") == 3
    assert uris(storage, root) == [root + "jobs/1", root + "other"]
    assert storage.delete_prefix(root + "job/") == 0
    assert storage.delete_prefix(root + "never/") == 0
    storage.put(root + "job", b"a file where a directory was")
    assert storage.read(root + "job") == b"a file where a directory was"


def test_local_path_holds_the_bytes_and_the_suffixes(storage: Storage, root: str) -> None:
    uri = root + "logs/2017-06-01/access.csv.gz"
    storage.put(uri, b"\x1f\x8bcontent")

    with storage.local_path(uri) as path:
        assert path.read_bytes() == b"\x1f\x8bcontent"
        assert path.name.endswith(".csv.gz")  # engines detect the format by the suffix
    if scheme_of(uri) == "file":
        assert file_uri(path) == uri and path.exists()  # the file itself
    else:
        assert not path.exists()  # a copy, removed on exit


@pytest.mark.parametrize("name", ["never/written.csv", "dir/absent", "dir"])
def test_missing_files_are_not_found_naming_the_uri(storage: Storage, root: str, name: str) -> None:
    storage.put(root + "dir/present", b"x")
    missing = root + name  # "dir" holds a file, but is none
    operations: dict[str, Callable[[], object]] = {
        "stat": lambda: storage.stat(missing),
        "open": lambda: storage.open(missing),
        "read": lambda: storage.read(missing),
        "read range": lambda: storage.read(missing, 1, 2),
        "local_path": lambda: storage.local_path(missing),
        "rename": lambda: storage.rename(missing, root + "elsewhere"),
    }
    for what, operation in operations.items():
        with pytest.raises(NotFoundError) as exc:
            operation()
        assert exc.value.failure is Failure.DS_VERIFY_NOT_FOUND, what
        assert missing in exc.value.message, what
    assert not storage.exists(missing)
    assert not storage.exists(root + "elsewhere")


def test_uris_of_another_scheme_or_shape_are_refused(storage: Storage, root: str) -> None:
    other = "mem://x/y" if scheme_of(root) != "mem" else "file:///tmp/y"
    for uri in [other, root + "dir/", "no-scheme/at/all"]:
        with pytest.raises(InvalidInputError) as exc:
            storage.put(uri, b"x")
        assert exc.value.failure is Failure.DS_PATH_ILLEGAL
        assert repr(uri) in exc.value.message


# -- the registry ----------------------------------------------------------------------------


def test_registry_routes_by_scheme(tmp_path: Path) -> None:
    storages = open_storages(StorageConfig(memory=True))
    local = file_uri(tmp_path / "a.txt")

    storages.put(local, b"on disk")
    storages.put("mem://m/a.txt", b"in memory")

    assert (tmp_path / "a.txt").read_bytes() == b"on disk"
    assert storages.read("mem://m/a.txt") == b"in memory"
    assert [i.uri for i in storages.list(file_uri(tmp_path) + "/")] == [local]
    assert sorted(storages.backends) == ["file", "hdfs", "mem"]  # s3 only with an endpoint


def test_a_durable_local_put_syncs_the_file_and_its_directory_and_the_other_neither(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `durable` changes on file://, through the registry: the fsyncs (the real ones,
    counted by what they were given: the file's descriptor or its directory's)."""
    synced: list[str] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    storages = open_storages(StorageConfig())
    uri = file_uri(tmp_path / "d" / "log.txt")

    storages.put(uri, b"synced")
    assert synced == ["file", "dir"]
    synced.clear()
    storages.put(uri, b"not synced", durable=False)
    assert synced == []
    assert (tmp_path / "d" / "log.txt").read_bytes() == b"not synced"
    assert os.listdir(tmp_path / "d") == ["log.txt"]  # no temporary file left beside it


@pytest.mark.parametrize("where", ["tmp", "shm"])
def test_a_new_directorys_entry_is_synced_in_its_parent_once_where_the_file_system_needs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A batch's result adopted into a new run directory (<warehouse>/1/j/1/): the job's
    directory, which holds the new entry, is synced once, unless the file system's journal
    commits that entry with the run directory's own sync (ext3/ext4/XFS); a second file there
    syncs only its own directory."""
    if where == "shm":
        if not Path("/dev/shm").is_dir():
            pytest.skip("no /dev/shm")
        tmp_path = Path(tempfile.mkdtemp(dir="/dev/shm"))  # tmpfs: no journal
    kind = subprocess.run(["stat", "-f", "-c", "%T", str(tmp_path)], capture_output=True)
    journaled = kind.stdout.decode().strip() in ("ext2/ext3", "xfs")  # coreutils' names
    assert (file_system_type(tmp_path) in ("ext3", "ext4", "xfs")) == journaled
    synced: list[str] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    job = tmp_path / "wh" / "1" / "j"
    job.mkdir(parents=True)
    monkeypatch.setattr(os, "fsync", counting_fsync)
    storages = open_storages(StorageConfig())
    result, log = tmp_path / "result.parquet", tmp_path / "log.txt"
    result.write_bytes(b"PAR1")
    log.write_bytes(b"done")
    try:
        storages.upload(file_uri(job / "1" / "result.parquet"), result, move=True)
        assert synced == ([] if journaled else [str(job)]) + [str(job / "1")]
        synced.clear()
        storages.upload(file_uri(job / "1" / "log.txt"), log, move=True)
        assert synced == [str(job / "1")]
    finally:
        if where == "shm":
            shutil.rmtree(tmp_path, ignore_errors=True)


def test_deferred_directory_syncs_sync_each_directory_once_at_the_blocks_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch's result and its log renamed into one directory: each file synced as it is
    written, their directory once, when the block ends (also when it raises); another
    thread's write in the meantime syncs its own directory at once."""
    synced: list[str] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        synced.append(f"{kind} {threading.current_thread().name}")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    storages = open_storages(StorageConfig())
    staged = tmp_path / "staged.parquet"
    staged.write_bytes(b"result")
    batch = tmp_path / "w" / "7"
    main = threading.current_thread().name

    with directory_syncs_deferred():
        storages.upload(file_uri(batch / "result.parquet"), staged, move=True)
        storages.put(file_uri(batch / "log.txt"), b"log")
        other = threading.Thread(
            target=storages.put, args=(file_uri(tmp_path / "x" / "f"), b"x"), name="other"
        )
        other.start()
        other.join()
        assert synced == [f"file {main}", f"file {main}", "file other", "dir other"]
    assert synced[4:] == [f"dir {main}"]
    assert sorted(os.listdir(batch)) == ["log.txt", "result.parquet"]

    synced.clear()
    with pytest.raises(RuntimeError), directory_syncs_deferred():
        storages.put(file_uri(batch / "log.txt"), b"again")
        raise RuntimeError("the block failed")
    assert synced == [f"file {main}", f"dir {main}"]
    storages.put(file_uri(batch / "log.txt"), b"outside")  # synced at once again
    assert synced[2:] == [f"file {main}", f"dir {main}"]


@pytest.mark.parametrize("where", ["tmp", "shm"])
def test_deferred_puts_are_synced_after_their_rename_and_cover_the_directory_on_a_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """`directory_syncs_deferred(puts=True)`, a batch's end: the result's file synced as it is
    adopted, the log written and renamed unsynced, then at the block's end the log's file
    synced at its final name — which, on ext3/ext4/XFS, commits both renames, so their
    directory is not synced; elsewhere it is. An unsynced put stays unsynced; a file whose
    sync fails leaves its directory synced."""
    if where == "shm":
        if not Path("/dev/shm").is_dir():
            pytest.skip("no /dev/shm")
        tmp_path = Path(tempfile.mkdtemp(dir="/dev/shm"))  # tmpfs: no journal
    journaled = file_system_type(tmp_path) in ("ext3", "ext4", "xfs")
    synced: list[str] = []
    real_fsync = os.fsync
    failing: list[str] = []

    def counting_fsync(fd: int) -> None:
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        name = os.readlink(f"/proc/self/fd/{fd}")
        synced.append(f"{kind} {name}")
        if name in failing:
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    storages = open_storages(StorageConfig())
    batch = tmp_path / "w" / "7"
    batch.mkdir(parents=True)
    staged = tmp_path / "staged.parquet"
    staged.write_bytes(b"result")
    result, log = batch / "result.parquet", batch / "log.txt"
    try:
        with directory_syncs_deferred(puts=True):
            storages.upload(file_uri(result), staged, move=True)
            storages.put(file_uri(log), b"log")
            storages.put(file_uri(batch / "first.txt"), b"unsynced", durable=False)
            assert synced == [f"file {staged}"]  # the result's, before its rename
            assert log.read_bytes() == b"log"  # in place, its sync still to come
        assert synced[1:] == [f"file {log}"] + ([] if journaled else [f"dir {batch}"])

        synced.clear()
        failing.append(str(log))
        with directory_syncs_deferred(puts=True):
            storages.put(file_uri(log), b"again")
        assert synced == [f"file {log}", f"dir {batch}"]  # the directory synced all the same
        assert log.read_bytes() == b"again"
    finally:
        if where == "shm":
            shutil.rmtree(tmp_path, ignore_errors=True)


def test_registry_refuses_unserved_schemes_and_cross_backend_renames(tmp_path: Path) -> None:
    storages: Storages = open_storages(StorageConfig(memory=True))
    storages.put("mem://m/a", b"x")

    with pytest.raises(InvalidInputError) as exc:
        storages.read("s3://bucket/key")
    assert "TIDEMILL_S3__ENDPOINT" in exc.value.message and "'s3://bucket/key'" in exc.value.message
    with pytest.raises(InvalidInputError) as exc:
        storages.rename("mem://m/a", file_uri(tmp_path / "a"))
    assert "one storage backend" in exc.value.message
    assert storages.read("mem://m/a") == b"x"


def test_join_builds_uris() -> None:
    assert join("s3://b/w/", "3", "job", "7") == "s3://b/w/3/job/7"
    assert join("file:///data/warehouse", "1") == "file:///data/warehouse/1"
    assert join("mem://", "x") == "mem://x"


@pytest.mark.parametrize("scheme", sorted(READ_ONLY))
def test_read_only_backends_refuse_every_write(scheme: str, tmp_path: Path) -> None:
    read_only = open_storages(StorageConfig(http=True)).backends[scheme]
    uri = f"{scheme}://127.0.0.1:9/logs/a.gz"
    source = tmp_path / "a.gz"
    source.write_bytes(b"x")
    writes: list[Callable[[], object]] = [
        lambda: read_only.put(uri, b"x"),
        lambda: read_only.put(uri, b"x", durable=False),
        lambda: read_only.upload(uri, source),
        lambda: read_only.rename(uri, uri + ".2"),
        lambda: read_only.delete(uri),
        lambda: read_only.delete_prefix(f"{scheme}://127.0.0.1:9/logs/"),
    ]
    for write in writes:
        with pytest.raises(BackendError) as exc:
            write()
        assert uri.split("/logs/")[0] in exc.value.message
    assert source.read_bytes() == b"x"
