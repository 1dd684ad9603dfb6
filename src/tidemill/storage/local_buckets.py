"""Kodo buckets in local directories: account A's bucket B is the directory `<root>/A/B`.

The views check names and tenancy, then do their I/O through `LocalFiles` (file://): object
`key` of bucket `b` is the file `bucket_uri(b) + key`.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from tidemill import locked_dirs
from tidemill.core.names import ACCOUNT_NAME
from tidemill.core.object_keys import check_key, key_problem
from tidemill.errors import (
    BackendError,
    ConfigError,
    Failure,
    InvalidInputError,
    NotFoundError,
    TidemillError,
)
from tidemill.storage.base import AccountScope, Kodo, ObjectInfo, Storage, missing_file
from tidemill.storage.local import (
    FILE_MODE,
    TEMP_PREFIX,
    Fill,
    LocalFiles,
    _reason,
    file_uri,
    fill_file,
    open_source,
    ready_to_adopt,
    unreadable_source,
)
from tidemill.storage.local import _fail as fail  # the file backend's way of telling errors

__all__ = [
    "PIN_PREFIX",
    "BucketReads",
    "LocalBuckets",
    "LocalKodo",
    "reads_through_buckets",
    "sweep_pins",
]
DIR_MODE = 0o777  # as mkdir makes directories (the umask applies)
PIN_PREFIX = f"{TEMP_PREFIX}read-"  # `<kodo>/<PIN_PREFIX><uuid>/`: one pinned input (local_path)
# `<kodo>/<PINNING_PREFIX><uuid>/`: a pin directory made but not yet locked (`_pin_directory`);
# only one left by a process that died in between, and older than PINNING_GRACE, is swept.
PINNING_PREFIX = f"{TEMP_PREFIX}pinning-"
PINNING_GRACE = locked_dirs.GRACE  # seconds


ACCOUNTS_KEPT = 256  # LocalKodo.for_account's kept views


class LocalKodo:
    """The `kodo` directory of the data dir: one directory per account, its buckets inside."""

    def __init__(self, root: Path, files: LocalFiles | None = None) -> None:
        self.root = root.absolute()
        self.files = files or LocalFiles()
        self._accounts: dict[str, LocalBuckets] = {}  # by account name: see for_account

    def for_account(self, scope: AccountScope) -> LocalBuckets:
        """Account A's buckets: the directories under `<root>/A/` (A checked to be one name).
        Kept by name (a `LocalBuckets` holds nothing but its root and `files`): a worker asks
        twice per batch; at most ACCOUNTS_KEPT are kept."""
        found = self._accounts.get(scope.name)
        if found is not None:
            return found
        if not ACCOUNT_NAME.fullmatch(scope.name):
            raise ConfigError(
                Failure.INTERNAL,
                f"account name {scope.name!r} cannot name a storage directory: account names "
                "are 1-63 lowercase letters, digits or underscores, starting with a letter",
            )
        if len(self._accounts) >= ACCOUNTS_KEPT:
            self._accounts.clear()
        made = self._accounts[scope.name] = LocalBuckets(self.root / scope.name, self.files)
        return made


def reads_through_buckets(files: Storage, kodo: Kodo, scope: AccountScope) -> Storage:
    """`files` with the local paths of `kodo`'s files (`file://<kodo root>/...`, what a kodo
    datasource's listing names) made by `scope`'s buckets (`BucketReads`); `files` itself when
    `kodo` is not local directories."""
    if not isinstance(kodo, LocalKodo):
        return files
    return cast(Storage, BucketReads(files, kodo, scope))


class BucketReads:
    """A `Storage` whose `local_path` of a URI inside the kodo root goes through the account's
    `LocalBuckets.local_path` (the file opened, checked to lie inside its bucket, and pinned);
    everything else is `files`' own.

    A kodo input is listed when its batch is planned and read by the engine later: by its plain
    path, a directory of its key renamed away and replaced by a symbolic link to another
    account's bucket in between had the engine read the other account's file. A URI of the kodo
    root outside `scope`'s directory is refused (DS_PATH_ILLEGAL): no listing names one."""

    def __init__(self, files: Storage, kodo: LocalKodo, scope: AccountScope) -> None:
        self._files = files
        self._root = file_uri(kodo.root) + "/"
        self._own = f"{self._root}{scope.name}/"
        self._buckets = kodo.for_account(scope)

    def local_path(self, uri: str) -> AbstractContextManager[Path]:
        if not uri.startswith(self._root):
            return self._files.local_path(uri)
        if not uri.startswith(self._own):
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                "an input lies in another account's buckets; list the job's sources again",
            )
        bucket, _, key = uri[len(self._own) :].partition("/")
        return self._buckets.local_path(bucket, key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._files, name)


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
        return self._listed(bucket, prefix)

    def _listed(self, bucket: str, prefix: str) -> Iterator[ObjectInfo]:
        """The walk of `list`, through directory descriptors: each directory is opened by name
        in its parent's descriptor and entered only if what was opened lies inside the bucket,
        and each file is stat'ed by name there (a symbolic link: opened, then checked), so a
        link swapped in during the walk never shows another account's names or sizes."""
        directories = prefix[: prefix.rfind("/") + 1].split("/")[:-1]
        uri = self.bucket_uri(bucket) + prefix
        with ExitStack() as stack:
            try:
                held = stack.enter_context(self._held(bucket, prefix, uri, False))
            except NotFoundError:  # a file where a directory of the prefix would be
                return
            if len(held) <= len(directories):
                return  # a directory of the prefix is missing: nothing under it
            base = "".join(f"{d}/" for d in directories)
            yield from _walk_at(held[-1], base, prefix, self._real_dir(bucket), uri)

    # Reads open the key's file first and then check, by what was opened, that it lies inside
    # the bucket (`_opened`): a symbolic link swapped into the key's path between a check and
    # an open cannot show another account's file (docs/decisions.md, "safety2").

    def read(self, bucket: str, key: str) -> bytes:
        uri, inside = self._checked(bucket, key)
        with (
            self._errors(bucket, key, "read"),
            os.fdopen(self._opened(bucket, key, uri, inside), "rb") as f,
        ):
            try:
                return f.read()
            except OSError as exc:
                fail("read", uri, exc)

    def open_read(self, bucket: str, key: str) -> BinaryIO:
        uri, inside = self._checked(bucket, key)
        with self._errors(bucket, key, "open"):
            return os.fdopen(self._opened(bucket, key, uri, inside), "rb")

    # Writes and deletes act through an open descriptor of the key's directory, reached and
    # checked one name at a time (`_held`): a symbolic link swapped into the key's path after
    # the check cannot move them out of the bucket (docs/decisions.md, "fixes").

    def write(self, bucket: str, key: str, data: bytes) -> None:
        uri = self._uri(bucket, key, existing=True)
        with self._errors(bucket, key, "write"), self._held(bucket, key, uri, True) as held:
            _put_at(held[-1], key.rsplit("/", 1)[-1], lambda out: out.write(data), uri)

    def upload(self, bucket: str, key: str, source: Path, *, move: bool = False) -> None:
        if move and self.adopt(bucket, key, source):
            return
        uri = self._uri(bucket, key, existing=True)
        name = key.rsplit("/", 1)[-1]
        with (
            self._errors(bucket, key, "write"),
            self._held(bucket, key, uri, True) as held,
            open_source(source, uri) as src,
        ):
            _put_at(held[-1], name, lambda out: shutil.copyfileobj(src, out, 1 << 20), uri)
        if move:
            source.unlink(missing_ok=True)

    def adopt(
        self, bucket: str, key: str, source: Path, *, ready: bool = False, settle: bool = True
    ) -> bool:
        """Rename the local file `source` over `key`, durably: made durable first
        (`ready_to_adopt`; skipped with `ready`, when the caller did that since the file was
        last written), the directory synced after (left to the caller with `settle=False`:
        `sync_directory` then makes the rename durable). False if it is on another file
        system (nothing done: copy it like any upload)."""
        uri = self._uri(bucket, key, existing=True)
        name = key.rsplit("/", 1)[-1]
        with self._errors(bucket, key, "write"):
            if not ready:
                ready_to_adopt(source, uri)
            with self._held(bucket, key, uri, True) as held:
                adopted = _adopt_at(held[-1], name, source, uri)
                if adopted and settle:
                    _sync_held(held[-1])
                return adopted

    def sync_directory(self, bucket: str, key: str) -> None:
        """Sync the directory holding `key` (what makes a rename into it survive a machine
        crash); best effort, as after every write here."""
        uri = self._uri(bucket, key, existing=True)
        with suppress(TidemillError), self._held(bucket, key, uri, False) as held:
            if len(held) == key.count("/") + 1:  # every directory on the key's path is there
                _sync_held(held[-1])

    def delete(self, bucket: str, key: str) -> None:
        uri = self._uri(bucket, key, existing=True)
        *directories, name = key.split("/")
        with self._errors(bucket, key, "delete"), self._held(bucket, key, uri, False) as held:
            if len(held) <= len(directories):  # a directory on its path is missing: no object
                return
            try:
                os.unlink(name, dir_fd=held[-1])
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                return  # no such file (a directory is not one)
            except OSError as exc:
                fail("delete", uri, exc)
            # Best effort: drop directories the delete emptied, so a later key can reuse the
            # name (each by name in its parent's descriptor: never one outside the bucket).
            for depth in range(len(directories), 0, -1):
                try:
                    os.rmdir(directories[depth - 1], dir_fd=held[depth - 1])
                except OSError:
                    break

    def local_path(self, bucket: str, key: str) -> AbstractContextManager[Path]:
        """A path to the key's file that no later change inside the bucket can redirect: a hard
        link (a copy across file systems) of the file opened and checked by `_opened`, under the
        same name in a directory of its own beside the buckets, removed on exit."""
        uri, inside = self._checked(bucket, key)
        with self._errors(bucket, key, "read"):
            fd = self._opened(bucket, key, uri, inside)
        return self._pinned(fd, key.rsplit("/", 1)[-1], uri)

    @contextmanager
    def _pinned(self, fd: int, name: str, uri: str) -> Iterator[Path]:
        try:
            directory, lock = _pin_directory(self.root.parent, uri)
            pinned = directory / name
            try:
                if not _linked(fd, pinned):
                    with os.fdopen(os.dup(fd), "rb") as src, pinned.open("wb") as out:
                        src.seek(0)  # a private copy of what was opened
                        shutil.copyfileobj(src, out, 1 << 20)
                yield pinned
            finally:
                with suppress(OSError):
                    os.unlink(pinned)
                with suppress(OSError):
                    os.rmdir(directory)
                os.close(lock)
        finally:
            os.close(fd)

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
        return self._checked(bucket, key, existing=existing)[0]

    def _checked(self, bucket: str, key: str, *, existing: bool = False) -> tuple[str, str]:
        """`_uri`'s URI, and the bucket's real directory it was checked against (for
        `_opened`'s check of the same key: one `realpath` of the bucket, not two)."""
        check_key(bucket, key)
        if existing:
            self._existing_bucket(bucket, key)
        uri = self.bucket_uri(bucket) + key
        inside = self._real_dir(bucket)
        if not _within(os.path.realpath(self.files.path(uri)), inside):
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"Key {key!r} in bucket {bucket!r} is not allowed: a symbolic link on its path "
                "leads out of the bucket",
                bucket=bucket,
                key=key,
            )
        return uri, inside

    def _opened(self, bucket: str, key: str, uri: str, inside: str) -> int:
        """A read-only descriptor of `key`'s regular file, opened first and then checked, by
        what was opened, to lie inside the bucket (`inside`: its real directory, as `_checked`
        found it); DS_PATH_ILLEGAL when a symbolic link led out of it, NotFoundError when there
        is no such file (a directory is not one)."""
        try:  # O_NONBLOCK: a FIFO planted as a key must not hang the open
            fd = os.open(self.files.path(uri), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            fail("open", uri, exc)
        try:
            if not _within(_opened_path(fd), inside):
                raise InvalidInputError(
                    Failure.DS_PATH_ILLEGAL,
                    f"Key {key!r} in bucket {bucket!r} is not allowed: a symbolic link on its "
                    "path leads out of the bucket",
                    bucket=bucket,
                    key=key,
                )
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise missing_file(uri)
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return fd

    @contextmanager
    def _held(self, bucket: str, key: str, uri: str, create: bool) -> Iterator[Sequence[int]]:
        """Open descriptors of the bucket's directory and of each directory on `key`'s path
        (made when `create`; the list stops short at the first missing one otherwise). Each is
        opened by name in the one before and then checked, by what was opened, to lie inside
        the bucket (a link inside the bucket may be followed); DS_PATH_ILLEGAL otherwise."""
        inside = self._real_dir(bucket)
        held: list[int] = []
        try:
            try:
                held.append(os.open(inside, os.O_RDONLY | os.O_DIRECTORY))
                for name in key.split("/")[:-1]:
                    if create:
                        with suppress(FileExistsError):
                            os.mkdir(name, DIR_MODE, dir_fd=held[-1])
                    try:
                        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=held[-1])
                    except FileNotFoundError:
                        if create:
                            raise
                        break
                    held.append(fd)
                    if not _within(_opened_path(fd), inside):
                        raise InvalidInputError(
                            Failure.DS_PATH_ILLEGAL,
                            f"Key {key!r} in bucket {bucket!r} is not allowed: a symbolic link "
                            "on its path leads out of the bucket",
                            bucket=bucket,
                            key=key,
                        )
            except OSError as exc:
                fail("write" if create else "delete", uri, exc)
            yield held
        finally:
            for fd in held:
                os.close(fd)

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


