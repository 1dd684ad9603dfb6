"""A local result's or export file's fsyncs — the file's before the batch's lease is taken, its
directory's after — never run while the lease's transaction holds SQLite's write lock
(docs/decisions.md, "groupby (session 6)"). Real SQLite metadata and lease (`LeaseFence`),
real files; `os.fsync` is wrapped (the OS seam) to see, at each call, whether another writer
could take the write lock then."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tidemill.config import Settings
from tidemill.core.batches import Batch, BatchStatus
from tidemill.runner.fence import LeaseFence, LeaseLostError
from tidemill.runtime import Runtime, build_runtime
from tidemill.storage.base import AccountScope
from tidemill.storage.local import FILE_MODE, LocalFiles, file_uri
from tidemill.storage.local_buckets import LocalKodo
from tidemill.storage.staging import publish_file, stage_object
from tidemill.store import accounts
from tidemill.store import batches as store
from tidemill.store.export_outcomes import BatchKey

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
OWNER = "node-a"


@pytest.fixture
def rt(tmp_path: Path) -> Runtime:
    runtime = build_runtime(Settings(data_dir=tmp_path / "data"))
    with runtime.db.begin() as conn:
        assert accounts.ensure_account(conn, "default", NOW) == 1
        store.insert_batch(conn, 1, Batch("j", 1, NOW, BatchStatus.READY, {}, uid="u1"), NOW)
        assert store.move(
            conn, 1, "j", 1, [BatchStatus.READY], status=BatchStatus.RUNNING, owner=OWNER
        )
    return runtime


def fence(rt: Runtime) -> LeaseFence:
    return LeaseFence(rt.db, BatchKey("u1", 1, "j", 1), OWNER, 0)


@pytest.fixture
def syncs(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, bool]]]:
    """For each fsync, of a "file" or a "directory": could another writer take SQLite's write
    lock then."""
    seen: list[tuple[str, bool]] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        kind = "directory" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        other = sqlite3.connect(str(rt.db.url.database), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen.append((kind, True))
        except sqlite3.OperationalError:  # database is locked: inside the lease
            seen.append((kind, False))
        finally:
            other.close()
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    yield seen


def staged(directory: Path, data: bytes = b"PAR1 result") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "result.parquet"
    path.write_bytes(data)
    path.chmod(0o600)  # as DuckDB or mkstemp leave it
    return path


def test_a_local_result_is_synced_before_the_lease_and_published_whole(
    rt: Runtime, syncs: list[tuple[str, bool]], tmp_path: Path
) -> None:
    target = tmp_path / "warehouse" / "1" / "j" / "1" / "result.parquet"
    source = staged(tmp_path / "scratch")

    publish_file(LocalFiles(), file_uri(target), source, fence(rt))

    # the file synced once, then its directory, both with the database free for other writers
    assert syncs == [("file", True), ("directory", True)]
    assert target.read_bytes() == b"PAR1 result" and not source.exists()
    assert stat.S_IMODE(target.stat().st_mode) == FILE_MODE


def test_a_stale_attempt_syncs_its_file_but_publishes_nothing(rt: Runtime, tmp_path: Path) -> None:
    target = tmp_path / "warehouse" / "result.parquet"
    publish_file(LocalFiles(), file_uri(target), staged(tmp_path / "a", b"PAR1 first"), fence(rt))
    with rt.db.begin() as conn:
        assert store.move(conn, 1, "j", 1, [BatchStatus.RUNNING], rerun_count=1)

    with pytest.raises(LeaseLostError):
        publish_file(LocalFiles(), file_uri(target), staged(tmp_path / "b"), fence(rt))

    assert target.read_bytes() == b"PAR1 first"


def test_an_export_file_is_synced_before_the_lease_and_its_directory_after(
    rt: Runtime, syncs: list[tuple[str, bool]], tmp_path: Path
) -> None:
    buckets = LocalKodo(tmp_path / "kodo").for_account(AccountScope("default"))
    buckets.create_bucket("out")
    upload = stage_object(buckets, "out", "o/part-0.parquet", staged(tmp_path / "stage"))
    lease = fence(rt)

    upload.send()
    with lease.publishing():
        upload.commit()
    upload.settle()

    assert syncs == [("file", True), ("directory", True)]
    assert buckets.read("out", "o/part-0.parquet") == b"PAR1 result"


def test_a_result_from_another_file_system_is_copied_beside_its_target_before_the_lease(
    rt: Runtime, tmp_path: Path
) -> None:
    """Scratch on tmpfs, the warehouse on the test's disk: the result is copied, durably, to a
    hidden name beside its target before the lease is taken; under it only a rename."""
    import shutil
    import tempfile

    if not Path("/dev/shm").is_dir() or os.stat("/dev/shm").st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another file system than the test's directory")
    scratch = Path(tempfile.mkdtemp(dir="/dev/shm"))
    try:
        source = scratch / "result.parquet"
        data = b"PAR1" + os.urandom(300_000)
        source.write_bytes(data)
        run = tmp_path / "wh" / "1" / "j" / "1"
        seen: list[list[int]] = []

        @contextmanager
        def hold() -> Iterator[None]:
            """The batch's real lease, noting the sizes of the hidden files beside the target."""
            with fence(rt).publishing():
                hidden = sorted(run.glob(".*")) if run.is_dir() else []
                seen.append([p.stat().st_size for p in hidden])
                yield

        class Watched:
            def publishing(self) -> AbstractContextManager[None]:
                return hold()

        publish_file(LocalFiles(), file_uri(run / "result.parquet"), source, Watched())

        assert seen == [[len(data)]]  # the whole copy was there before the hold began
        assert (run / "result.parquet").read_bytes() == data
        assert os.listdir(run) == ["result.parquet"]  # no hidden copy left
        assert not source.exists()  # given up
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
