"""s3://: objects on an S3-compatible endpoint as a `Storage` backend (`S3Files`).

`s3://bucket/key` names object `key` of `bucket`. A write is one PUT (or a multipart upload,
which S3 also publishes at once): readers see the old object or the new. A rename is a copy
then a delete. The boto3 calls and their error translation live in `storage.s3.S3Store`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO

from tidemill.errors import Failure, InvalidInputError, NotFoundError, TidemillError
from tidemill.storage.base import FileInfo
from tidemill.storage.s3 import S3Store

__all__ = ["S3Files", "split_uri"]


class S3Files:
    """The `s3` backend of `Storage` over one endpoint (every bucket its keys may use)."""

    scheme = "s3"

    def __init__(self, store: S3Store) -> None:
        self.store = store

    def list(self, prefix: str) -> Iterator[FileInfo]:
        bucket, key = _split(prefix, prefix=True)
        base = f"s3://{bucket}/"
        try:
            with _about(prefix):
                found = list(self.store.list(bucket, key))
        except NotFoundError:
            return iter(())  # no bucket: nothing under the prefix
        return (FileInfo(base + o.key, o.size, o.modified) for o in found)

    def exists(self, uri: str) -> bool:
        with _about(uri):
            return self.store.stat(*_split(uri)) is not None

    def stat(self, uri: str) -> FileInfo:
        with _about(uri):
            found = self.store.stat(*_split(uri))
        if found is None:
            raise NotFoundError(Failure.DS_VERIFY_NOT_FOUND, f"No file {uri}", uri=uri)
        return FileInfo(uri, found.size, found.modified)

    def open(self, uri: str) -> BinaryIO:
        with _about(uri):
            return self.store.open_read(*_split(uri))

    def read(self, uri: str, start: int = 0, length: int | None = None) -> bytes:
        if start < 0 or (length is not None and length < 0):
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"Cannot read {uri}: range start {start}, length {length} (neither may be "
                "negative)",
                uri=uri,
            )
        with _about(uri):
            return self.store.read_range(*_split(uri), start, length)

    def put(self, uri: str, data: bytes, *, durable: bool = True) -> None:
        # S3 answers a PUT once the object is stored: every write is durable.
        with _about(uri):
            self.store.write(*_split(uri), data)

    def upload(self, uri: str, source: Path, *, move: bool = False) -> None:
        with _about(uri):
            self.store.upload(*_split(uri), source, move=move)

    def rename(self, src: str, dst: str) -> None:
        bucket, source = _split(src)
        target_bucket, target = _split(dst)
        if target_bucket != bucket:
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"Cannot rename {src} to {dst}: an S3 rename stays within one bucket",
                uri=src,
            )
        with _about(src):
            if self.store.stat(bucket, source) is None:
                raise NotFoundError(Failure.DS_VERIFY_NOT_FOUND, f"No file {src}", uri=src)
            self.store.copy(bucket, source, target)
            self.store.delete(bucket, source)

    def delete(self, uri: str) -> None:
        try:
            with _about(uri):
                self.store.delete(*_split(uri))
        except NotFoundError:
            return  # no bucket: no file either

    def delete_prefix(self, prefix: str) -> int:
        doomed = [info.uri for info in self.list(prefix)]
        for uri in doomed:
            self.delete(uri)
        return len(doomed)

    def local_path(self, uri: str) -> AbstractContextManager[Path]:
        with _about(uri):
            return self.store.local_path(*_split(uri))


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of the s3:// file URI `uri`; InvalidInputError DS_PATH_ILLEGAL otherwise."""
    return _split(uri)


def _split(uri: str, *, prefix: bool = False) -> tuple[str, str]:
    """(bucket, key) of `uri`; a prefix may have an empty key."""
    rest = uri[len("s3://") :] if uri.startswith("s3://") else ""
    bucket, _, key = rest.partition("/")
    if not bucket or (not prefix and not key) or (not prefix and key.endswith("/")):
        raise InvalidInputError(
            Failure.DS_PATH_ILLEGAL,
            f"{uri!r} is not an s3:// {'prefix' if prefix else 'file'} URI "
            f"(s3://bucket/{'prefix' if prefix else 'key'})",
            uri=uri,
        )
    return bucket, key


@contextmanager
def _about(uri: str) -> Iterator[None]:
    """Our errors from the S3 store, with the URI added to message and details."""
    try:
        yield
    except TidemillError as exc:
        if uri in exc.message:
            raise
        details = {**exc.details, "uri": uri}
        raise type(exc)(exc.failure, f"{exc.message} ({uri})", **details) from exc
