"""What hdfs:// adds to the Storage contract (tests/storage/test_storage.py runs that on it too):
bounded waits on namenodes that refuse or never answer, errors without Java traces, pickling."""

from __future__ import annotations

import gc
import pickle
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.throttle import throttled
from tidemill.config import Settings, WorkerConfig
from tidemill.core.object_keys import TEMP_PREFIX
from tidemill.errors import BackendError, Failure, InvalidInputError, NotFoundError
from tidemill.storage.hdfs import HdfsFiles
from tidemill.storage.hdfs_calls import CallLoop
from tidemill.storage.registry import open_storages


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once the socket is closed


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that takes connections and never answers (a hung namenode)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


@pytest.fixture
def root(hdfs_url: str) -> str:
    return f"{hdfs_url}/t-{uuid.uuid4().hex[:12]}/"


def test_a_refused_namenode_fails_at_once_naming_the_url(closed_port: int) -> None:
    files = HdfsFiles(connect_timeout=2, operation_timeout=2)
    uri = f"hdfs://127.0.0.1:{closed_port}/data/x.csv"
    started = time.monotonic()

    for call in (lambda: files.stat(uri), lambda: files.put(uri, b"x"), lambda: files.list(uri)):
        with pytest.raises(BackendError) as exc:
            call()
        assert exc.value.failure is Failure.INTERNAL
        assert uri in exc.value.message and f"hdfs://127.0.0.1:{closed_port}" in exc.value.message
        assert "Connection refused" in exc.value.message

    # hdfs-native alone retries such a port for about three minutes (docs/decisions.md).
    assert time.monotonic() - started < 10


def test_a_namenode_that_never_answers_fails_after_the_operation_timeout(
    silent_port: int,
) -> None:
    files = HdfsFiles(connect_timeout=1, operation_timeout=1.5)
    uri = f"hdfs://127.0.0.1:{silent_port}/data/x.csv"
    started = time.monotonic()

    with pytest.raises(BackendError) as exc:
        files.read(uri)

    waited = time.monotonic() - started
    assert 1.4 < waited < 10  # the deadline, not hdfs-native's wait (for ever)
    assert uri in exc.value.message and "TIDEMILL_HDFS__OPERATION_TIMEOUT" in exc.value.message


def test_a_call_ends_at_its_deadline_though_one_step_may_take_longer(silent_port: int) -> None:
    # Each step may take 3 s, the put 1.5 s in all (then its clean-up gets at most 3 s).
    files = HdfsFiles(connect_timeout=1, operation_timeout=3, deadline=1.5)
    uri = f"hdfs://127.0.0.1:{silent_port}/data/x.csv"
    started = time.monotonic()

    with pytest.raises(BackendError) as exc:
        files.put(uri, b"x")

    assert 1.4 < time.monotonic() - started < 8  # the deadline, then a clean-up of at most 3 s
    assert exc.value.failure is Failure.INTERNAL
    assert uri in exc.value.message and "1.5 s" in exc.value.message
    assert "TIDEMILL_HDFS__DEADLINE" in exc.value.message


@pytest.mark.hdfs
def test_a_put_over_a_slow_link_stops_at_its_deadline_and_leaves_no_temporary_file(
    root: str, hdfs_url: str
) -> None:
    from hdfs_native import Client

    # Every step answers, slowly (the namenode's link at 400 bytes/s: a put takes about 3 s);
    # no step reaches the 60 s bound, all of them together pass the deadline.
    with throttled(hdfs_url, 400) as link:
        slow_root = root.replace(hdfs_url, "hdfs" + link.endpoint[len("http") :])
        files = HdfsFiles(operation_timeout=60, deadline=1.0)
        started = time.monotonic()
        with pytest.raises(BackendError) as exc:
            files.put(slow_root + "dir/x.bin", b"x" * 3000)
        waited = time.monotonic() - started

    assert 0.9 < waited < 8  # the deadline, and a bounded clean-up
    assert slow_root + "dir/x.bin" in exc.value.message and "1 s" in exc.value.message
    path = "/" + root.partition("://")[2].partition("/")[2] + "dir"
    client = Client(hdfs_url)
    left = (
        [s.path for s in client.list_status(path)] if HdfsFiles().is_directory(root + "dir") else []
    )
    assert not [name for name in left if TEMP_PREFIX in name], left
    assert not HdfsFiles().exists(root + "dir/x.bin")