def _opened_path(fd: int) -> str:
    """Where the directory open as `fd` is now (Linux: its /proc/self/fd link)."""
    return os.readlink(f"/proc/self/fd/{fd}")


def _walk_at(directory: int, base: str, prefix: str, inside: str, uri: str) -> Iterator[ObjectInfo]:
    """Objects under `prefix` in the directory open as `directory` (whose keys start with
    `base`), in key order (as LocalFiles.list); only what lies inside `inside`."""
    try:
        with os.scandir(directory) as scan:
            entries = [(e.name, e.is_dir(), e.is_symlink()) for e in scan]
    except (FileNotFoundError, NotADirectoryError):  # removed meanwhile: nothing under it
        return
    except OSError as exc:
        raise BackendError(
            Failure.INTERNAL, f"Could not list keys under {base or prefix!r}: {_reason(exc)}"
        ) from exc
    entries = [entry for entry in entries if not entry[0].startswith(TEMP_PREFIX)]
    entries.sort(key=lambda entry: entry[0] + "/" if entry[1] else entry[0])
    for name, is_dir, is_link in entries:
        key = base + name
        if is_dir:
            inner = key + "/"
            if not (inner.startswith(prefix) or prefix.startswith(inner)):
                continue
            try:
                fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=directory)
            except OSError:
                continue
            try:
                if _within(_opened_path(fd), inside):
                    yield from _walk_at(fd, inner, prefix, inside, uri)
            finally:
                os.close(fd)
        elif key.startswith(prefix):
            found = _file_at(directory, name, is_link, inside)
            if found is not None:
                modified = datetime.fromtimestamp(found.st_mtime, UTC)
                yield ObjectInfo(key, found.st_size, modified)


