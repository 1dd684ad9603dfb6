"""The ObjectStore contract every storage backend implements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from tidemill.core.models import AccountScope

__all__ = ["AccountScope", "ObjectInfo", "ObjectStore", "Storage"]


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str  # relative to the bucket, '/'-separated, never starting with '/'
    size: int
    modified: datetime  # aware, UTC


class Storage(Protocol):
    """The whole object storage of an installation. It offers no buckets itself: code reaches
    objects only through `for_account`, so nothing can read or write outside an account."""

    def for_account(self, scope: AccountScope) -> ObjectStore:
        """The buckets `scope` may use, and only those (docs/decisions.md, "Tenancy").

        Local storage: the directories under `<root>/<account name>/`. S3: the granted buckets;
        any other bucket behaves as a missing one. Raises ConfigError for an account name that
        cannot name a directory.
        """
        ...


class ObjectStore(Protocol):
    """Buckets of objects addressed by (bucket, key). Implementations are thread-safe.

    Errors: a missing bucket raises `NotFoundError(Failure.DS_VERIFY_NOT_FOUND)`; a missing
    object raises `NotFoundError(Failure.DS_VERIFY_NOT_FOUND)`; any other failure of the
    backend raises `BackendError(Failure.INTERNAL)` with a message naming bucket and key.
    Nothing above a backend ever sees OSError, botocore or pyarrow exceptions.
    """

    def bucket_exists(self, bucket: str) -> bool:
        """Whether `bucket` exists (False for a bucket this store may not use)."""
        ...

    def can_use(self, bucket: str) -> bool:
        """Whether this store may use `bucket` at all, existing or not (S3: it is granted)."""
        ...

    def create_bucket(self, bucket: str) -> None:
        """Create `bucket`; creating an existing bucket is not an error."""
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
