"""http:// and https:// files, read only: the CDN log files a Fusion log-list API points at.

Enabled only when TIDEMILL_FUSION__URL is an http(s) endpoint (`registry.StorageConfig.http`):
the only http(s) URIs a plan holds are the `url`s that API answered (`sources.fusion`). A GET
reads a file; `stat` and `exists` use HEAD. Listing lists nothing (an HTTP server has no
listing), and writing is refused with BackendError. 404 is NotFoundError; any other failure
is BackendError naming the URI.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

import httpx

from tidemill.errors import BackendError, Failure, NotFoundError
from tidemill.storage.base import FileInfo

CHUNK = 1024 * 1024


class HttpFiles:
    """Read-only files over HTTP(S) (module docstring). Thread-safe: a client per call."""

    scheme = "http"

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout

    def list(self, prefix: str) -> Iterator[FileInfo]:
        return iter(())

    def exists(self, uri: str) -> bool:
        try:
            self.stat(uri)
        except NotFoundError:
            return False
        return True

    def stat(self, uri: str) -> FileInfo:
        with self._calling(uri) as client:
            answer = client.head(uri)
            _check(answer, uri)
        size = int(answer.headers.get("content-length", "0") or 0)
        stamp = answer.headers.get("last-modified")
        modified = parsedate_to_datetime(stamp) if stamp else datetime.now(UTC)
        return FileInfo(uri, size, modified.astimezone(UTC))

    def open(self, uri: str) -> BinaryIO:
        return BytesIO(self.read(uri))

    def read(self, uri: str, start: int = 0, length: int | None = None) -> bytes:
        with self._calling(uri) as client:
            answer = client.get(uri)
            _check(answer, uri)
        end = None if length is None else start + length
        return answer.content[start:end]

    def put(self, uri: str, data: bytes, *, durable: bool = True) -> None:
        raise _read_only(uri)

    def upload(self, uri: str, source: Path, *, move: bool = False) -> None:
        raise _read_only(uri)

    def rename(self, src: str, dst: str) -> None:
        raise _read_only(dst)

    def delete(self, uri: str) -> None:
        raise _read_only(uri)

    def delete_prefix(self, prefix: str) -> int:
        raise _read_only(prefix)

    def local_path(self, uri: str) -> AbstractContextManager[Path]:
        folder = Path(tempfile.mkdtemp(prefix="tidemill-http-"))
        name = uri.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "file"
        target = folder / name
        try:
            with self._calling(uri) as client, client.stream("GET", uri) as answer:
                _check(answer, uri)
                with target.open("wb") as out:
                    for chunk in answer.iter_bytes(CHUNK):
                        out.write(chunk)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return _removing(target, folder)

    @contextmanager
    def _calling(self, uri: str) -> Iterator[httpx.Client]:
        try:
            with httpx.Client(timeout=self.timeout) as client:
                yield client
        except httpx.HTTPError as exc:
            raise BackendError(Failure.INTERNAL, f"cannot read {uri}: {exc}", uri=uri) from exc
        except OSError as exc:
            raise BackendError(Failure.INTERNAL, f"cannot keep {uri}: {exc}", uri=uri) from exc


@contextmanager
def _removing(target: Path, folder: Path) -> Iterator[Path]:
    try:
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check(answer: httpx.Response, uri: str) -> None:
    if answer.status_code == 404:
        raise NotFoundError(Failure.DS_VERIFY_NOT_FOUND, f"{uri} does not exist", uri=uri)
    if answer.status_code != 200:
        raise BackendError(
            Failure.INTERNAL, f"cannot read {uri}: HTTP {answer.status_code}", uri=uri
        )


def _read_only(uri: str) -> BackendError:
    return BackendError(Failure.INTERNAL, f"{uri}: http(s) files are read only", uri=uri)
