"""Local storage: account A's bucket B is the directory `<root>/A/B`, objects files beneath."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, NoReturn

from tidemill.core.names import ACCOUNT_NAME
from tidemill.core.object_keys import TEMP_PREFIX, check_key
from tidemill.errors import BackendError, ConfigError, Failure, InvalidInputError, NotFoundError
from tidemill.storage.base import AccountScope, ObjectInfo

# Writes go to a temporary file beside the target (named TEMP_PREFIX...), then os.replace it:
# `list` skips these names, and keys whose last part starts with it are refused.
__all__ = ["TEMP_PREFIX", "LocalBuckets", "LocalKodo"]
FILE_MODE = 0o644  # mkstemp creates 0600; objects should be readable like any data file
_SHAPE_CLASH = (FileExistsError, IsADirectoryError, NotADirectoryError)

Fill = Callable[[BinaryIO], object]


class LocalKodo:
    """The `kodo` directory of the data dir: one directory per account, its buckets inside."""

    def __init__(self, root: Path) -> None:
        self.root = root.absolute()

    def for_account(self, scope: AccountScope) -> LocalBuckets:
        """Account A's buckets: the directories under `<root>/A/` (A checked to be one name)."""
        if not ACCOUNT_NAME.fullmatch(scope.name):
            raise ConfigError(
                Failure.INTERNAL,
                f"account name {scope.name!r} cannot name a storage directory: account names "
                "are 1-63 lowercase letters, digits or underscores, starting with a letter",
            )
        return LocalBuckets(self.root / scope.name)


