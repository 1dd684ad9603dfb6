"""hdfs file exports on the run's MiniDFSCluster, read back from HDFS: every format by
compression cell of spec §8.8, fileCount, partitionBy, every saveMode (§8.9), magic variables in
the path (§8.3), a rerun replacing an earlier attempt, the temporary directory, undo."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.exporters.support import ZONE, context, make_result, normal_expected, read_rows
from tests.exporters.test_files import CELLS, CODEC_EXT
from tidemill.config import Settings
from tidemill.core.exports import validate_export
from tidemill.exporters import run_exports, undo
from tidemill.exporters.base import ExportOutcome, ExportPlan, Targets
from tidemill.storage import open_kodo
from tidemill.storage.base import AccountScope
from tidemill.storage.registry import Storages, open_storages

pytestmark = pytest.mark.hdfs


@pytest.fixture
def files(tmp_path: Path) -> Storages:
    return open_storages(Settings(data_dir=tmp_path / "data"))


@pytest.fixture
def root(hdfs_url: str) -> str:
    return f"{hdfs_url}/x-{uuid.uuid4().hex[:12]}/"


@pytest.fixture
def result(tmp_path: Path) -> Path:
    return make_result(tmp_path / "warehouse" / "1")


def export(
    files: Storages,
    result: Path,
    tmp_path: Path,
    spec: dict[str, Any],
    *,
    previous: tuple[dict[str, Any], ...] = (),
    now: datetime | None = None,
) -> ExportOutcome:
    body = {"fileCount": 1, **spec}
    validate_export({"type": "hdfs", "spec": body}, output_columns=None)
    store = open_kodo(Settings(data_dir=tmp_path / "data")).for_account(AccountScope("acme"))
    ctx = context(result, store, tmp_path / "scratch", now=now, files=files)
    [outcome] = run_exports(ctx, [ExportPlan("e", "hdfs", body, False, previous)])
    return outcome


def listing(files: Storages, base: str) -> dict[str, bytes]:
    """Every file under `base` (relative names), read back from HDFS."""
    return {i.uri.removeprefix(base): files.read(i.uri) for i in files.list(base)}


@pytest.mark.parametrize(("fmt", "codec"), CELLS, ids=[f"{f}-{c}" for f, c in CELLS])
def test_every_allowed_cell_writes_a_file_that_reads_back(
    files: Storages, root: str, result: Path, tmp_path: Path, fmt: str, codec: str
) -> None:
    spec = {"path": root + "out", "format": fmt, "compression": codec,
            "delimiter": ";", "containsHeader": True}  # fmt: skip

    outcome = export(files, result, tmp_path, spec)

    assert outcome.status == "Successful", outcome.message
    [(name, data)] = listing(files, root).items()
    extension = {"json": ".json", "csv": ".csv", "text": ".txt", "orc": ".orc"}.get(fmt, ".parquet")
    codec_ext = CODEC_EXT.get(codec, "") if fmt in ("json", "csv", "text") else ""
    assert name == f"out/part-00000{extension}{codec_ext}"
    assert read_rows(data, fmt, codec, delimiter=";") == normal_expected()


@pytest.mark.parametrize("count", [1, 3, 12])
def test_file_count_gives_exactly_that_many_files_in_row_order(
    files: Storages, root: str, result: Path, tmp_path: Path, count: int
) -> None:
    outcome = export(files, result, tmp_path, {"path": root + "o", "fileCount": count})

    written = listing(files, root)
    assert outcome.rows == 10
    assert list(written) == [f"o/part-{i:05d}.json" for i in range(count)]
    rows = [r for data in written.values() for r in read_rows(data, "json", "none")]
    assert rows == normal_expected()


def test_partition_by_writes_hive_directories_without_the_column(
    files: Storages, root: str, result: Path, tmp_path: Path
) -> None:
    spec = {"path": root + "p", "format": "parquet", "partitionBy": ["country"], "fileCount": 2}

    export(files, result, tmp_path, spec)

    written = listing(files, root)
    assert sorted(written) == [
        "p/country=CN/part-00000.parquet", "p/country=CN/part-00001.parquet",
        "p/country=US/part-00000.parquet", "p/country=US/part-00001.parquet",
    ]  # fmt: skip
    got = sorted(
        ({**row, "country": name.split("country=")[1][:2]}
         for name, data in written.items() for row in read_rows(data, "parquet", "none")),
        key=lambda r: int(r["id"]),
    )  # fmt: skip
    assert got == normal_expected()


def test_magic_variables_render_at_upload_time(
    files: Storages, root: str, result: Path, tmp_path: Path
) -> None:
    now = datetime(2027, 2, 3, 4, 5, 6, tzinfo=ZONE)

    export(files, result, tmp_path, {"path": root + "o/$(year)$(mon)$(day)-$(hour)$(min)$(sec)"},
           now=now)  # fmt: skip

    assert list(listing(files, root)) == ["o/20270203-040506/part-00000.json"]


def test_save_mode_overwrite_replaces_only_the_exports_files(
    files: Storages, root: str, result: Path, tmp_path: Path
) -> None:
    files.put(root + "o/part-00007.json", b"old")
    files.put(root + "o/readme.txt", b"user file")

    outcome = export(files, result, tmp_path, {"path": root + "o", "saveMode": "overwrite"})

    assert outcome.status == "Successful", outcome.message
    assert sorted(listing(files, root)) == ["o/part-00000.json", "o/readme.txt"]


def test_save_mode_append_adds_files_alongside(
    files: Storages, root: str, result: Path, tmp_path: Path
) -> None:
    spec = {"path": root + "o", "saveMode": "append", "fileCount": 2}
    export(files, result, tmp_path, spec)
    export(files, result, tmp_path, spec)

    written = listing(files, root)
    assert len(written) == 4
    assert sum(len(read_rows(d, "json", "none")) for d in written.values()) == 20


def test_save_mode_error_if_exists_and_ignore(
    files: Storages, root: str, result: Path, tmp_path: Path
) -> None:
    files.put(root + "o/part-00000.json", b"kept")

    failed = export(files, result, tmp_path, {"path": root + "o", "saveMode": "errorIfExists"})
    skipped = export(files, result, tmp_path, {"path": root + "o", "saveMode": "ignore"})

    assert failed.status == "Failed"
    assert "already has 1 file(s)" in failed.message and "errorIfExists" in failed.message
    assert skipped.status == "Skipped" and not skipped.failed
    assert listing(files, root) == {"o/part-00000.json": b"kept"}


def test_a_rerun_replaces_what_the_earlier_attempt_wrote(
    files: Storages, root: str, result: Path, tmp_path: Path
) -> None:
    spec = {"path": root + "o/$(hour)", "saveMode": "append", "fileCount": 2}
    first = export(files, result, tmp_path, spec)
    later = datetime(2026, 11, 24, 8, 0, 0, tzinfo=ZONE)

    second = export(files, result, tmp_path, spec, previous=(first.written,), now=later)

    assert first.status == second.status == "Successful"
    assert sorted(f.uri for f in files.list(root)) == sorted(second.written["uris"])
    assert set(first.written["uris"]).isdisjoint(second.written["uris"])
    assert all(u.startswith(root + "o/08/") for u in second.written["uris"])


def test_no_temporary_file_is_left_or_listed_and_undo_removes_the_export(
    files: Storages, root: str, result: Path, tmp_path: Path
) -> None:
    outcome = export(files, result, tmp_path, {"path": root + "o", "fileCount": 3})
    temporary = str(outcome.written["temporary"])
    assert temporary.startswith(root + ".tidemill-tmp.")
    assert not files.exists(temporary + "new/part-00000.json")
    # A writer's temporary directory is never shown to a reader of the directory above it.
    files.put(temporary + "new/part-00009.json", b"half")  # as if its clean-up failed
    assert sorted(listing(files, root)) == [f"o/part-0000{i}.json" for i in range(3)]

    store = open_kodo(Settings(data_dir=tmp_path / "data")).for_account(AccountScope("acme"))
    assert undo(Targets(), store, files, "hdfs", outcome.written)

    assert listing(files, root) == {}
    assert not files.exists(temporary + "new/part-00009.json")


def test_the_accounts_roots_are_checked_again_at_the_write(
    files: Storages, root: str, result: Path, tmp_path: Path
) -> None:
    """An export made before TIDEMILL_HDFS__ROOTS was set writes nothing outside the account's
    root: the exporter checks the rendered path itself (core.hdfs_roots)."""
    store = open_kodo(Settings(data_dir=tmp_path / "data")).for_account(AccountScope("acme"))
    base = context(result, store, tmp_path / "scratch", files=files)
    ctx = replace(base, tenant="acme", hdfs_roots=(root + "{account}/",))

    def run(path: str) -> ExportOutcome:
        body = {"fileCount": 1, "path": path, "format": "json"}
        validate_export({"type": "hdfs", "spec": body}, output_columns=None)
        [outcome] = run_exports(ctx, [ExportPlan("e", "hdfs", body, False, ())])
        return outcome

    for outside in [root + "other/out", root + "acmex/out", root + "ac$(year)/out"]:
        outcome = run(outside)
        assert outcome.status == "Failed" and "TIDEMILL_HDFS__ROOTS" in outcome.message
    assert listing(files, root) == {}  # nothing written

    outcome = run(root + "acme/out/$(year)")
    assert outcome.status == "Successful", outcome.message
    assert list(listing(files, root)) == ["acme/out/2026/part-00000.json"]
