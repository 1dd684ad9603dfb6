"""Uploads split in two: the long transfer, done while the batch's lease is *not* held, and a
short step that makes the file visible, done while it is (docs/decisions.md, "Uploads outside
the lease").

`stage_file` (a `Storage` URI) and `stage_object` (a kodo bucket's key) answer a `Staged`:

* S3, files of any size: a multipart upload (of one part below MIN_PART, 5 MiB: S3 allows the
  last part, so the only one, to be smaller). Staging begins it (CreateMultipartUpload), `send`
  uploads the parts, `commit` completes it (one short call; S3 publishes the object whole),
  `abort` drops it and its parts, `settle` (a result's) the uploads other attempts left at its
  key. `journal` holds the upload id, for an undo after a crash (`abort_journaled`). A small
  object costs two more requests than one PUT, all but the complete outside the lease
  (docs/decisions.md, "session 6, fixes").
* HDFS: `send` uploads to a hidden temporary directory beside the target (`.tidemill-tmp.*`,
  never listed), `commit` renames the file into place (one namenode call), `abort` removes the
  temporary directory, `settle` it and (a result's) those other attempts left beside it.
* Local files and local buckets, where a move is a rename: `send` makes the file durable
  (`storage.local.ready_to_adopt`: its fsync), `commit` renames it into place, and the
  directory is synced in `settle`, after the lease (a result's, inside the worker's
  `directory_syncs_deferred` block, at that block's end). The lease's transaction — SQLite's
  write lock — then never waits for a disk flush.
* Anything else (a kodo bucket that is neither on S3 nor local): `send` does nothing and
  `commit` is the whole upload.

The caller runs `send` outside the lease, `commit` under it and `settle` after it
(`publish_file` does all three): an attempt that lost its lease sends at most invisible data,
and never commits it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, suppress
from pathlib import Path, PurePosixPath
from typing import Protocol

from tidemill.core.object_keys import TEMP_PREFIX
from tidemill.errors import TidemillError
from tidemill.storage.base import Buckets, Storage
from tidemill.storage.hdfs import HdfsFiles
from tidemill.storage.local import LocalFiles, ready_to_adopt
from tidemill.storage.local_buckets import LocalBuckets
from tidemill.storage.registry import Storages
from tidemill.storage.s3 import DELETE_BATCH, Part, S3Store
from tidemill.storage.s3_buckets import GrantedS3Buckets
from tidemill.storage.s3_files import S3Files, split_uri

__all__ = [
    "Lease", "Staged", "abort_journaled", "abort_pending", "delete_keys", "publish_copy",
    "publish_file", "stage_file", "stage_object",
]  # fmt: skip


class Lease(Protocol):
    def publishing(self) -> AbstractContextManager[None]:
        """Hold the lease for the block; a TidemillError when it is lost already."""
        ...


class Staged(Protocol):
    journal: dict[str, str]  # {"upload": id} of an S3 multipart upload; {} otherwise

    def send(self) -> None:
        """The long transfer, invisible to readers (outside the lease)."""
        ...

    def commit(self) -> None:
        """Make the file visible at its target, whole (short: under the lease)."""
        ...

    def settle(self) -> None:
        """After `commit`, outside the lease: make what it did durable where that is a step
        of its own (a local bucket's directory sync); before the publish is reported done.
        Also the clean-up beside the target (a result's: what other attempts left), best
        effort: no lock is held across its calls (docs/decisions.md, session 6 breaker)."""
        ...

    def abort(self) -> None:
        """Drop what `send` left (before `commit`). TidemillError when the backend refuses."""
        ...


def stage_file(files: Storage, uri: str, source: Path, *, sole_writer: bool = False) -> Staged:
    """Stage the upload of local file `source` (given up: moved or removed once committed) to
    `uri`. `sole_writer`: no one else writes `uri` (a batch's result: only the attempts of one
    batch, one of them live), so committing also aborts the multipart uploads other attempts
    left there (a killed worker's parts)."""
    backend = files.backend(uri) if isinstance(files, Storages) else files
    if isinstance(backend, S3Files):
        bucket, key = split_uri(uri)
        return _Multipart(backend.store, bucket, key, source, sole_writer=sole_writer)
    if isinstance(backend, HdfsFiles):
        return _HdfsTemporary(backend, uri, source, sole_writer=sole_writer)
    if isinstance(backend, LocalFiles):
        local = backend
        if not local.on_same_device(uri, source):
            return _CopiedBeside(local, uri, source)
        return _Renamed(
            ready=lambda: ready_to_adopt(source, uri),
            rename=lambda: local.adopt(uri, source, ready=True, settle=False),
            upload=lambda: files.upload(uri, source, move=True),
            settle=lambda: local.sync_directory(uri),
        )
    return _Whole(lambda: files.upload(uri, source, move=True))


def stage_object(store: Buckets, bucket: str, key: str, source: Path) -> Staged:
    """Stage the upload of local file `source` (given up) to `key` of `bucket` (through the
    account's view: its grant is checked here)."""
    if isinstance(store, GrantedS3Buckets):
        return _Multipart(store.s3_store(bucket, key), bucket, key, source)
    if isinstance(store, LocalBuckets):
        buckets = store
        return _Renamed(
            ready=lambda: ready_to_adopt(source, buckets.bucket_uri(bucket) + key),
            rename=lambda: buckets.adopt(bucket, key, source, ready=True, settle=False),
            upload=lambda: buckets.upload(bucket, key, source, move=True),
            settle=lambda: buckets.sync_directory(bucket, key),
        )
    return _Whole(lambda: store.upload(bucket, key, source, move=True))


def delete_keys(store: Buckets, bucket: str, keys: Sequence[str], lease: Lease) -> None:
    """Delete `keys` of `bucket`, each batch of them under one hold of `lease`: on S3 one
    DeleteObjects request per DELETE_BATCH keys (a takeover waits for one request, not one per
    key); elsewhere (local buckets: an unlink each) all under one hold."""
    if isinstance(store, GrantedS3Buckets):
        for start in range(0, len(keys), DELETE_BATCH):
            with lease.publishing():
                store.delete_many(bucket, keys[start : start + DELETE_BATCH])
        return
    if keys:
        with lease.publishing():
            for key in keys:
                store.delete(bucket, key)


def abort_journaled(store: Buckets, bucket: str, key: str, journal: dict[str, str]) -> None:
    """Drop the multipart upload `journal` (a `Staged.journal`) names, if any; one completed
    or aborted already is not an error."""
    upload = journal.get("upload")
    if upload and isinstance(store, GrantedS3Buckets):
        store.s3_store(bucket, key).abort_upload(bucket, key, upload)


def publish_file(files: Storage, uri: str, source: Path, lease: Lease) -> None:
    """Upload `source` (given up) to `uri`, a batch's result that only its attempts write: the
    transfer outside `lease`, the publish under it; nothing stays behind when either fails."""
    _send_then_commit(stage_file(files, uri, source, sole_writer=True), lease)


def _send_then_commit(staged: Staged, lease: Lease) -> None:
    """`staged`'s transfer outside `lease`, its commit under it; aborted when either fails."""
    try:
        staged.send()
        with lease.publishing():
            staged.commit()
    except BaseException:
        with suppress(TidemillError):  # the failure to report is the upload's or the lease's
            staged.abort()
        raise
    staged.settle()


def publish_copy(files: Storage, src: str, dst: str, lease: Lease) -> None:
    """Publish file `src` (a staged result beside `dst`, in the same bucket or file system) at
    `dst`, a batch's result that only its attempts write. On S3 the bytes are copied
    server-side into the parts of a multipart upload of `dst` outside `lease` (UploadPartCopy)
    and only the complete holds it; `src` stays (its staging area is the caller's to remove).
    Elsewhere a rename (one call: a namenode's or the kernel's) under `lease`."""
    backend = files.backend(dst) if isinstance(files, Storages) else files
    if isinstance(backend, S3Files):
        bucket, key = split_uri(dst)
        source_bucket, source = split_uri(src)
        if source_bucket == bucket:
            store = backend.store
            staged = _Multipart(store, bucket, key, sole_writer=True)
            staged.sender = lambda: store.copy_parts(bucket, key, staged.upload, source)
            _send_then_commit(staged, lease)
            return
    with lease.publishing():
        files.rename(src, dst)


def abort_pending(files: Storage, uri: str) -> int:
    """Drop every unfinished upload of `uri`: S3's multipart uploads of its key, the hidden
    directories beside it (HDFS's temporaries; Spark's staging, engines.spark.hadoop), nothing
    elsewhere; how many. For a batch's result only (its directory is the batch's), while its
    lease is held (then every such upload is a dead or stale attempt's: `publish_file`'s caller
    commits only while it holds the lease)."""
    backend = files.backend(uri) if isinstance(files, Storages) else files
    if isinstance(backend, HdfsFiles):
        return _drop_hidden(backend, uri, keep="")
    if not isinstance(backend, S3Files):
        return 0
    bucket, key = split_uri(uri)
    pending = backend.store.pending_uploads(bucket, key)
    for upload in pending:
        backend.store.abort_upload(bucket, key, upload)
    hidden = uri.rsplit("/", 1)[0] + "/" + TEMP_PREFIX
    doomed = [info.uri for info in backend.list(hidden)]
    for found in doomed:
        backend.delete(found)
    return len(pending) + len({found[len(hidden) :].split("/", 1)[0] for found in doomed})


def _nothing() -> None:
    pass


class _Whole:
    def __init__(self, upload: Callable[[], None]) -> None:
        self.journal: dict[str, str] = {}
        self._upload = upload

    def send(self) -> None:
        pass

    def commit(self) -> None:
        self._upload()

    def settle(self) -> None:
        pass

    def abort(self) -> None:
        pass


class _Renamed:
    """A local file moved into place by a rename: `send` makes it durable (`ready`), `commit`
    renames it (`rename`; False: another file system, then `upload` copies it, durably),
    `settle` syncs the directory when the rename left that to it."""

    def __init__(
        self,
        ready: Callable[[], None],
        rename: Callable[[], bool],
        upload: Callable[[], None],
        settle: Callable[[], None] = _nothing,
    ) -> None:
        self.journal: dict[str, str] = {}
        self._ready, self._rename, self._upload, self._settle = ready, rename, upload, settle
        self._renamed = False

    def send(self) -> None:
        self._ready()

    def commit(self) -> None:
        self._renamed = self._rename()
        if not self._renamed:
            self._upload()

    def settle(self) -> None:
        if self._renamed:
            self._settle()

    def abort(self) -> None:
        pass


class _CopiedBeside:
    """A local file from another file system: `send` copies it durably to a hidden name beside
    its target (outside the lease), `commit` renames that into place, `settle` syncs the
    directory; the source is given up once committed."""

    def __init__(self, files: LocalFiles, uri: str, source: Path) -> None:
        self.files, self.uri, self.source = files, uri, source
        self.journal: dict[str, str] = {}
        self.copy: Path | None = None

    def send(self) -> None:
        self.copy = self.files.copy_beside(self.uri, self.source)

    def commit(self) -> None:
        assert self.copy is not None
        if not self.files.adopt(self.uri, self.copy, ready=True, settle=False):
            raise AssertionError(f"{self.copy} is beside {self.uri}, on its file system")
        self.copy = None
        self.source.unlink(missing_ok=True)

    def settle(self) -> None:
        self.files.sync_directory(self.uri)

    def abort(self) -> None:
        if self.copy is not None:
            self.copy.unlink(missing_ok=True)


class _Multipart:
    """A multipart upload of `key`: its parts from the local file `source` (given up once
    committed), or from what `sender` answers (a server-side copy) when there is none."""

    def __init__(
        self,
        store: S3Store,
        bucket: str,
        key: str,
        source: Path | None = None,
        *,
        sole_writer: bool = False,
    ) -> None:
        self.store, self.bucket, self.key, self.source = store, bucket, key, source
        self.sole_writer = sole_writer
        self.upload = store.start_upload(bucket, key)
        self.journal = {"upload": self.upload}
        self.parts: tuple[Part, ...] = ()
        self.sender: Callable[[], tuple[Part, ...]] = self._send_file

    def _send_file(self) -> tuple[Part, ...]:
        assert self.source is not None
        return self.store.send_parts(self.bucket, self.key, self.upload, self.source)

    def send(self) -> None:
        self.parts = self.sender()

    def commit(self) -> None:
        self.store.complete_upload(self.bucket, self.key, self.upload, self.parts)
        if self.source is not None:
            self.source.unlink(missing_ok=True)

    def settle(self) -> None:
        # Only dead or stale attempts' uploads: this attempt still holds the batch, whose
        # lease its runner renews (only were it to lapse now could a new attempt's upload be
        # listed: that attempt would fail and run again, nothing wrong would be published).
        # Outside the lease's transaction: an endpoint slow to list held every writer with it.
        if self.sole_writer:
            # Best effort, as the aborts: the object is published; an endpoint that refuses the
            # listing (AccessDenied, NotImplemented) must not fail the attempt that published it.
            with suppress(TidemillError):
                others = self.store.pending_uploads(self.bucket, self.key)
                for other in others:
                    with suppress(TidemillError):
                        self.store.abort_upload(self.bucket, self.key, other)

    def abort(self) -> None:
        self.store.abort_upload(self.bucket, self.key, self.upload)


def _drop_hidden(files: HdfsFiles, uri: str, keep: str) -> int:
    """Delete the hidden directories beside `uri` but `keep`; how many. Only for a batch's
    result, whose directory only that batch's attempts write (`sole_writer`)."""
    parent = uri.rsplit("/", 1)[0] + "/"
    doomed = [d for d in files.hidden_directories(parent) if d != keep]
    for directory in doomed:
        files.delete_directory(directory)
    return len(doomed)


class _HdfsTemporary:
    def __init__(self, files: HdfsFiles, uri: str, source: Path, *, sole_writer: bool) -> None:
        self.files, self.uri, self.source = files, uri, source
        self.sole_writer = sole_writer
        parent, name = uri.rsplit("/", 1)
        self.directory = f"{parent}/{TEMP_PREFIX}{uuid.uuid4().hex}/"
        self.temporary = self.directory + (name or PurePosixPath(source).name)
        self.journal: dict[str, str] = {}

    def send(self) -> None:
        self.files.upload(self.temporary, self.source, move=True)

    def commit(self) -> None:
        self.files.rename(self.temporary, self.uri)

    def settle(self) -> None:
        with suppress(TidemillError):  # published: an empty hidden directory is harmless
            self.files.delete_directory(self.directory)
        if self.sole_writer:  # killed attempts' hidden uploads (their runner may be gone too)
            with suppress(TidemillError):  # best effort, as S3's aborts of other uploads
                _drop_hidden(self.files, self.uri, keep=self.directory)

    def abort(self) -> None:
        self.files.delete_directory(self.directory)
