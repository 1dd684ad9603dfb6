"""The storage contracts: `Storage` (files addressed by URI) and the kodo bucket views on it.

`Storage` is one backend — `file://`, `s3://`, `mem://` (tests) and later `hdfs://` — reached
through the registry (`storage.registry.Storages`), which picks the backend by the URI's scheme.
Everything that keeps files (the warehouse, results, export journals, kodo buckets) speaks it.

URIs are written literally, not percent-encoded: `file:///data/warehouse/3/job/7/result.parquet`,
`s3://bucket/some key.csv`, `mem://results/x`. A kodo key may hold any character a key allows
(core.object_keys), so decoding '%' would change names. A "directory" is only a prefix ending
with '/': `list` and `delete_prefix` work on plain string prefixes of the URI.

`Kodo` and `Buckets` are the older (bucket, key) views of kodo buckets, with tenancy: code
reaches objects of a bucket only through `Kodo.for_account` (docs/decisions.md, "Tenancy").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from tidemill.core.models import AccountScope
from tidemill.errors import Failure, InvalidInputError, NotFoundError

__all__ = [
    "AccountScope",
    "Buckets",
    "FileInfo",
    "Kodo",
    "ObjectInfo",
    "Storage",
    "check_range",
    "join",
    "missing_file",
    "scheme_of",
]


@dataclass(frozen=True, slots=True)
class FileInfo:
    uri: str  # absolute, of its backend's scheme
    size: int  # bytes
    modified: datetime  # aware, UTC


class Storage(Protocol):
    """Files of one backend, addressed by absolute URIs of its scheme. Thread-safe.

    Errors: a missing file raises `NotFoundError(Failure.DS_VERIFY_NOT_FOUND)`; any other
    failure raises `BackendError(Failure.INTERNAL)`; a URI this backend cannot hold (wrong
    scheme, a name core.object_keys refuses) raises `InvalidInputError(DS_PATH_ILLEGAL)`. Every
    message names the URI. Nothing above a backend sees OSError, botocore or pyarrow errors.
    """

    scheme: str  # "file", "s3", "mem"

    def list(self, prefix: str) -> Iterator[FileInfo]:
        """Files whose URI starts with `prefix`, in URI order (by code point). Nothing under the
        prefix (even a missing bucket or directory) lists nothing. Temporary files that writers
        keep beside their target are never listed."""
        ...

    def exists(self, uri: str) -> bool:
        """Whether a file is at `uri` (a "directory" is not one)."""
        ...

    def stat(self, uri: str) -> FileInfo:
        """Size and modification time of the file at `uri`; missing: NotFoundError."""
        ...

    def open(self, uri: str) -> BinaryIO:
        """A readable binary stream of the file (the caller closes it); missing: NotFoundError."""
        ...

    def read(self, uri: str, start: int = 0, length: int | None = None) -> bytes:
        """Bytes [start, start+length) of the file (to its end when `length` is None); a range
        past the end gives what exists (possibly b""). Missing: NotFoundError."""
        ...

    def put(self, uri: str, data: bytes, *, durable: bool = True) -> None:
        """Store `data` at `uri` atomically: readers see the old file or the new, never half.

        `durable` (the default): the file survives a crash of the machine once `put` returns.
        `durable=False` is for a file that a machine crash makes irrelevant (the batch log
        written as an attempt starts: after a machine crash that attempt runs again and writes
        a new one): it is still atomic and survives the end of the process, but a machine crash
        soon after may leave the old file, or none. Backends whose every write is durable
        anyway (object stores, HDFS) do the same for both.
        """
        ...

    def upload(self, uri: str, source: Path, *, move: bool = False) -> None:
        """Store the local file `source` at `uri`, atomically as `put`.

        With `move` the caller gives `source` up: the backend may take the file itself (a
        rename on the same file system) rather than a copy; `source` is gone afterwards.
        """
        ...

    def rename(self, src: str, dst: str) -> None:
        """Move the file `src` to `dst` (same backend), replacing `dst`; readers of `dst` see
        the old file or the new. Missing `src`: NotFoundError. On object stores this is a copy
        then a delete: `src` may be seen beside `dst` for a moment."""
        ...

    def delete(self, uri: str) -> None:
        """Delete the file at `uri`; a missing file is not an error."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every file whose URI starts with `prefix`; the number deleted."""
        ...

    def local_path(self, uri: str) -> AbstractContextManager[Path]:
        """A local file holding the file's bytes, for engines that read files (DuckDB, pyarrow).

        `file://` yields the file itself; a remote backend downloads it to a temporary file
        (keeping the name's suffixes, e.g. `.csv.gz`) removed when the context exits. A missing
        file raises NotFoundError when this is called, not on enter.
        """
        ...


