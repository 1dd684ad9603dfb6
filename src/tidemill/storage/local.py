"""file://: files on this machine's file systems (`LocalFiles`).

A file URI is "file://" and an absolute path, written literally: file:///data/warehouse/x.
Writes go to a temporary file beside the target (named TEMP_PREFIX...), made durable, then
os.replace'd over it: readers see the old file or the new. `list` skips these names.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, NoReturn

from tidemill.core.object_keys import TEMP_PREFIX
from tidemill.errors import BackendError, Failure, InvalidInputError
from tidemill.storage.base import FileInfo, check_range, missing_file

log = logging.getLogger("tidemill.storage.local")

__all__ = [
    "TEMP_PREFIX", "LocalFiles", "directory_syncs_deferred", "file_uri", "ready_to_adopt",
]  # fmt: skip
FILE_MODE = 0o644  # mkstemp creates 0600; files should be readable like any data file
_SHAPE_CLASH = (FileExistsError, IsADirectoryError, NotADirectoryError)
_MISSING = (FileNotFoundError, *_SHAPE_CLASH)

Fill = Callable[[BinaryIO], object]


def file_uri(path: Path) -> str:
    """The file:// URI of `path` (made absolute)."""
    return f"file://{path.absolute()}"


class LocalFiles:
    """The `file` backend of `Storage`: any absolute path this process may use."""

    scheme = "file"

    def list(self, prefix: str) -> Iterator[FileInfo]:
        text = self._text(prefix, prefix=True)
        start = text if text.endswith("/") else os.path.dirname(text) + "/"
        return self._walk(Path(start), start, text)

    def exists(self, uri: str) -> bool:
        return self.path(uri).is_file()

    def stat(self, uri: str) -> FileInfo:
        path = self.path(uri)
        try:
            found = path.stat()
        except OSError as exc:
            _fail("stat", uri, exc)
        if not path.is_file():
            raise missing_file(uri)
        return FileInfo(uri, found.st_size, datetime.fromtimestamp(found.st_mtime, UTC))

    def open(self, uri: str) -> BinaryIO:
        try:
            return self.path(uri).open("rb")
        except OSError as exc:
            _fail("open", uri, exc)

    def read(self, uri: str, start: int = 0, length: int | None = None) -> bytes:
        check_range(uri, start, length)
        with self.open(uri) as stream:
            try:
                stream.seek(start)
                return stream.read() if length is None else stream.read(length)
            except OSError as exc:
                _fail("read", uri, exc)

    def put(self, uri: str, data: bytes, *, durable: bool = True) -> None:
        """Write `data` at `uri` whole (a temporary file renamed over it). `durable`: synced
        before it returns — or, inside a `directory_syncs_deferred(puts=True)` block of the
        calling thread, at that block's end (`directory_syncs_deferred`)."""

        def fill(out: BinaryIO) -> None:
            out.write(data)

        self._replace(uri, fill, durable=durable, deferrable=True)

    def upload(self, uri: str, source: Path, *, move: bool = False) -> None:
        if move and self.adopt(uri, source):
            return
        with open_source(source, uri) as src:
            self._replace(uri, lambda out: shutil.copyfileobj(src, out, 1 << 20))
        if move:
            source.unlink(missing_ok=True)

    def rename(self, src: str, dst: str) -> None:
        source, target = self.path(src), self.path(dst)
        if not source.is_file():
            raise missing_file(src)
        try:
            _make_dirs(target.parent)
            os.replace(source, target)
        except OSError as exc:
            _fail("rename", f"{src} to {dst}", exc, uri=dst)
        _fsync_dir(target.parent)

    def delete(self, uri: str) -> None:
        try:
            self.path(uri).unlink()
        except _MISSING:
            return  # no such file (a directory is not one)
        except OSError as exc:
            _fail("delete", uri, exc)

    def delete_prefix(self, prefix: str) -> int:
        doomed = [info.uri for info in self.list(prefix)]
        for uri in doomed:
            self.delete(uri)
        text = self._text(prefix, prefix=True)
        if text.endswith("/") and text != "/":  # the emptied directories go too
            _prune(Path(text))
        return len(doomed)

    def local_path(self, uri: str) -> AbstractContextManager[Path]:
        path = self.path(uri)
        if not path.is_file():
            raise missing_file(uri)
        return _yield(path)

    # -- paths -------------------------------------------------------------------------------

    def path(self, uri: str) -> Path:
        """The local path a file:// URI names; InvalidInputError for anything else."""
        return Path(self._text(uri))

    def _text(self, uri: str, *, prefix: bool = False) -> str:
        text = uri[len("file://") :] if uri.startswith("file://") else ""
        parts = text.split("/")[:-1] if prefix else text.split("/")  # a prefix may end in ".."
        problem = (
            "is not a file:// URI with an absolute path (file:///dir/name)"
            if not text.startswith("/")
            else "holds a NUL"
            if "\0" in text
            else "has a '.' or '..' name"
            if any(p in {".", ".."} for p in parts)
            else "ends with '/', which names a directory, not a file"
            if not prefix and text.endswith("/")
            else None
        )
        if problem:
            raise InvalidInputError(Failure.DS_PATH_ILLEGAL, f"{uri!r} {problem}", uri=uri)
        return text

    # -- writing -----------------------------------------------------------------------------

    def adopt(self, uri: str, source: Path, *, ready: bool = False, settle: bool = True) -> bool:
        """Rename the local file `source` into place at `uri`, durably: made durable first
        (`ready_to_adopt`; skipped with `ready`, when the caller did that since the file was
        last written), the directory synced after the rename (or at the end of a
        `directory_syncs_deferred` block; left to the caller with `settle=False`:
        `sync_directory` then). False if it is on another device (nothing done: copy it like
        any upload)."""
        path = self.path(uri)
        if not ready:
            ready_to_adopt(source, uri)
        try:
            _make_dirs(path.parent)  # a new directory: its entry synced (deferred in a block)
            os.replace(source, path)
        except OSError as exc:
            if exc.errno == errno.EXDEV:
                return False  # another file system: copy it like any upload
            if exc.filename == str(source) and isinstance(exc, FileNotFoundError):
                raise unreadable_source(source, uri, exc) from exc
            _fail("write", uri, exc)
        if settle:
            _fsync_dir(path.parent)
        return True

    def on_same_device(self, uri: str, source: Path) -> bool:
        """Whether `adopt` can rename the local file `source` to `uri` (the same file system
        as `uri`'s deepest existing directory); True when either cannot be looked at (then
        `adopt` finds out)."""
        directory = os.path.dirname(self._text(uri))  # strings, not Paths: on a batch's path
        while True:
            try:
                target = os.stat(directory).st_dev
                break
            except (FileNotFoundError, NotADirectoryError):
                parent = os.path.dirname(directory)
                if parent == directory:
                    return True
                directory = parent
            except OSError:
                return True
        try:
            return os.stat(source).st_dev == target
        except OSError:
            return True

    def copy_beside(self, uri: str, source: Path) -> Path:
        """A durable copy of the local file `source` under a hidden temporary name beside
        `uri` (TEMP_PREFIX: never listed), for `adopt` to rename into place: the copy from
        another file system done before, not under, a batch's lease. BackendError naming both
        when either side fails (nothing left behind)."""
        with open_source(source, uri) as src:
            return _written_beside(
                self.path(uri), uri, lambda out: shutil.copyfileobj(src, out, 1 << 20)
            )

    def sync_directory(self, uri: str) -> None:
        """Sync the directory holding `uri` (what makes a rename into it survive a machine
        crash), or leave it to the end of the calling thread's `directory_syncs_deferred`
        block; best effort."""
        _fsync_dir(self.path(uri).parent)

    def _replace(
        self, uri: str, fill: Fill, *, durable: bool = True, deferrable: bool = False
    ) -> None:
        """Write `fill`'s bytes to a temporary file beside `uri`'s and rename it over it; with
        `durable`, the file is synced before the rename and the directory after it (without,
        the rename still makes it atomic: a process's end loses nothing, a machine's may).
        `deferrable`: inside a `directory_syncs_deferred(puts=True)` block, the file is synced
        after the rename, at the block's end."""
        path = self.path(uri)
        later = durable and deferrable and _puts_deferred()
        temp = _written_beside(path, uri, fill, durable=durable, sync=not later)
        try:
            os.replace(temp, path)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            _fail("write", uri, exc)
        if later:
            _defer_file_sync(path)
        elif durable:
            _fsync_dir(path.parent)

    # -- listing -----------------------------------------------------------------------------

    def _walk(self, directory: Path, base: str, prefix: str) -> Iterator[FileInfo]:
        try:
            with os.scandir(directory) as scan:
                entries = [(e, e.is_dir()) for e in scan if not e.name.startswith(TEMP_PREFIX)]
        except (FileNotFoundError, NotADirectoryError):  # nothing (any more) under it
            return
        except OSError as exc:
            raise BackendError(
                Failure.INTERNAL,
                f"Could not list file://{prefix} ({directory}): {_reason(exc)}",
                uri=f"file://{prefix}",
            ) from exc
        # All paths under directory d start with "d/": sorting on that orders paths globally.
        entries.sort(key=lambda item: item[0].name + "/" if item[1] else item[0].name)
        for entry, is_dir in entries:
            name = base + entry.name
            if is_dir:
                inner = name + "/"
                if inner.startswith(prefix) or prefix.startswith(inner):
                    yield from self._walk(Path(entry.path), inner, prefix)
            elif name.startswith(prefix):
                try:
                    found = entry.stat()
                except FileNotFoundError:  # deleted since the scan
                    continue
                modified = datetime.fromtimestamp(found.st_mtime, UTC)
                yield FileInfo(f"file://{name}", found.st_size, modified)


