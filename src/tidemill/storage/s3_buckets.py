"""Kodo buckets on an S3-compatible endpoint: each account uses the buckets granted to it.

The views check the grant, then call the shared `S3Store` (one client and connection pool for
every account; its error translation).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

from tidemill.errors import Failure, InvalidInputError, NotFoundError
from tidemill.storage.base import AccountScope, ObjectInfo
from tidemill.storage.s3 import S3Store

__all__ = ["GrantedS3Buckets", "S3Kodo"]


class S3Kodo:
    """One S3-compatible endpoint shared by every account; each uses the buckets granted to it.

    Grants live in the metadata store (`tidemill buckets grant --account A --bucket B`) and
    come in with the AccountScope; one client (and its connection pool) serves every account.
    """

    def __init__(self, store: S3Store, fences: tuple[str, ...] = ()) -> None:
        """`fences`: s3://bucket[/prefix] URIs no account reaches even where the bucket is
        granted (the warehouse's, when it is on S3: every account's results live there)."""
        self.store = store
        self.fences = tuple(_split(f) for f in fences)

    def for_account(self, scope: AccountScope) -> GrantedS3Buckets:
        return GrantedS3Buckets(self.store, scope, self.fences)


class GrantedS3Buckets:
    """An S3Store limited to an account's granted buckets; any other bucket is a missing one
    (NotFoundError DS_VERIFY_NOT_FOUND), checked before the endpoint is asked anything."""

    def __init__(
        self, store: S3Store, scope: AccountScope, fences: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self._store = store
        self.scope = scope
        self._fences = fences  # (bucket, key prefix: "" or ending in '/') of S3Kodo's fences

    def can_use(self, bucket: str) -> bool:
        return bucket in self.scope.granted and (bucket, "") not in self._fences

    def bucket_exists(self, bucket: str) -> bool:
        return self.can_use(bucket) and self._store.bucket_exists(bucket)

    def bucket_uri(self, bucket: str) -> str:
        return f"s3://{self._granted(bucket)}/"

    def create_bucket(self, bucket: str) -> None:
        self._store.create_bucket(self._granted(bucket))

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        listing = self._store.list(self._granted(bucket), prefix)
        return (o for o in listing if not self._fenced(bucket, o.key))

    def read(self, bucket: str, key: str) -> bytes:
        return self._store.read(self._granted(bucket, key), key)

    def open_read(self, bucket: str, key: str) -> BinaryIO:
        return self._store.open_read(self._granted(bucket, key), key)

    def write(self, bucket: str, key: str, data: bytes) -> None:
        self._store.write(self._granted(bucket, key), key, data)

    def upload(self, bucket: str, key: str, source: Path, *, move: bool = False) -> None:
        self._store.upload(self._granted(bucket, key), key, source, move=move)

    def delete(self, bucket: str, key: str) -> None:
        self._store.delete(self._granted(bucket, key), key)

    def delete_many(self, bucket: str, keys: Sequence[str]) -> None:
        """Delete `keys` (at most s3.DELETE_BATCH) in one request, each checked as `delete`
        checks it."""
        for key in keys:
            self._granted(bucket, key)
        self._store.delete_many(bucket, keys)

    def local_path(self, bucket: str, key: str) -> AbstractContextManager[Path]:
        return self._store.local_path(self._granted(bucket, key), key)

    def s3_store(self, bucket: str, key: str) -> S3Store:
        """The endpoint's store, for a write of `key` in `bucket` this view allows (the grant
        and the warehouse fence checked as `upload` checks them)."""
        self._granted(bucket, key)
        return self._store

    def _fenced(self, bucket: str, key: str) -> bool:
        return any(bucket == b and key.startswith(p) for b, p in self._fences)

    def _granted(self, bucket: str, key: str | None = None) -> str:
        if key is not None and self._fenced(bucket, key):
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"Key {key!r} of bucket {bucket!r} lies in the warehouse, where Tidemill keeps "
                "every account's batch results; use keys outside it",
                bucket=bucket,
                key=key,
            )
        if self.can_use(bucket):
            return bucket
        raise NotFoundError(
            Failure.DS_VERIFY_NOT_FOUND,
            f"Bucket {bucket!r} does not exist or is not granted to account "
            f"{self.scope.name!r}; an operator grants buckets with "
            f"'tidemill buckets grant --account {self.scope.name} --bucket {bucket}'",
            bucket=bucket,
            key=key,
        )


def _split(uri: str) -> tuple[str, str]:
    """(bucket, key prefix "" or ending in '/') of an s3://bucket[/prefix] URI."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    prefix = prefix.strip("/")
    return bucket, prefix + "/" if prefix else ""
