"""hdfs://: files on HDFS through hdfs-native (a native client: no JVM in the service).

A URI names its namenode and an absolute path: `hdfs://namenode:8020/warehouse/3/result.parquet`.
One `HdfsFiles` serves every namenode the URIs name (the process's client per namenode, made on
first use, shared by every `HdfsFiles` and never dropped: `_SHARED`).
Paths follow the key rule of core.object_keys (no `//`, `.` or `..` names); names starting with
TEMP_PREFIX are writers' temporary files, never listed.

Timeouts (`HdfsSettings`): a namenode is first reached with a plain TCP connect bounded by
`connect_timeout`, so an unreachable one fails within that many seconds naming the URI; every call
after that (one RPC, or one chunk of `chunk_bytes` read or written) is bounded by
`operation_timeout` (storage.hdfs_calls), and each call of this `Storage` (a whole put with its
retries, a whole read, one read of a stream) by `deadline` in all: past it the call fails with a
BackendError naming the URI and the deadline, and what it started is cleaned up (a write's
temporary file deleted, within a short bound of its own). Writes go to a temporary file beside
the target, then an overwriting rename, which the namenode performs atomically: readers see the
old file or the new, never half.
"""

from __future__ import annotations

import builtins
import functools
import io
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlsplit

from tidemill.core.object_keys import TEMP_PREFIX
from tidemill.errors import BackendError, Failure, InvalidInputError, TidemillError
from tidemill.storage.base import FileInfo
from tidemill.storage.hdfs_calls import CALLS, DeadlineExceeded, reason, translate
from tidemill.storage.hdfs_uris import parse_uri

if TYPE_CHECKING:  # hdfs-native is imported on first use: most installations never need it
    from hdfs_native import AsyncClient, AsyncFileReader, FileStatus
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12

__all__ = ["HdfsFiles"]

T = TypeVar("T")
P = ParamSpec("P")

# hdfs-native retries a namenode it cannot connect to (Hadoop's dfs.client.failover.* settings):
# with its defaults a closed port failed after 180 s (measured). One try: the caller's retry
# policy decides about another.
_CLIENT_CONFIG = {"dfs.client.failover.max.attempts": "0"}

# Failures of a write that a new attempt can get past: the namenode adds a block only once the
# previous one is reported stored, and hdfs-native does not wait and ask again (Hadoop's client
# retries addBlock 5 times from 400 ms). Seen on the test cluster with 1 MiB blocks.
_BLOCK_RACES = ("NotReplicatedYetException", "Failed to complete file in time")
WRITE_ATTEMPTS = 3

# Seconds (at most the operation timeout) a failed call's clean-up may take past its deadline.
CLEANUP_SECONDS = 10.0


class _Deadline(threading.local):
    """The monotonic time the current thread's outermost storage call must end by (None: in
    no call). Calls made inside another (rename's stat, delete_prefix's list) keep its end."""

    end: float | None = None


_DEADLINE = _Deadline()