def _fail(action: str, what: str, exc: OSError, *, uri: str | None = None) -> NoReturn:
    uri = uri or what
    if action != "write" and isinstance(exc, _MISSING):
        raise missing_file(what) from exc
    if isinstance(exc, _SHAPE_CLASH):
        raise BackendError(
            Failure.INTERNAL,
            f"Cannot {action} {what}: a file name cannot also be a directory of other files "
            f"({exc.filename} is in the way)",
            uri=uri,
            clash=exc.filename,
        ) from exc
    raise BackendError(
        Failure.INTERNAL, f"Could not {action} {what}: {_reason(exc)}", uri=uri
    ) from exc


def _make_dirs(directory: Path, *, durable: bool = True) -> None:
    """Make `directory` and its missing parents; with `durable`, also sync the parent of each
    one made (its entry there), once, where the file system needs that (`_entries_need_sync`):
    POSIX makes a new directory's entry durable only so. An existing directory costs one
    stat."""
    if directory.is_dir():
        return
    made: list[Path] = []
    missing = directory
    while not missing.exists() and missing != missing.parent:
        made.append(missing)
        missing = missing.parent
    directory.mkdir(parents=True, exist_ok=True)
    if durable and made and _entries_need_sync(directory):
        for new in reversed(made):  # outermost first; deferred ones are synced at the end
            _fsync_dir(new.parent)