def _file_at(directory: int, name: str, is_link: bool, inside: str) -> os.stat_result | None:
    """The status of regular file `name` in `directory`; a symbolic link is opened and
    followed only if the file it leads to lies inside `inside`; None when it is no such file."""
    try:
        if not is_link:
            found = os.stat(name, dir_fd=directory, follow_symlinks=False)
            return found if stat.S_ISREG(found.st_mode) else None
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=directory)
    except OSError:
        return None
    try:
        found = os.fstat(fd)
        ok = stat.S_ISREG(found.st_mode) and _within(_opened_path(fd), inside)
        return found if ok else None
    finally:
        os.close(fd)


def _linked(fd: int, pinned: Path) -> bool:
    """Hard-link the file open as `fd` as `pinned`, linked from where that file is now (its
    /proc/self/fd link) without following a link, and keep it only if it is that file and no
    link (link, then check: a swap in between links something else, which is removed); False
    when not linked. By the key's path, a key that is itself a symbolic link was pinned as the
    link (Linux's link(2) does not follow it), and the engine later followed its text again."""
    opened = os.fstat(fd)
    try:
        os.link(_opened_path(fd), pinned, follow_symlinks=False)
        found = os.stat(pinned, follow_symlinks=False)
    except OSError:  # another file system, links refused, the file gone
        return False
    if stat.S_ISREG(found.st_mode) and (found.st_dev, found.st_ino) == (
        opened.st_dev,
        opened.st_ino,
    ):
        return True
    with suppress(OSError):
        os.unlink(pinned)
    return False