@pytest.mark.hdfs
def test_a_client_outlives_the_backend_that_made_it(root: str) -> None:
    """Dropping an hdfs-native client shuts its runtime down while holding the GIL, which a
    thread of that runtime may be waiting for: a deadlock (seen in gdb). So a backend that goes
    leaves its client to the process, and the next backend uses it."""
    files = HdfsFiles()
    files.put(root + "a", b"a")
    namenode = root.split("/", 3)
    client = files._client(root + "a", f"hdfs://{namenode[2]}")
    del files
    gc.collect()

    other = HdfsFiles()
    assert other.read(root + "a") == b"a"
    assert other._client(root + "a", f"hdfs://{namenode[2]}") is client


def test_every_public_call_of_the_backend_is_bounded_by_the_deadline() -> None:
    public = [n for n in vars(HdfsFiles) if not n.startswith("_") and callable(vars(HdfsFiles)[n])]
    assert "put" in public and "hidden_directories" in public
    assert [n for n in public if not hasattr(vars(HdfsFiles)[n], "__wrapped__")] == []


def test_a_caller_stops_waiting_on_a_stuck_call_loop_and_the_next_call_gets_a_new_one() -> None:
    async def stuck() -> None:
        time.sleep(3)  # blocks the loop's thread: its own timers cannot fire (a blocking poll)

    async def answer() -> str:
        return "answered"

    calls = CallLoop(grace=0.3)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        calls.run(stuck(), 0.2)

    assert time.monotonic() - started < 2
    assert calls.run(answer(), 1) == "answered"  # not queued behind the stuck call
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "uri",
    [
        "hdfs:///no/namenode",
        "hdfs://nn:8020/a/../b",
        "hdfs://nn:8020/a//b",
        "hdfs://nn:8020",
        "hdfs://nn:8020/logs/12:00.csv",  # HDFS allows no ':' in a name
    ],
)
def test_uris_that_name_no_hdfs_file_are_refused(uri: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        HdfsFiles().stat(uri)
    assert exc.value.failure is Failure.DS_PATH_ILLEGAL
    assert repr(uri) in exc.value.message


@pytest.mark.hdfs
def test_namenode_errors_read_as_one_line_naming_the_uri(root: str) -> None:
    files = HdfsFiles()
    files.put(root + "a.csv", b"x")

    with pytest.raises(BackendError) as exc:
        files.put(root + "a.csv/under-a-file", b"y")  # a file where a directory must be

    assert root + "a.csv/under-a-file" in exc.value.message
    assert "ParentNotDirectoryException" in exc.value.message
    assert "\n" not in exc.value.message and "\tat " not in exc.value.message
    assert "java:" not in exc.value.message  # no frame of the namenode's stack trace


@pytest.mark.hdfs
def test_a_directory_is_no_file(root: str) -> None:
    files = HdfsFiles()
    files.put(root + "dir/x", b"x")

    assert not files.exists(root + "dir")
    with pytest.raises(NotFoundError):
        files.read(root + "dir")
    assert [info.uri for info in files.list(root + "dir")] == [root + "dir/x"]


@pytest.mark.hdfs
def test_a_pickled_backend_works_where_it_is_unpickled(root: str) -> None:
    files = HdfsFiles(connect_timeout=3, operation_timeout=30, chunk_bytes=1000, deadline=90)
    files.put(root + "before", b"p" * 2500)  # its client and call loop exist now

    copy = pickle.loads(pickle.dumps(files))

    assert (copy.connect_timeout, copy.operation_timeout, copy.chunk_bytes) == (3, 30, 1000)
    assert copy.deadline == 90
    assert copy.read(root + "before", 990, 20) == b"p" * 20  # across a chunk boundary
    copy.put(root + "after", b"q")
    assert files.read(root + "after") == b"q"


@pytest.mark.hdfs
def test_streams_read_across_chunks_and_seek(root: str) -> None:
    files = HdfsFiles(chunk_bytes=1000)
    data = bytes(range(256)) * 20  # 5,120 bytes: six chunks
    files.put(root + "s.bin", data)

    with files.open(root + "s.bin") as stream:
        assert stream.read(10) == data[:10]
        stream.seek(4000)
        assert stream.read(2000) == data[4000:]
        assert stream.read() == b""
        stream.seek(-20, 2)
        assert stream.read() == data[-20:]


@pytest.mark.hdfs
def test_paths_under_a_file_hold_nothing_to_delete(root: str) -> None:
    files = HdfsFiles()
    files.put(root + "f.txt", b"kept")

    files.delete(root + "f.txt/g")  # the namenode refuses such a path: nothing is there
    assert files.delete_prefix(root + "f.txt/") == 0  # the file is not under its own "dir"

    assert files.read(root + "f.txt") == b"kept"
    assert not files.exists(root + "f.txt/g")


def test_the_timeouts_are_settings_that_reach_the_backend(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIDEMILL_HDFS__CONNECT_TIMEOUT", "1.5")
    monkeypatch.setenv("TIDEMILL_HDFS__OPERATION_TIMEOUT", "7")
    monkeypatch.setenv("TIDEMILL_HDFS__CHUNK_BYTES", "65536")
    monkeypatch.setenv("TIDEMILL_HDFS__DEADLINE", "42")
    settings = Settings(data_dir=tmp_path)

    for config in (settings, WorkerConfig.of(settings)):
        backend = open_storages(config).backends["hdfs"]
        assert isinstance(backend, HdfsFiles)
        assert (backend.connect_timeout, backend.operation_timeout, backend.chunk_bytes) == (
            1.5,
            7,
            65536,
        )
        assert backend.deadline == 42

    monkeypatch.setenv("TIDEMILL_HDFS__OPERATION_TIMEOUT", "0")
    with pytest.raises(ValidationError, match="operation_timeout"):
        Settings(data_dir=tmp_path)


@pytest.mark.hdfs
def test_a_prefix_ending_mid_name_walks_only_the_names_it_starts(
    root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hdfs_native import Client

    HdfsFiles().put(root + "logs/2017-06-01/a.gz", b"june")
    HdfsFiles().put(root + "logs/2017-07-01/b.gz", b"july")
    namenode, _, path = root.partition("://")[2].partition("/")
    Client(f"hdfs://{namenode}").set_permission(f"/{path}logs/2017-07-01", 0o700)  # root's only
    monkeypatch.setenv("HADOOP_USER_NAME", "guest")  # the user hdfs-native's next client is
    guest = HdfsFiles()

    # Walking logs/2017-07-01 would fail for guest: the listing does not go there.
    assert [i.uri for i in guest.list(root + "logs/2017-06")] == [root + "logs/2017-06-01/a.gz"]
    with pytest.raises(BackendError, match="AccessControlException"):
        guest.list(root + "logs/")


def test_a_namenode_without_port_needs_hadoops_configuration() -> None:
    # Without a port the authority names a name service; none is configured here.
    with pytest.raises(BackendError) as exc:
        HdfsFiles(connect_timeout=1, operation_timeout=2).stat("hdfs://localhost/x.csv")
    assert "hdfs://localhost/x.csv" in exc.value.message
    assert "HADOOP_CONF_DIR" in exc.value.message