def scheme_of(uri: str) -> str:
    """The scheme of `uri` ("file" for "file:///x"); InvalidInputError for a non-URI."""
    scheme, sep, _ = uri.partition("://")
    if not sep or not scheme or not scheme.isascii() or not scheme.isalnum():
        raise InvalidInputError(
            Failure.DS_PATH_ILLEGAL,
            f"{uri!r} is not a storage URI: write scheme://location, e.g. "
            "file:///var/lib/tidemill/warehouse or s3://bucket/prefix",
            uri=uri,
        )
    return scheme.lower()


def join(base: str, *parts: str) -> str:
    """`base` with '/'-separated `parts` appended: join("s3://b/w/", "3", "j") = "s3://b/w/3/j"."""
    text = base.rstrip("/") if not base.endswith("://") else base
    for part in parts:
        text = f"{text}/{part.strip('/')}" if not text.endswith("://") else text + part
    return text


# -- kodo bucket views (bucket, key), with tenancy ---------------------------------------------


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str  # relative to the bucket, '/'-separated, never starting with '/'
    size: int
    modified: datetime  # aware, UTC


class Kodo(Protocol):
    """The installation's kodo buckets. It offers no buckets itself: code reaches objects only
    through `for_account`, so nothing can read or write outside an account."""

    def for_account(self, scope: AccountScope) -> Buckets:
        """The buckets `scope` may use, and only those (docs/decisions.md, "Tenancy").

        Local storage: the directories under `<root>/<account name>/`. S3: the granted buckets;
        any other bucket behaves as a missing one. Raises ConfigError for an account name that
        cannot name a directory.
        """
        ...


class Buckets(Protocol):
    """Buckets of objects addressed by (bucket, key). Implementations are thread-safe.

    Errors: a missing bucket raises `NotFoundError(Failure.DS_VERIFY_NOT_FOUND)`; a missing
    object raises `NotFoundError(Failure.DS_VERIFY_NOT_FOUND)`; any other failure of the
    backend raises `BackendError(Failure.INTERNAL)` with a message naming bucket and key.
    Nothing above a backend ever sees OSError, botocore or pyarrow exceptions.
    """

    def bucket_exists(self, bucket: str) -> bool:
        """Whether `bucket` exists (False for a bucket this view may not use)."""
        ...

    def can_use(self, bucket: str) -> bool:
        """Whether this view may use `bucket` at all, existing or not (S3: it is granted)."""
        ...

    def create_bucket(self, bucket: str) -> None:
        """Create `bucket`; creating an existing bucket is not an error."""
        ...

    def bucket_uri(self, bucket: str) -> str:
        """The storage URI of `bucket`, ending with '/': an object is at bucket_uri + key."""
        ...

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects whose key starts with `prefix`, in key order. Missing bucket: NotFoundError."""
        ...

    def read(self, bucket: str, key: str) -> bytes:
        """The whole object."""
        ...

    def open_read(self, bucket: str, key: str) -> BinaryIO:
        """A readable binary stream of the object (caller closes it)."""
        ...

    def write(self, bucket: str, key: str, data: bytes) -> None:
        """Store `data` at `key` atomically: readers see the old object or the new, never half."""
        ...

    def upload(self, bucket: str, key: str, source: Path, *, move: bool = False) -> None:
        """Store the local file `source` at `key`, atomically as `write`.

        With `move` the caller gives `source` up: the store may take the file itself rather
        than a copy (a rename on the same file system), and `source` is gone afterwards.
        """
        ...

    def delete(self, bucket: str, key: str) -> None:
        """Delete `key`; deleting a missing key is not an error."""
        ...

    def local_path(self, bucket: str, key: str) -> AbstractContextManager[Path]:
        """A local file holding the object, for engines that read files (DuckDB, pyarrow).

        A local backend yields the object's own path; a remote one downloads it to a
        temporary file that is removed when the context exits.
        """
        ...


def check_range(uri: str, start: int, length: int | None) -> None:
    """Refuse a negative read range of `uri` (InvalidInputError DS_PATH_ILLEGAL)."""
    if start < 0 or (length is not None and length < 0):
        raise InvalidInputError(
            Failure.DS_PATH_ILLEGAL,
            f"Cannot read {uri}: range start {start}, length {length} (neither may be negative)",
            uri=uri,
        )


def missing_file(uri: str) -> NotFoundError:
    """The contract's error for a file `uri` that does not exist."""
    return NotFoundError(Failure.DS_VERIFY_NOT_FOUND, f"No file {uri}", uri=uri)
