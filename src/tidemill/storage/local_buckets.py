"""Kodo buckets in local directories: account A's bucket B is the directory `<root>/A/B`.

The views check names and tenancy, then do their I/O through `LocalFiles` (file://): object
`key` of bucket `b` is the file `bucket_uri(b) + key`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO

from tidemill.core.names import ACCOUNT_NAME
from tidemill.core.object_keys import check_key, key_problem
from tidemill.errors import BackendError, ConfigError, Failure, InvalidInputError, NotFoundError
from tidemill.storage.base import AccountScope, ObjectInfo
from tidemill.storage.local import LocalFiles, file_uri

__all__ = ["LocalBuckets", "LocalKodo"]


class LocalKodo:
    """The `kodo` directory of the data dir: one directory per account, its buckets inside."""

    def __init__(self, root: Path, files: LocalFiles | None = None) -> None:
        self.root = root.absolute()
        self.files = files or LocalFiles()

    def for_account(self, scope: AccountScope) -> LocalBuckets:
        """Account A's buckets: the directories under `<root>/A/` (A checked to be one name)."""
        if not ACCOUNT_NAME.fullmatch(scope.name):
            raise ConfigError(
                Failure.INTERNAL,
                f"account name {scope.name!r} cannot name a storage directory: account names "
                "are 1-63 lowercase letters, digits or underscores, starting with a letter",
            )
        return LocalBuckets(self.root / scope.name, self.files)


class LocalBuckets:
    """Buckets as directories under `root`; keys are '/'-separated paths inside a bucket.

    Object `key` of bucket `b` is the file `bucket_uri(b) + key`, kept through `LocalFiles`."""

    def __init__(self, root: Path, files: LocalFiles | None = None) -> None:
        self.root = root.absolute()
        self.files = files or LocalFiles()

    def bucket_exists(self, bucket: str) -> bool:
        return self._bucket_dir(bucket).is_dir()

    def bucket_uri(self, bucket: str) -> str:
        return file_uri(self._bucket_dir(bucket)) + "/"

    def can_use(self, bucket: str) -> bool:
        self._bucket_dir(bucket)  # a name that cannot be one directory is refused
        return True  # every bucket under the root is this store's own

    def create_bucket(self, bucket: str) -> None:
        directory = self._bucket_dir(bucket)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackendError(
                Failure.INTERNAL,
                f"Could not create bucket {bucket!r} as directory {directory}: {_reason(exc)}",
                bucket=bucket,
            ) from exc

    def list(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects under `prefix`; a symbolic link leading out of the bucket is not one."""
        self._existing_bucket(bucket, "")
        # Its "directory" part is held to the key rule here, so that a refusal names the
        # prefix in the bucket's terms, never the server's directory.
        if problem := key_problem(prefix[: prefix.rfind("/") + 1], prefix=True):
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"Key prefix {prefix!r} in bucket {bucket!r} is not allowed: it {problem}",
                bucket=bucket,
            )
        base = self.bucket_uri(bucket)
        inside = self._real_dir(bucket)
        return (
            ObjectInfo(info.uri[len(base) :], info.size, info.modified)
            for info in self.files.list(base + prefix)
            if _within(os.path.realpath(self.files.path(info.uri)), inside)
        )

    def read(self, bucket: str, key: str) -> bytes:
        uri = self._uri(bucket, key)
        with self._errors(bucket, key, "read"):
            return self.files.read(uri)

    def open_read(self, bucket: str, key: str) -> BinaryIO:
        uri = self._uri(bucket, key)
        with self._errors(bucket, key, "open"):
            return self.files.open(uri)

    def write(self, bucket: str, key: str, data: bytes) -> None:
        uri = self._uri(bucket, key, existing=True)
        with self._errors(bucket, key, "write"):
            self.files.put(uri, data)

    def upload(self, bucket: str, key: str, source: Path, *, move: bool = False) -> None:
        uri = self._uri(bucket, key, existing=True)
        with self._errors(bucket, key, "write"):
            self.files.upload(uri, source, move=move)

    def delete(self, bucket: str, key: str) -> None:
        uri = self._uri(bucket, key, existing=True)
        with self._errors(bucket, key, "delete"):
            self.files.delete(uri)
        # Best effort: drop directories the delete emptied, so a later key can reuse the name.
        directory = self._bucket_dir(bucket)
        parent = self.files.path(uri).parent
        while parent != directory:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def local_path(self, bucket: str, key: str) -> AbstractContextManager[Path]:
        uri = self._uri(bucket, key)
        with self._errors(bucket, key, "read"):
            return self.files.local_path(uri)

    # -- names and errors --------------------------------------------------------------------

    def _bucket_dir(self, bucket: str) -> Path:
        if not bucket or "/" in bucket or "\\" in bucket or "\0" in bucket or bucket in {".", ".."}:
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"Bucket name {bucket!r} is not allowed: it must be one name, without '/'",
                bucket=bucket,
            )
        return self.root / bucket

    def _uri(self, bucket: str, key: str, *, existing: bool = False) -> str:
        """The URI of `key`, checked: a key whose path a symbolic link inside the bucket leads
        out of it (to another account's bucket, or any file of the server) is refused with
        DS_PATH_ILLEGAL. The bucket directory itself may be a link (an operator's choice)."""
        check_key(bucket, key)
        if existing:
            self._existing_bucket(bucket, key)
        uri = self.bucket_uri(bucket) + key
        if not _within(os.path.realpath(self.files.path(uri)), self._real_dir(bucket)):
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"Key {key!r} in bucket {bucket!r} is not allowed: a symbolic link on its path "
                "leads out of the bucket",
                bucket=bucket,
                key=key,
            )
        return uri

    def _real_dir(self, bucket: str) -> str:
        return os.path.realpath(self._bucket_dir(bucket))

    def _existing_bucket(self, bucket: str, key: str) -> None:
        directory = self._bucket_dir(bucket)
        if not directory.is_dir():
            raise NotFoundError(
                Failure.DS_VERIFY_NOT_FOUND,
                f"Bucket {bucket!r} does not exist (no directory {directory}); "
                "create the bucket or correct the bucket name",
                bucket=bucket,
                key=key,
            )

    @contextmanager
    def _errors(self, bucket: str, key: str, action: str) -> Iterator[None]:
        """The file backend's errors, told in the bucket's terms."""
        try:
            yield
        except NotFoundError as exc:
            self._existing_bucket(bucket, key)  # a missing bucket is told as one
            raise NotFoundError(
                Failure.DS_VERIFY_NOT_FOUND,
                f"No object {key!r} in bucket {bucket!r}; check the key (listing the bucket "
                "with its prefix shows what exists)",
                bucket=bucket,
                key=key,
            ) from exc
        except BackendError as exc:
            self._existing_bucket(bucket, key)
            clash = exc.details.get("clash")
            if clash:
                raise BackendError(
                    Failure.INTERNAL,
                    f"Cannot write key {key!r} in bucket {bucket!r}: on a local directory a "
                    f"key cannot also be the '/'-prefix of other keys ({clash} is in the way); "
                    "choose another key or delete the clashing objects",
                    bucket=bucket,
                    key=key,
                ) from exc
            raise BackendError(
                Failure.INTERNAL,
                f"Could not {action} key {key!r} in bucket {bucket!r}: {exc.message}",
                bucket=bucket,
                key=key,
            ) from exc


def _within(path: str, directory: str) -> bool:
    return path.startswith(directory.rstrip("/") + "/")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