def _put_at(directory: int, name: str, fill: Fill, uri: str) -> None:
    """Write `fill`'s bytes to a temporary file in `directory` (a descriptor), synced, and
    rename it over `name` there: readers see the old file or the new (as LocalFiles.put)."""
    temp = f"{TEMP_PREFIX}{uuid.uuid4().hex}"
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE, dir_fd=directory)
    except OSError as exc:
        fail("write", uri, exc)
    try:
        fill_file(fd, fill)
        os.replace(temp, name, src_dir_fd=directory, dst_dir_fd=directory)
    except BaseException as exc:
        with suppress(OSError):
            os.unlink(temp, dir_fd=directory)
        if isinstance(exc, OSError):
            fail("write", uri, exc)
        raise
    with suppress(OSError):
        os.fsync(directory)


def _adopt_at(directory: int, name: str, source: Path, uri: str) -> bool:
    """Rename the local file `source` (made durable already: `ready_to_adopt`) over `name` in
    `directory` (not synced); False when it is on another file system (then it is copied like
    any upload)."""
    try:
        os.replace(source, name, dst_dir_fd=directory)
    except OSError as exc:
        if exc.errno == errno.EXDEV:
            return False
        if exc.filename == str(source) and isinstance(exc, FileNotFoundError):
            raise unreadable_source(source, uri, exc) from exc
        fail("write", uri, exc)
    return True


def _sync_held(directory: int) -> None:
    with suppress(OSError):
        os.fsync(directory)


def _pin_directory(kodo: Path, uri: str) -> tuple[Path, int]:
    """A new private directory `<kodo>/<PIN_PREFIX><uuid>` and a descriptor of it holding a
    shared lock for as long as the pin lives (`locked_dirs.make`): `sweep_pins` removes only
    unlocked ones (their process died)."""
    try:
        return locked_dirs.make(kodo, PIN_PREFIX, PINNING_PREFIX)
    except OSError as exc:
        fail("read", uri, exc)


def sweep_pins(kodo: Path) -> list[str]:
    """Remove the pin directories (`<kodo>/<PIN_PREFIX>*`, `LocalBuckets.local_path`) whose
    process ended without removing them (kill -9, a machine crash); the names removed. A live
    pin holds a lock on its directory (`_pin_directory`), on whichever node shares the data
    dir, and is left alone; so is any other name (`locked_dirs.sweep`)."""
    return locked_dirs.sweep(kodo, PIN_PREFIX, PINNING_PREFIX)