# File systems whose journal orders metadata: the sync of a directory (or a file) in it commits
# the journal's transaction, which holds the new directory's entry in its parent as well, so a
# sync of that parent would only add a disk flush (1-3 ms here; docs/decisions.md, "session 6,
# helper fixes").
_JOURNALED = frozenset({"ext3", "ext4", "xfs"})
_needs_sync: dict[int, bool] = {}  # st_dev -> whether a new entry needs its parent synced


def _entries_need_sync(directory: Path) -> bool:
    """Whether a new directory's entry under `directory`'s file system needs its parent synced
    (not ext3/ext4/XFS, or unknown); looked up once per device."""
    try:
        device = os.stat(directory).st_dev
    except OSError:
        return True
    known = _needs_sync.get(device)
    if known is None:
        known = _needs_sync[device] = file_system_type(directory) not in _JOURNALED
    return known


def file_system_type(path: Path) -> str:
    """The type of the file system holding `path` ("ext4", "tmpfs"...), from the deepest mount
    point above it in /proc/self/mountinfo; "" when unknown (no /proc)."""
    real = os.path.realpath(path)
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return ""
    best, kind = "", ""
    for line in lines:
        fields, _, rest = line.partition(" - ")
        parts = fields.split()
        if len(parts) < 5 or not rest:
            continue
        mount = parts[4].replace("\\040", " ")
        inside = real == mount or real.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, kind = mount, rest.split()[0]
    return kind


def fill_file(fd: int, fill: Fill, *, sync: bool = True) -> None:
    """Write what `fill` writes into the new file open at `fd` (closed after), owner-only
    (FILE_MODE), and fsync it when `sync`. OSError as the system raises it."""
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), FILE_MODE)
        fill(out)
        if sync:
            out.flush()
            os.fsync(out.fileno())


def _written_beside(
    path: Path, uri: str, fill: Fill, *, durable: bool = True, sync: bool = True
) -> Path:
    """A hidden temporary file beside `path` holding what `fill` writes (owner-only; synced
    with `durable` unless not `sync`: the caller syncs it later; a directory made for it is
    made durable with `durable`); removed again, with BackendError naming `uri`, when anything
    fails."""
    try:
        fd, temp = _temp_beside(path, durable=durable)
    except OSError as exc:
        _fail("write", uri, exc)
    try:
        fill_file(fd, fill, sync=durable and sync)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        _fail("write", uri, exc)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Path(temp)


def _temp_beside(path: Path, *, durable: bool = True) -> tuple[int, str]:
    # A concurrent delete may remove the emptied parent between mkdir and mkstemp: retry.
    for attempt in range(3):
        _make_dirs(path.parent, durable=durable)
        try:
            return tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        except FileNotFoundError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _prune(directory: Path) -> None:
    """Remove the empty directories at and under `directory` (best effort)."""
    for root, _dirs, _files in os.walk(directory, topdown=False):
        with suppress(OSError):
            os.rmdir(root)