class LocalBuckets:
    """Buckets as directories under `root`; keys are '/'-separated paths inside a bucket."""

    def __init__(self, root: Path) -> None:
        self.root = root.absolute()

    def bucket_exists(self, bucket: str) -> bool:
        return self._bucket_dir(bucket).is_dir()

    def bucket_uri(self, bucket: str) -> str:
        return f"file://{self._bucket_dir(bucket)}/"

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
        directory = self._existing_bucket(bucket, "")
        return self._walk(bucket, directory, "", prefix)

    def read(self, bucket: str, key: str) -> bytes:
        path = self._object_path(bucket, key)
        try:
            return path.read_bytes()
        except OSError as exc:
            self._fail("read", bucket, key, exc)

    def open_read(self, bucket: str, key: str) -> BinaryIO:
        path = self._object_path(bucket, key)
        try:
            return path.open("rb")
        except OSError as exc:
            self._fail("open", bucket, key, exc)

    def write(self, bucket: str, key: str, data: bytes) -> None:
        def fill(out: BinaryIO) -> None:
            out.write(data)

        self._replace(bucket, key, fill)

    def upload(self, bucket: str, key: str, source: Path, *, move: bool = False) -> None:
        if move and self._adopt(bucket, key, source):
            return
        try:
            src = source.open("rb")
        except OSError as exc:
            raise BackendError(
                Failure.INTERNAL,
                f"Cannot upload {source} to bucket {bucket!r} key {key!r}: {_reason(exc)}",
                bucket=bucket,
                key=key,
            ) from exc
        with src:
            self._replace(bucket, key, lambda out: shutil.copyfileobj(src, out, 1 << 20))

    def delete(self, bucket: str, key: str) -> None:
        path = self._object_path(bucket, key)
        directory = self._existing_bucket(bucket, key)
        try:
            path.unlink()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return  # no such object (a directory is not one)
        except OSError as exc:
            self._fail("delete", bucket, key, exc)
        # Best effort: drop directories the delete emptied, so a later key can reuse the name.
        parent = path.parent
        while parent != directory:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def local_path(self, bucket: str, key: str) -> AbstractContextManager[Path]:
        path = self._object_path(bucket, key)
        if not path.is_file():
            self._missing(bucket, key)
        return _yield(path)

    # -- paths -------------------------------------------------------------------------------

    def _bucket_dir(self, bucket: str) -> Path:
        if not bucket or "/" in bucket or "\\" in bucket or "\0" in bucket or bucket in {".", ".."}:
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"Bucket name {bucket!r} is not allowed: it must be one name, without '/'",
                bucket=bucket,
            )
        return self.root / bucket

    def _existing_bucket(self, bucket: str, key: str) -> Path:
        directory = self._bucket_dir(bucket)
        if not directory.is_dir():
            self._missing_bucket(bucket, key)
        return directory

    def _object_path(self, bucket: str, key: str) -> Path:
        check_key(bucket, key)
        return self._bucket_dir(bucket).joinpath(*key.split("/"))

    # -- writing -----------------------------------------------------------------------------

    def _adopt(self, bucket: str, key: str, source: Path) -> bool:
        """Rename `source` into place, made durable first; False if it is on another device."""
        path = self._object_path(bucket, key)
        self._existing_bucket(bucket, key)
        try:
            fd = os.open(source, os.O_RDONLY)
            try:
                os.fchmod(fd, FILE_MODE)
                os.fsync(fd)
            finally:
                os.close(fd)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, path)
        except OSError as exc:
            if exc.errno == errno.EXDEV:
                return False  # another file system: copy it like any upload
            self._fail("write", bucket, key, exc)
        _fsync_dir(path.parent)
        return True

    def _replace(self, bucket: str, key: str, fill: Fill) -> None:
        path = self._object_path(bucket, key)
        self._existing_bucket(bucket, key)
        try:
            fd, temp = self._temp_beside(path)
        except OSError as exc:
            self._fail("write", bucket, key, exc)
        try:
            with os.fdopen(fd, "wb") as out:
                os.fchmod(out.fileno(), FILE_MODE)
                fill(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except OSError as exc:
            Path(temp).unlink(missing_ok=True)
            self._fail("write", bucket, key, exc)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    @staticmethod
    def _temp_beside(path: Path) -> tuple[int, str]:
        # A concurrent delete may remove the emptied parent between mkdir and mkstemp: retry.
        for attempt in range(3):
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                return tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
            except FileNotFoundError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    # -- listing -----------------------------------------------------------------------------

    def _walk(self, bucket: str, directory: Path, base: str, prefix: str) -> Iterator[ObjectInfo]:
        try:
            with os.scandir(directory) as scan:
                entries = [(e, e.is_dir()) for e in scan if not e.name.startswith(TEMP_PREFIX)]
        except FileNotFoundError:  # removed while we walked: it holds nothing any more
            return
        except OSError as exc:
            raise BackendError(
                Failure.INTERNAL,
                f"Could not list bucket {bucket!r} under {base or '/'!r} ({directory}): "
                f"{_reason(exc)}",
                bucket=bucket,
                prefix=prefix,
            ) from exc
        # All keys under directory d start with "d/": sorting on that orders keys globally.
        entries.sort(key=lambda item: item[0].name + "/" if item[1] else item[0].name)
        for entry, is_dir in entries:
            key = base + entry.name
            if is_dir:
                inner = key + "/"
                if inner.startswith(prefix) or prefix.startswith(inner):
                    yield from self._walk(bucket, Path(entry.path), inner, prefix)
            elif key.startswith(prefix):
                try:
                    stat = entry.stat()
                except FileNotFoundError:  # deleted since the scan
                    continue
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                yield ObjectInfo(key=key, size=stat.st_size, modified=modified)

    # -- errors ------------------------------------------------------------------------------

    def _missing_bucket(self, bucket: str, key: str) -> NoReturn:
        raise NotFoundError(
            Failure.DS_VERIFY_NOT_FOUND,
            f"Bucket {bucket!r} does not exist (no directory {self.root / bucket}); "
            "create the bucket or correct the bucket name",
            bucket=bucket,
            key=key,
        )

    def _missing(self, bucket: str, key: str) -> NoReturn:
        self._existing_bucket(bucket, key)
        raise NotFoundError(
            Failure.DS_VERIFY_NOT_FOUND,
            f"No object {key!r} in bucket {bucket!r}; check the key (listing the bucket "
            "with its prefix shows what exists)",
            bucket=bucket,
            key=key,
        )

    def _fail(self, action: str, bucket: str, key: str, exc: OSError) -> NoReturn:
        if action != "write" and isinstance(exc, (FileNotFoundError, *_SHAPE_CLASH)):
            self._missing(bucket, key)
        if isinstance(exc, FileNotFoundError):
            self._existing_bucket(bucket, key)  # NotFoundError when the bucket went away
        if isinstance(exc, _SHAPE_CLASH):
            raise BackendError(
                Failure.INTERNAL,
                f"Cannot write key {key!r} in bucket {bucket!r}: on a local directory a key "
                f"cannot also be the '/'-prefix of other keys ({exc.filename} is in the way); "
                "choose another key or delete the clashing objects",
                bucket=bucket,
                key=key,
            ) from exc
        raise BackendError(
            Failure.INTERNAL,
            f"Could not {action} key {key!r} in bucket {bucket!r} "
            f"({self.root / bucket / key}): {_reason(exc)}",
            bucket=bucket,
            key=key,
        ) from exc


@contextmanager
def _yield(path: Path) -> Iterator[Path]:
    yield path


def _fsync_dir(directory: Path) -> None:
    # Makes the rename durable; best effort (some filesystems refuse fsync on directories).
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
