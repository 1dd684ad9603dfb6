"""mem://: files held in this process's memory — a complete `Storage` backend, for tests.

Any text after "mem://" is a name; nothing is shared between processes or `MemoryFiles`.
"""

from __future__ import annotations

import io
import tempfile
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from tidemill.errors import BackendError, Failure, InvalidInputError
from tidemill.storage.base import FileInfo, check_range, missing_file, scheme_of

__all__ = ["MemoryFiles"]


class MemoryFiles:
    """A dict of URI → (bytes, modified time) behind a lock; every write replaces whole files."""

    scheme = "mem"

    def __init__(self) -> None:
        self._files: dict[str, tuple[bytes, datetime]] = {}
        self._lock = threading.Lock()

    def list(self, prefix: str) -> Iterator[FileInfo]:
        self._check(prefix, prefix=True)
        with self._lock:
            found = [
                FileInfo(uri, len(data), modified)
                for uri, (data, modified) in self._files.items()
                if uri.startswith(prefix)
            ]
        return iter(sorted(found, key=lambda info: info.uri))

    def exists(self, uri: str) -> bool:
        self._check(uri)
        with self._lock:
            return uri in self._files

    def stat(self, uri: str) -> FileInfo:
        data, modified = self._get(uri)
        return FileInfo(uri, len(data), modified)

    def open(self, uri: str) -> BinaryIO:
        return io.BytesIO(self._get(uri)[0])

    def read(self, uri: str, start: int = 0, length: int | None = None) -> bytes:
        check_range(uri, start, length)
        data = self._get(uri)[0]
        return data[start:] if length is None else data[start : start + length]

    def put(self, uri: str, data: bytes, *, durable: bool = True) -> None:
        self._check(uri)
        with self._lock:
            self._files[uri] = (bytes(data), datetime.now(UTC))

    def upload(self, uri: str, source: Path, *, move: bool = False) -> None:
        self._check(uri)
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise BackendError(
                Failure.INTERNAL,
                f"Cannot upload {source} to {uri}: {exc.strerror or exc}",
                uri=uri,
            ) from exc
        self.put(uri, data)
        if move:
            source.unlink(missing_ok=True)

    def rename(self, src: str, dst: str) -> None:
        self._check(dst)
        with self._lock:
            if src not in self._files:
                raise missing_file(src)
            self._files[dst] = self._files.pop(src)

    def delete(self, uri: str) -> None:
        self._check(uri)
        with self._lock:
            self._files.pop(uri, None)

    def delete_prefix(self, prefix: str) -> int:
        self._check(prefix, prefix=True)
        with self._lock:
            doomed = [uri for uri in self._files if uri.startswith(prefix)]
            for uri in doomed:
                del self._files[uri]
        return len(doomed)

    def local_path(self, uri: str) -> AbstractContextManager[Path]:
        return _spilled(self._get(uri)[0], PurePosixPath(uri.partition("://")[2]))

    def _get(self, uri: str) -> tuple[bytes, datetime]:
        self._check(uri)
        with self._lock:
            found = self._files.get(uri)
        if found is None:
            raise missing_file(uri)
        return found

    def _check(self, uri: str, *, prefix: bool = False) -> None:
        if scheme_of(uri) != self.scheme or (not prefix and uri.endswith("/")):
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"{uri!r} is not a mem:// file URI" + ("" if prefix else " (it must not end '/')"),
                uri=uri,
            )


@contextmanager
def _spilled(data: bytes, name: PurePosixPath) -> Iterator[Path]:
    suffix = "".join(name.suffixes)[-40:]
    with tempfile.NamedTemporaryFile(prefix="tidemill-mem-", suffix=suffix) as out:
        out.write(data)
        out.flush()
        yield Path(out.name)