@contextmanager
def _yield(path: Path) -> Iterator[Path]:
    yield path


# The calling thread's directories whose sync waits for the end of its
# `directory_syncs_deferred` block (None: outside one), in the order first deferred; and, in a
# block with `puts`, the files of its durable `put`s, whose own sync waits too (else None).
_deferred = threading.local()


@contextmanager
def directory_syncs_deferred(*, puts: bool = False) -> Iterator[None]:
    """For the block, the calling thread's durable file:// writes (`put`, `upload`, `rename`)
    leave the sync of their directory — what makes a rename survive a machine crash — to the
    block's end, where each directory is synced once, whatever the block raised. Two files
    renamed into one directory (a batch's result and its log) then cost one directory sync
    instead of two. A write's file is synced as before; the write is durable once the block
    has ended, not when it returns. Other threads' writes are not affected; a nested block
    leaves the syncs to the outer one. Other backends have no directory sync to defer.

    With `puts`, a durable `put` is written and renamed into place unsynced, and its file is
    synced at the block's end, after every rename of the block and before the directories;
    a directory that holds such a file, on a file system whose journal orders metadata
    (ext3, ext4, XFS), is then not synced: the file's sync commits the journal, and with it
    every rename made before it on that file system — its own and, say, the batch's result
    renamed beside it (docs/decisions.md, "session 7, workerpath"). A batch's final log then
    costs one disk flush instead of two, none of it inside the lease. A file whose sync fails
    is reported in the service's log and its directory synced as without `puts`."""
    if getattr(_deferred, "directories", None) is not None:
        yield
        return
    directories: dict[Path, None] = {}
    files: dict[Path, None] | None = {} if puts else None
    _deferred.directories, _deferred.files = directories, files
    try:
        yield
    finally:
        _deferred.directories = _deferred.files = None
        committed: set[Path] = set()  # directories whose renames a file's sync committed
        for path in files or ():
            if _sync_file(path) and not _entries_need_sync(path.parent):
                committed.add(path.parent)
        for directory in directories:
            if directory not in committed:
                _sync_dir(directory)


def _puts_deferred() -> bool:
    return getattr(_deferred, "files", None) is not None


def _defer_file_sync(path: Path) -> None:
    """Sync `path` (a durable put's file) and its directory at the end of the calling thread's
    `directory_syncs_deferred(puts=True)` block."""
    _deferred.files[path] = None
    _deferred.directories[path.parent] = None


def _sync_file(path: Path) -> bool:
    """fsync the file at `path`; whether that succeeded (a failure is logged)."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        log.warning("cannot sync %s: %s", path, _reason(exc))
        return False
    return True


def _fsync_dir(directory: Path) -> None:
    pending = getattr(_deferred, "directories", None)
    if pending is not None:
        pending[directory] = None
        return
    _sync_dir(directory)


def _sync_dir(directory: Path) -> None:
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


def ready_to_adopt(source: Path, uri: str) -> None:
    """Make the local file `source` ready to be renamed to `uri` (`LocalFiles.adopt`,
    `LocalBuckets.adopt`): the mode of a published file (FILE_MODE), and its bytes and size on
    disk (`fsync`). Done before a batch's lease is taken (`storage.staging`), so the lease's
    transaction does not wait for a disk flush (docs/decisions.md, "groupby (session 6)").
    The mode is changed only when it differs: a change after the fsync would leave the inode
    dirty for the next one. BackendError naming both when `source` cannot be read or synced."""
    try:
        fd = os.open(source, os.O_RDONLY)
        try:
            if stat.S_IMODE(os.fstat(fd).st_mode) != FILE_MODE:
                os.fchmod(fd, FILE_MODE)
            os.fsync(fd)
        finally:
            os.close(fd)
    except FileNotFoundError as exc:
        raise unreadable_source(source, uri, exc) from exc
    except OSError as exc:
        _fail("write", uri, exc)


def open_source(source: Path, uri: str) -> BinaryIO:
    """The local file `source` of an upload to `uri`, opened for reading; BackendError naming
    both when it cannot be."""
    try:
        return source.open("rb")
    except OSError as exc:
        raise unreadable_source(source, uri, exc) from exc


def unreadable_source(source: Path, uri: str, exc: OSError) -> BackendError:
    """The error of an upload to `uri` whose local file `source` cannot be read."""
    return BackendError(
        Failure.INTERNAL, f"Cannot upload {source} to {uri}: {_reason(exc)}", uri=uri
    )