def _bounded(
    method: Callable[Concatenate[HdfsFiles, P], T],
) -> Callable[Concatenate[HdfsFiles, P], T]:
    """Run `method` within the backend's deadline (an enclosing call's when there is one)."""

    def bounded(self: HdfsFiles, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with self._within_deadline():
            return method(self, *args, **kwargs)

    functools.update_wrapper(bounded, method)  # its name, its docstring, `__wrapped__`
    return bounded


# Clients a forked child inherited, and clients made by a thread that lost the race to make
# one (HdfsFiles._client): never used, never dropped.
_INHERITED: list[AsyncClient] = []

# Every client this process made, by namenode and HADOOP_USER_NAME (the user hdfs-native takes
# when it is made), shared by every HdfsFiles and never dropped: dropping one shuts its tokio
# runtime down, which waits for the runtime's threads while the dropping thread holds the GIL,
# and a thread of that runtime waking one of our loop's futures waits for the GIL: a deadlock
# for ever (caught in gdb in this session: a test's temporary HdfsFiles freed its client while
# a runtime thread sat in call_soon_threadsafe). The likely cause of session 5's hang.
_SHARED: dict[tuple[str, str | None], AsyncClient] = {}
_SHARED_LOCK = threading.Lock()
_SHARED_PID = [os.getpid()]


class HdfsFiles:
    """The `Storage` of hdfs:// URIs (storage.base). Thread-safe. Its clients are the process's
    (one per namenode and user, never dropped: `_SHARED`)."""

    scheme = "hdfs"

    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        operation_timeout: float = 60.0,
        chunk_bytes: int = 4 * 1024 * 1024,
        deadline: float = 300.0,
    ) -> None:
        """Seconds to reach a namenode, seconds per hdfs-native call, bytes per streamed call,
        seconds per call of this Storage in all (all > 0; config.HdfsSettings documents them)."""
        self.connect_timeout = connect_timeout
        self.operation_timeout = operation_timeout
        self.chunk_bytes = chunk_bytes
        self.deadline = deadline

    def __reduce__(
        self,
    ) -> tuple[Callable[[float, float, int, float], HdfsFiles], tuple[float, float, int, float]]:
        # Pickled as its settings: clients and the call loop are made again where it is used.
        settings = (self.connect_timeout, self.operation_timeout, self.chunk_bytes, self.deadline)
        return (_reopen, settings)

    @_bounded
    def list(self, prefix: str) -> Iterator[FileInfo]:
        namenode, path = parse_uri(prefix, prefix=True)
        statuses: builtins.list[FileStatus] = []
        if prefix.endswith("/") or path == "/":
            statuses = self._listing(prefix, namenode, path, recursive=True)
        else:
            # Only the entries of the parent whose name starts with the prefix's last name are
            # walked (hdfs://nn/logs/2017-06 walks logs/2017-06-01/, not all of logs/).
            partial = PurePosixPath(path)
            for entry in self._listing(prefix, namenode, str(partial.parent), recursive=False):
                if not PurePosixPath(entry.path).name.startswith(partial.name):
                    continue
                if entry.isdir:
                    statuses += self._listing(prefix, namenode, entry.path, recursive=True)
                else:
                    statuses.append(entry)
        # Writers' temporary files and directories below the prefix are never shown (a listing
        # of a temporary directory itself shows its files: its writer cleans up so).
        shown_from = prefix[: prefix.rfind("/") + 1]
        found = [
            _info(namenode + status.path, status)
            for status in statuses
            if not status.isdir
            and (namenode + status.path).startswith(prefix)
            and not _temporary((namenode + status.path)[len(shown_from) :])
        ]
        return iter(sorted(found, key=lambda info: info.uri))

    @_bounded
    def exists(self, uri: str) -> bool:
        namenode, path = parse_uri(uri)
        try:
            status = self._call(uri, namenode, "stat", lambda c: c.get_file_info(path))
        except TidemillError as exc:
            if exc.failure is Failure.DS_VERIFY_NOT_FOUND:
                return False
            raise
        return not status.isdir

    @_bounded
    def stat(self, uri: str) -> FileInfo:
        namenode, path = parse_uri(uri)
        status = self._call(uri, namenode, "stat", lambda c: c.get_file_info(path))
        if status.isdir:
            raise translate(FileNotFoundError(f"{path} is a directory"), "stat", uri, namenode)
        return _info(uri, status)

    @_bounded
    def open(self, uri: str) -> BinaryIO:
        reader = self._reader(uri)
        return io.BufferedReader(_Stream(self, uri, reader), self.chunk_bytes)

    @_bounded
    def read(self, uri: str, start: int = 0, length: int | None = None) -> bytes:
        if start < 0 or (length is not None and length < 0):
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"Cannot read {uri}: range start {start}, length {length} (neither may be "
                "negative)",
                uri=uri,
            )
        reader = self._reader(uri)
        end = len(reader) if length is None else min(len(reader), start + length)
        return b"".join(self._chunks(uri, reader, start, end))

    @_bounded
    def put(self, uri: str, data: bytes, *, durable: bool = True) -> None:
        # Closing the file waits for its blocks' replicas: every write is as durable as HDFS.
        view = memoryview(data)
        step = self.chunk_bytes
        self._replace(uri, "write", lambda: (view[i : i + step] for i in range(0, len(view), step)))

    @_bounded
    def upload(self, uri: str, source: Path, *, move: bool = False) -> None:
        def chunks() -> Iterator[Buffer]:
            with source.open("rb") as file:
                while chunk := file.read(self.chunk_bytes):
                    yield chunk

        try:
            self._replace(uri, "upload", chunks)
        except OSError as exc:  # reading the local file
            raise BackendError(
                Failure.INTERNAL,
                f"Cannot upload {source} to {uri}: {exc.strerror or exc}",
                uri=uri,
            ) from exc
        if move:
            source.unlink(missing_ok=True)

    @_bounded
    def rename(self, src: str, dst: str) -> None:
        namenode, src_path = parse_uri(src)
        dst_namenode, dst_path = parse_uri(dst)
        if dst_namenode != namenode:
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"Cannot rename {src} to {dst}: a rename stays on one namenode",
                src=src,
                dst=dst,
            )
        self.stat(src)  # a missing file, or a directory: NotFoundError naming `src`
        self._move(src, namenode, src_path, dst_path)

    @_bounded
    def delete(self, uri: str) -> None:
        namenode, path = parse_uri(uri)
        try:
            self._call(uri, namenode, "delete", lambda c: c.delete(path, False))
        except TidemillError:
            if self.exists(uri):
                raise
            # e.g. a path under a file: the namenode refuses, but there is nothing to delete

    @_bounded
    def delete_prefix(self, prefix: str) -> int:
        namenode, path = parse_uri(prefix, prefix=True)
        doomed = [info.uri for info in self.list(prefix)]
        if prefix.endswith("/") and path != "/" and doomed:
            # The whole directory (its temporary files and empty directories too), in one call;
            # it is one, since files are under it.
            self._call(prefix, namenode, "delete", lambda c: c.delete(path, True))
        else:
            for uri in doomed:
                self.delete(uri)
        return len(doomed)

    @_bounded
    def local_path(self, uri: str) -> AbstractContextManager[Path]:
        reader = self._reader(uri)  # a missing file fails here, not on enter
        return self._download(uri, reader)

    # -- directories (HDFS only: what makes an hdfs export directory-atomic) -------------------

    @_bounded
    def is_directory(self, uri: str) -> bool:
        """Whether `uri` (a directory URI, with or without a trailing '/') names an existing
        directory. BackendError naming it when the namenode fails."""
        namenode, path = parse_uri(uri, prefix=True)
        try:
            status = self._call(uri, namenode, "stat", lambda c: c.get_file_info(path))
        except TidemillError as exc:
            if exc.failure is Failure.DS_VERIFY_NOT_FOUND:
                return False
            raise
        return bool(status.isdir)

    @_bounded
    def move_directory(self, src: str, dst: str) -> None:
        """Rename directory `src` to `dst` in one namenode call, so a reader sees `dst` whole or
        not at all. `dst` must not exist and its parent must (the rename is refused otherwise:
        BackendError naming `dst`); both on one namenode (DS_PATH_ILLEGAL)."""
        namenode, src_path = parse_uri(src, prefix=True)
        dst_namenode, dst_path = parse_uri(dst, prefix=True)
        if dst_namenode != namenode or "/" in (src_path, dst_path):
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"Cannot move directory {src} to {dst}: both must be below the root of one "
                "namenode",
                src=src,
                dst=dst,
            )
        self._call(dst, namenode, "rename", lambda c: c.rename(src_path, dst_path, False))

    @_bounded
    def delete_directory(self, uri: str) -> None:
        """Delete directory `uri` and everything under it, even when it is empty; a missing one
        is not an error. DS_PATH_ILLEGAL for the namenode's root."""
        namenode, path = parse_uri(uri, prefix=True)
        if path == "/":
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL, f"Cannot delete {uri}: it is the namenode's root", uri=uri
            )
        try:
            self._call(uri, namenode, "delete", lambda c: c.delete(path, True))
        except TidemillError as exc:
            if exc.failure is not Failure.DS_VERIFY_NOT_FOUND:
                raise

    @_bounded
    def hidden_directories(self, uri: str) -> builtins.list[str]:
        """The writers' hidden directories (`.tidemill-tmp.*`) right in directory `uri`, as
        directory URIs ending in '/'; none when it is missing. A listing never shows them: this
        is for the clean-up of a batch's own directory (storage.staging)."""
        namenode, path = parse_uri(uri, prefix=True)
        return [
            f"{namenode}{status.path.rstrip('/')}/"
            for status in self._listing(uri, namenode, path.rstrip("/") or "/", recursive=False)
            if status.isdir and PurePosixPath(status.path).name.startswith(TEMP_PREFIX)
        ]

    # -- internals ------------------------------------------------------------------------------

    @contextmanager
    def _within_deadline(self) -> Iterator[None]:
        """The current thread's calls end by `deadline` seconds from now (or by an enclosing
        call's end)."""
        if _DEADLINE.end is not None:
            yield
            return
        _DEADLINE.end = time.monotonic() + self.deadline
        try:
            yield
        finally:
            _DEADLINE.end = None

    @contextmanager
    def _cleaning_up(self) -> Iterator[None]:
        """A clean-up after a failure gets a short bound of its own, even past the deadline."""
        saved = _DEADLINE.end
        _DEADLINE.end = time.monotonic() + min(self.operation_timeout, CLEANUP_SECONDS)
        try:
            yield
        finally:
            _DEADLINE.end = saved

    def _remaining(self) -> float:
        """Seconds left to the current call's deadline (the whole deadline outside a call)."""
        end = _DEADLINE.end
        return self.deadline if end is None else end - time.monotonic()

    def _call(
        self,
        uri: str,
        namenode: str,
        action: str,
        make: Callable[[AsyncClient], Coroutine[Any, Any, T]],
    ) -> T:
        """Run `make(client)` for `namenode` within the operation timeout; errors translated."""
        return self._run(uri, namenode, action, make(self._client(uri, namenode)))

    def _run(self, uri: str, namenode: str, action: str, call: Coroutine[Any, Any, T]) -> T:
        """Run `call` within the operation timeout and what is left of the deadline; errors
        translated (DeadlineExceeded when the deadline was the nearer bound)."""
        remaining = self._remaining()
        if remaining <= 0:
            call.close()  # never started
            raise translate(DeadlineExceeded(self.deadline), action, uri, namenode)
        timeout = min(self.operation_timeout, remaining)
        try:
            return CALLS.run(call, timeout)
        except BaseException as exc:
            if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
                raise  # KeyboardInterrupt, SystemExit: not ours to translate
            if isinstance(exc, TimeoutError) and timeout < self.operation_timeout:
                exc = DeadlineExceeded(self.deadline)
            raise translate(exc, action, uri, namenode) from exc

    def _client(self, uri: str, namenode: str) -> AsyncClient:
        """This process's client of `namenode` (made on first use, then shared, never dropped:
        see _SHARED)."""
        key = (namenode, os.environ.get("HADOOP_USER_NAME"))
        with _SHARED_LOCK:
            if _SHARED_PID[0] != os.getpid():
                # A forked child: the parent's clients hang here, and so does dropping one
                # (measured), so they are kept, unused, for the life of the process.
                _INHERITED.extend(_SHARED.values())
                _SHARED.clear()
                _SHARED_PID[0] = os.getpid()
            client = _SHARED.get(key)
        if client is not None:
            return client
        self._reach(uri, namenode)
        from hdfs_native import AsyncClient

        try:
            client = AsyncClient(namenode, dict(_CLIENT_CONFIG))
        except Exception as exc:
            hint = ""
            if urlsplit(namenode).port is None:
                hint = (
                    "; a namenode without a port is a name service, which Hadoop's configuration "
                    "(HADOOP_CONF_DIR) must define: else write hdfs://host:port/path"
                )
            raise BackendError(
                Failure.INTERNAL,
                f"Cannot make an HDFS client for {namenode} (for {uri}): {reason(exc)}{hint}",
                uri=uri,
            ) from exc
        with _SHARED_LOCK:
            kept = _SHARED.setdefault(key, client)
            if kept is not client:  # another thread made one first: ours is kept all the same
                _INHERITED.append(client)
        return kept

    def _reach(self, uri: str, namenode: str) -> None:
        """A TCP connect to the namenode within connect_timeout, else BackendError naming it."""
        parts = urlsplit(namenode)
        if parts.hostname is None or parts.port is None:
            return  # a logical name service: hdfs-native resolves it from Hadoop's config
        timeout = self.connect_timeout
        remaining = self._remaining()
        try:
            if remaining <= 0:
                raise DeadlineExceeded(self.deadline)
            address = (parts.hostname, parts.port)
            socket.create_connection(address, timeout=min(timeout, remaining)).close()
        except DeadlineExceeded as exc:
            raise translate(exc, "connect for", uri, namenode) from exc
        except TimeoutError as exc:
            if remaining < timeout:
                raise translate(
                    DeadlineExceeded(self.deadline), "connect for", uri, namenode
                ) from exc
            raise self._unreachable(uri, namenode, exc) from exc
        except OSError as exc:
            raise self._unreachable(uri, namenode, exc) from exc

    def _unreachable(self, uri: str, namenode: str, exc: OSError) -> BackendError:
        """BackendError: the namenode refused or did not take the connect in time."""
        why = "no answer" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        return BackendError(
            Failure.INTERNAL,
            f"Cannot reach the HDFS namenode {namenode} for {uri} within "
            f"{self.connect_timeout:g} s ({why}); check the URI's host and port and that HDFS is "
            "running (TIDEMILL_HDFS__CONNECT_TIMEOUT)",
            uri=uri,
        )

    def _listing(
        self, prefix: str, namenode: str, directory: str, *, recursive: bool
    ) -> builtins.list[FileStatus]:
        """The entries under `directory` (one bounded call); a missing directory has none."""

        async def walk(client: AsyncClient) -> builtins.list[FileStatus]:
            return [status async for status in client.list_status(directory, recursive)]

        try:
            return self._call(prefix, namenode, "list", walk)
        except TidemillError as exc:
            if exc.failure is Failure.DS_VERIFY_NOT_FOUND:
                return []
            raise

    def _reader(self, uri: str) -> AsyncFileReader:
        namenode, path = parse_uri(uri)
        return self._call(uri, namenode, "read", lambda c: c.read(path))

    def _chunks(self, uri: str, reader: AsyncFileReader, start: int, end: int) -> Iterator[bytes]:
        """Bytes [start, end) of an open file, chunk by chunk (end within the file)."""
        namenode = parse_uri(uri).namenode
        step = self.chunk_bytes
        for offset in range(start, end, step):
            size = min(step, end - offset)
            yield self._run(uri, namenode, "read", reader.read_range(offset, size))

    @contextmanager
    def _download(self, uri: str, reader: AsyncFileReader) -> Iterator[Path]:
        suffix = "".join(PurePosixPath(parse_uri(uri).path).suffixes)[-40:]
        with tempfile.NamedTemporaryFile(prefix="tidemill-hdfs-", suffix=suffix) as out:
            with self._within_deadline():  # the download: one call of its own
                for chunk in self._chunks(uri, reader, 0, len(reader)):
                    out.write(chunk)
            out.flush()
            yield Path(out.name)

    def _replace(self, uri: str, action: str, chunks: Callable[[], Iterator[Buffer]]) -> None:
        """Write a temporary file beside `uri` from `chunks()`, then rename it over `uri`.

        A write the namenode refused for a block race is written again, whole, to a new
        temporary file (WRITE_ATTEMPTS in all): hdfs-native does not retry `addBlock` on
        NotReplicatedYetException as Hadoop's own client does. All attempts end by the call's
        deadline.
        """
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                self._write_once(uri, action, chunks)
                return
            except BackendError as exc:
                if attempt == WRITE_ATTEMPTS or not any(r in exc.message for r in _BLOCK_RACES):
                    raise
            time.sleep(max(0.0, min(0.5 * attempt, self._remaining())))

    def _write_once(self, uri: str, action: str, chunks: Callable[[], Iterator[Buffer]]) -> None:
        namenode, path = parse_uri(uri)
        temp = str(PurePosixPath(path).parent / f"{TEMP_PREFIX}{uuid.uuid4().hex}")
        from hdfs_native import WriteOptions

        options = WriteOptions(overwrite=False, create_parent=True)
        try:
            # Inside: a create cut off by the deadline may have made the file all the same.
            writer = self._call(uri, namenode, action, lambda c: c.create(temp, options))
            try:
                for chunk in chunks():
                    self._run(uri, namenode, action, writer.write(chunk))
            except BaseException:
                with suppress(TidemillError):  # the write's failure is the one to report
                    self._run(uri, namenode, action, writer.close())
                raise
            self._run(uri, namenode, action, writer.close())
            self._move(uri, namenode, temp, path)
        except BaseException:
            # The first failure is the one to report; the clean-up has a bound of its own, so
            # it runs even when the failure was the deadline.
            with suppress(TidemillError), self._cleaning_up():
                self._call(uri, namenode, "clean up after", lambda c: c.delete(temp, False))
            raise

    def _move(self, uri: str, namenode: str, src: str, dst: str) -> None:
        """Rename `src` over `dst` on `namenode`, making `dst`'s directory when it is missing."""
        try:
            self._call(uri, namenode, "rename", lambda c: c.rename(src, dst, True))
            return
        except TidemillError as exc:
            if exc.failure is not Failure.DS_VERIFY_NOT_FOUND:
                raise
        source = namenode + src
        if not self.exists(source):
            self.stat(source)  # raises NotFoundError naming the source
        parent = str(PurePosixPath(dst).parent)
        self._call(uri, namenode, "rename", lambda c: c.mkdirs(parent, 0o755, True))
        self._call(uri, namenode, "rename", lambda c: c.rename(src, dst, True))


class _Stream(io.RawIOBase):
    """A seekable raw stream over an open HDFS file; each read is one bounded call."""

    def __init__(self, files: HdfsFiles, uri: str, reader: AsyncFileReader) -> None:
        self._files = files
        self._uri = uri
        self._reader = reader
        self._size = len(reader)
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        end = min(self._size, self._position + len(view))
        with self._files._within_deadline():  # each read: one call of its own
            data = b"".join(self._files._chunks(self._uri, self._reader, self._position, end))
        view[: len(data)] = data
        self._position += len(data)
        return len(data)


def _temporary(relative: str) -> bool:
    """Whether a path relative to a listed directory passes through a writer's temporary name."""
    return any(name.startswith(TEMP_PREFIX) for name in relative.split("/"))


def _reopen(
    connect_timeout: float, operation_timeout: float, chunk_bytes: int, deadline: float
) -> HdfsFiles:
    return HdfsFiles(
        connect_timeout=connect_timeout,
        operation_timeout=operation_timeout,
        chunk_bytes=chunk_bytes,
        deadline=deadline,
    )


def _info(uri: str, status: FileStatus) -> FileInfo:
    modified = datetime.fromtimestamp(status.modification_time / 1000, UTC)
    return FileInfo(uri, status.length, modified)
