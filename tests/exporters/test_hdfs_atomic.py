"""hdfs exports are directory-atomic (issue 12 §HDFS 4, exporters.hdfs_files): on the run's
MiniDFSCluster, a reader of the target never sees part of an export, an attempt that fails or
is killed at any step leaves the target as it was (after the journal's undo), a rerun replaces
the earlier attempt, and every saveMode, partitionBy and fileCount keep their meaning.

Failures are injected at the storage seam: `Faulty` is the real `Storages` whose file renames
(the moves of the swap) first run a hook, which may raise."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.exporters.support import context, make_result, read_rows
from tidemill.config import Settings
from tidemill.core.exports import validate_export
from tidemill.errors import BackendError, Failure
from tidemill.exporters import run_exports, undo
from tidemill.exporters.base import ExportOutcome, ExportPlan, Targets
from tidemill.storage import open_kodo
from tidemill.storage.base import AccountScope
from tidemill.storage.hdfs import HdfsFiles
from tidemill.storage.registry import Storages, open_storages

pytestmark = pytest.mark.hdfs


class Killed(BaseException):
    """The worker died: not a TidemillError, so the exporter cannot clean up after itself."""


class Faulty(Storages):
    """The real storages; `hook(src, dst)` runs before each file rename, `uploading(uri)`
    before each upload."""

    def __init__(self, real: Storages) -> None:
        super().__init__(real.backends)
        self.hook: Callable[[str, str], None] = lambda src, dst: None
        self.uploading: Callable[[str], None] = lambda uri: None

    def upload(self, uri: str, source: Path, *, move: bool = False) -> None:
        self.uploading(uri)
        super().upload(uri, source, move=move)

    def rename(self, src: str, dst: str) -> None:
        self.hook(src, dst)
        super().rename(src, dst)


class Journal:
    """A Fence that keeps what the attempt noted last (the runner's journal, in memory)."""

    def __init__(self) -> None:
        self.written: dict[str, Any] = {}

    def note(self, export: str, type_: str, written: Mapping[str, Any]) -> None:
        self.written = dict(written)

    @contextmanager
    def _held(self) -> Iterator[None]:
        yield

    def publishing(self) -> Any:
        return self._held()

    def check(self) -> None:
        return None


@pytest.fixture
def files(tmp_path: Path) -> Faulty:
    return Faulty(open_storages(Settings(data_dir=tmp_path / "data")))


@pytest.fixture
def root(hdfs_url: str) -> str:
    return f"{hdfs_url}/a-{uuid.uuid4().hex[:12]}/"


@pytest.fixture
def result(tmp_path: Path) -> Path:
    return make_result(tmp_path / "warehouse" / "1")


def run(
    files: Storages,
    result: Path,
    tmp_path: Path,
    spec: dict[str, Any],
    journal: Journal | None = None,
    previous: tuple[dict[str, Any], ...] = (),
) -> ExportOutcome:
    body = {"fileCount": 1, **spec}
    validate_export({"type": "hdfs", "spec": body}, output_columns=None)
    store = open_kodo(Settings(data_dir=tmp_path / "data")).for_account(AccountScope("acme"))
    ctx = replace(
        context(result, store, tmp_path / "scratch", files=files), fence=journal or Journal()
    )
    [outcome] = run_exports(ctx, [ExportPlan("e", "hdfs", body, False, previous)])
    return outcome


def listing(files: Storages, base: str) -> dict[str, bytes]:
    return {i.uri.removeprefix(base): files.read(i.uri) for i in files.list(base)}


def hidden(files: Storages, root: str) -> list[str]:
    """Work directories left beside the targets (no listing shows them)."""
    hdfs = files.backend(root)
    assert isinstance(hdfs, HdfsFiles)
    namenode, path = root.split("/", 3)[2], root.split("/", 3)[3]
    from tidemill.storage.hdfs_calls import CALLS

    async def names() -> list[str]:
        client = hdfs._client(root, f"hdfs://{namenode}")
        return [s.path async for s in client.list_status("/" + path.rstrip("/"), False)]

    return [n for n in CALLS.run(names(), 10) if ".tidemill-tmp." in n]


def undo_journal(files: Storages, tmp_path: Path, journal: Journal) -> None:
    store = open_kodo(Settings(data_dir=tmp_path / "data")).for_account(AccountScope("acme"))
    assert undo(Targets(), store, files, "hdfs", journal.written)


def earlier(files: Storages, out: str) -> dict[str, bytes]:
    """A target holding an earlier export's part files and a file of the user's."""
    files.put(out + "part-00000.json", b'{"old":0}\n')
    files.put(out + "part-00001.json", b'{"old":1}\n')
    files.put(out + "readme.txt", b"user file")
    return {"part-00000.json": b'{"old":0}\n', "part-00001.json": b'{"old":1}\n',
            "readme.txt": b"user file"}  # fmt: skip


@pytest.mark.parametrize("mode", ["overwrite", "append"])
def test_a_reader_sees_the_old_directory_none_or_the_new_one(
    files: Faulty, root: str, result: Path, tmp_path: Path, mode: str
) -> None:
    out = root + "o/"
    before = earlier(files, out)
    seen: list[dict[str, bytes]] = []
    files.hook = lambda src, dst: seen.append(listing(files, out))

    outcome = run(files, result, tmp_path, {"path": out, "fileCount": 3, "saveMode": mode})

    assert outcome.status == "Successful", outcome.message
    after = listing(files, out)
    assert seen, "the swap moved files"
    assert all(view in (before, {}, after) for view in seen), seen
    assert after["readme.txt"] == b"user file"
    new = [str(u).removeprefix(out) for u in outcome.written["uris"]]
    assert len(new) == 3 and all(after[n] != before.get(n) for n in new)
    kept = {"overwrite": ["readme.txt"], "append": sorted(before)}[mode]
    assert sorted(set(after) - set(new)) == kept
    assert all(after[n] == before[n] for n in kept)
    rows = [r for n in new for r in read_rows(after[n], "json", "none")]
    assert len(rows) == 10
    assert hidden(files, root) == []


@pytest.mark.parametrize("kill_at", [1, 2, 3, 5])
def test_an_attempt_killed_at_any_move_shows_no_new_file_and_undo_puts_the_target_back(
    files: Faulty, root: str, result: Path, tmp_path: Path, kill_at: int
) -> None:
    """Overwrite of a directory holding two old part files and a user file with three new
    ones: moves 1-2 take the old parts out, 3-5 bring the new in; killed before move N."""
    out = root + "o/"
    before = earlier(files, out)
    moves = iter(range(1, 100))

    def kill(src: str, dst: str) -> None:
        if next(moves) == kill_at:
            raise Killed

    files.hook = kill
    journal = Journal()
    with pytest.raises(Killed):
        run(files, result, tmp_path, {"path": out, "fileCount": 3}, journal)

    assert journal.written["phase"] == "committing"
    assert set(listing(files, out)) <= set(before)  # aside for now, but no new file shown
    files.hook = lambda src, dst: None
    undo_journal(files, tmp_path, journal)
    assert listing(files, out) == before
    assert hidden(files, root) == []


def test_an_attempt_killed_while_uploading_leaves_the_target_untouched(
    files: Faulty, root: str, result: Path, tmp_path: Path
) -> None:
    out = root + "o/"
    before = earlier(files, out)
    journal = Journal()
    uploads = iter(range(100))

    def dying(uri: str) -> None:
        if next(uploads) == 2:  # the third upload (they run outside the lease)
            raise Killed

    files.uploading = dying
    with pytest.raises(Killed):
        run(files, result, tmp_path, {"path": out, "fileCount": 3}, journal)

    assert journal.written["phase"] == "staging"
    assert listing(files, out) == before
    assert len(hidden(files, root)) == 1  # the work directory, with two files: nobody sees it
    undo_journal(files, tmp_path, journal)
    assert listing(files, out) == before
    assert hidden(files, root) == []


@pytest.mark.parametrize("target_exists", [True, False])
def test_a_failed_swap_rolls_back_itself(
    files: Faulty, root: str, result: Path, tmp_path: Path, target_exists: bool
) -> None:
    out = root + "o/"
    before = earlier(files, out) if target_exists else {}
    spec = {"path": out, "fileCount": 2, "partitionBy": ["country"], "format": "parquet"}

    def fail(src: str, dst: str) -> None:
        if "/new/" in src:
            raise BackendError(Failure.INTERNAL, "HDFS rename failed: injected")

    files.hook = fail
    outcome = run(files, result, tmp_path, spec)

    if target_exists:  # the swap moves files: the injected failure hits and is undone
        assert outcome.status == "Failed" and "injected" in outcome.message
    else:  # one directory rename, no file moved: nothing to fail
        assert outcome.status == "Successful", outcome.message
        before = {n: d for n, d in listing(files, out).items()}
        assert sorted(before) == [f"country={c}/part-0000{i}.parquet" for c in ("CN", "US")
                                  for i in (0, 1)]  # fmt: skip
    assert listing(files, out) == before
    assert hidden(files, root) == []


def test_another_writer_making_the_target_meanwhile_keeps_every_file(
    files: Faulty, root: str, result: Path, tmp_path: Path
) -> None:
    """The target is aside when another writer makes it anew: the swap cannot rename back, and
    its undo merges the old files into the new directory instead of stranding them."""
    out = root + "o/"
    before = earlier(files, out)
    files.hook = lambda src, dst: (
        files.put(out + "theirs.txt", b"x") if not files.exists(out + "theirs.txt") else None
    )

    outcome = run(files, result, tmp_path, {"path": out, "fileCount": 2})

    assert outcome.status == "Failed", outcome.message
    assert listing(files, out) == {**before, "theirs.txt": b"x"}
    assert hidden(files, root) == []


def test_a_rerun_in_the_same_directory_replaces_the_earlier_attempt_and_keeps_user_files(
    files: Faulty, root: str, result: Path, tmp_path: Path
) -> None:
    out = root + "o/"
    files.put(out + "readme.txt", b"user file")
    spec = {"path": out, "saveMode": "append", "fileCount": 2}
    first = run(files, result, tmp_path, spec)
    files.put(out + "part-00000-0000beef.json", b'{"appended":1}\n')  # another batch's

    second = run(files, result, tmp_path, spec, previous=(first.written,))

    assert first.status == second.status == "Successful", second.message
    names = sorted(listing(files, out))
    assert names == sorted(
        ["readme.txt", "part-00000-0000beef.json",
         *(u.removeprefix(out) for u in second.written["uris"])]
    )  # fmt: skip
    assert set(first.written["uris"]).isdisjoint(second.written["uris"])


def test_overwrite_with_partition_by_replaces_the_old_partitions(
    files: Faulty, root: str, result: Path, tmp_path: Path
) -> None:
    out = root + "p/"
    files.put(out + "country=FR/part-00000.parquet", b"old")
    files.put(out + "country=FR/notes.txt", b"user")
    spec = {"path": out, "format": "parquet", "partitionBy": ["country"], "fileCount": 2}

    outcome = run(files, result, tmp_path, spec)

    assert outcome.status == "Successful", outcome.message
    assert sorted(listing(files, out)) == [
        "country=CN/part-00000.parquet", "country=CN/part-00001.parquet",
        "country=FR/notes.txt",
        "country=US/part-00000.parquet", "country=US/part-00001.parquet",
    ]  # fmt: skip


def test_a_target_that_is_the_accounts_root_is_written_file_by_file(
    files: Faulty, root: str, result: Path, tmp_path: Path
) -> None:
    """No work directory may go beside an account's root: the files are renamed into place
    one by one from a temporary directory inside it (atomic per file)."""
    store = open_kodo(Settings(data_dir=tmp_path / "data")).for_account(AccountScope("acme"))
    ctx = replace(context(result, store, tmp_path / "scratch", files=files), tenant="acme",
                  hdfs_roots=(root + "{account}/",))  # fmt: skip
    files.put(root + "acme/part-00005.json", b"old")
    body = {"fileCount": 2, "path": root + "acme"}
    validate_export({"type": "hdfs", "spec": body}, output_columns=None)

    [outcome] = run_exports(ctx, [ExportPlan("e", "hdfs", body, False, ())])

    assert outcome.status == "Successful", outcome.message
    assert str(outcome.written["temporary"]).startswith(root + "acme/.tidemill-tmp.")
    assert sorted(listing(files, root)) == ["acme/part-00000.json", "acme/part-00001.json"]
    assert hidden(files, root) == []
