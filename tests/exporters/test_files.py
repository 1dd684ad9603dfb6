"""kodo file exports against a local bucket and a real S3 server (SeaweedFS): every format by
compression cell of spec §8.8, saveMode (§8.9), partitionBy, fileCount, naming (§8.2, D-21)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.exporters.support import (
    ZONE,
    context,
    make_result,
    normal_expected,
    read_rows,
)
from tidemill.config import S3Settings, Settings
from tidemill.core.export_files import COMPRESSIONS
from tidemill.core.exports import validate_export
from tidemill.errors import InvalidInputError
from tidemill.exporters import run_exports
from tidemill.exporters.base import ExportPlan
from tidemill.storage import open_kodo
from tidemill.storage.base import AccountScope, Buckets

ACME = AccountScope("acme", frozenset({"outb"}))  # the bucket every test writes

CELLS = [(fmt, codec) for fmt, codecs in COMPRESSIONS.items() for codec in sorted(codecs)]
CODEC_EXT = {
    "bzip2": ".bz2",
    "gzip": ".gz",
    "lz4": ".lz4",
    "snappy": ".snappy",
    "deflate": ".deflate",
}
EVERY_CODEC = ("none", "bzip2", "gzip", "lz4", "snappy", "deflate", "zlib", "lzo", "zstd")


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Buckets]:
    if request.param == "local":
        yield open_kodo(Settings(data_dir=tmp_path / "data")).for_account(ACME)
        return
    s3: S3Settings = request.getfixturevalue("s3_settings")
    yield open_kodo(Settings(data_dir=tmp_path / "data", s3=s3)).for_account(ACME)


@pytest.fixture
def result(tmp_path: Path) -> Path:
    return make_result(tmp_path / "warehouse" / "1")


def export(
    store: Buckets,
    result: Path,
    tmp_path: Path,
    spec: dict[str, Any],
    *,
    manual: bool = False,
    previous: tuple[dict[str, Any], ...] = (),
    now: datetime | None = None,
    attempt: int = 0,
):
    body = {"bucket": "outb", "fileCount": 1, **spec}
    validate_export({"type": "kodo", "spec": body}, output_columns=None)
    ctx = context(result, store, tmp_path / "scratch", now=now, attempt=attempt)
    [outcome] = run_exports(ctx, [ExportPlan("e", "kodo", body, manual, previous)])
    return outcome


def listing(store: Buckets, prefix: str = "") -> dict[str, bytes]:
    return {o.key: store.read("outb", o.key) for o in store.list("outb", prefix)}


@pytest.mark.parametrize(("fmt", "codec"), CELLS, ids=[f"{f}-{c}" for f, c in CELLS])
def test_every_allowed_cell_writes_a_file_that_reads_back(store, result, tmp_path, fmt, codec):
    spec = {
        "keyPrefix": "out/",
        "format": fmt,
        "compression": codec,
        "delimiter": ";",
        "containsHeader": True,
    }

    outcome = export(store, result, tmp_path, spec)

    assert outcome.status == "Successful", outcome.message
    [(key, data)] = listing(store).items()
    extension = {"json": ".json", "csv": ".csv", "text": ".txt", "orc": ".orc"}.get(fmt, ".parquet")
    codec_ext = CODEC_EXT.get(codec, "") if fmt in ("json", "csv", "text") else ""
    assert key == f"out/2026-11-23-12-30-05/part-00000{extension}{codec_ext}"
    assert read_rows(data, fmt, codec, delimiter=";") == normal_expected()


@pytest.mark.parametrize(
    ("fmt", "codec"),
    [(f, c) for f, c in itertools.product(COMPRESSIONS, EVERY_CODEC) if c not in COMPRESSIONS[f]],
)
def test_every_disallowed_cell_is_refused_at_create(fmt, codec) -> None:
    spec = {
        "bucket": "outb",
        "fileCount": 1,
        "format": fmt,
        "compression": codec,
        "delimiter": ",",
        "containsHeader": False,
    }

    with pytest.raises(InvalidInputError) as refused:
        validate_export({"type": "kodo", "spec": spec}, output_columns=None)

    assert refused.value.message.startswith("spec.compression")


def test_columnar_compression_is_inside_the_file(store, result, tmp_path) -> None:
    import pyarrow.orc as orc
    import pyarrow.parquet as pq

    export(store, result, tmp_path, {"keyPrefix": "p/", "format": "parquet", "compression": "gzip"})
    export(store, result, tmp_path, {"keyPrefix": "o/", "format": "orc", "compression": "zlib"})

    [(_, parquet)] = listing(store, "p/").items()
    [(_, orc_data)] = listing(store, "o/").items()
    import io

    assert pq.ParquetFile(io.BytesIO(parquet)).metadata.row_group(0).column(0).compression == "GZIP"
    assert orc.ORCFile(io.BytesIO(orc_data)).compression == "ZLIB"


@pytest.mark.parametrize("count", [1, 3, 12])
def test_file_count_gives_exactly_that_many_files_in_row_order(store, result, tmp_path, count):
    outcome = export(store, result, tmp_path, {"keyPrefix": "out/$(year)/", "fileCount": count})

    files = listing(store)
    assert outcome.rows == 10
    assert list(files) == [f"out/2026/part-{i:05d}.json" for i in range(count)]
    rows = [r for data in files.values() for r in read_rows(data, "json", "none")]
    assert rows == normal_expected()


def test_partition_by_writes_hive_directories_without_the_column(store, result, tmp_path):
    spec = {
        "keyPrefix": "out/$(day)/",
        "format": "csv",
        "delimiter": ",",
        "containsHeader": False,
        "partitionBy": ["country"],
        "fileCount": 2,
    }

    export(store, result, tmp_path, spec)

    files = listing(store)
    assert sorted(files) == [
        "out/23/country=CN/part-00000.csv",
        "out/23/country=CN/part-00001.csv",
        "out/23/country=US/part-00000.csv",
        "out/23/country=US/part-00001.csv",
    ]
    names = ["id", "name", "t", "score", "ok"]
    for key, data in files.items():
        country = key.split("country=")[1][:2]
        got = read_rows(data, "csv", "none", header=False, columns=names)
        wanted = [
            {k: v for k, v in r.items() if k != "country"}
            for r in normal_expected()
            if r["country"] == country
        ]
        assert all(row in wanted for row in got)
    total = sum(
        len(read_rows(d, "csv", "none", header=False, columns=names)) for d in files.values()
    )
    assert total == 10


def test_manual_single_file_is_named_by_the_key_prefix(store, result, tmp_path) -> None:
    export(store, result, tmp_path, {"keyPrefix": "daily/report.json"}, manual=True)

    assert list(listing(store)) == ["daily/report.json"]


def test_manual_job_with_several_files_uses_the_prefix_as_directory(store, result, tmp_path):
    export(store, result, tmp_path, {"keyPrefix": "daily", "fileCount": 2}, manual=True)

    assert list(listing(store)) == ["daily/part-00000.json", "daily/part-00001.json"]


def test_magic_variables_render_at_upload_time_without_a_timestamp(store, result, tmp_path):
    now = datetime(2027, 2, 3, 4, 5, 6, tzinfo=ZONE)

    export(
        store, result, tmp_path, {"keyPrefix": "o/$(year)$(mon)$(day)-$(hour)$(min)$(sec)"}, now=now
    )

    assert list(listing(store)) == ["o/20270203-040506/part-00000.json"]


def write_twice(store, result, tmp_path, mode: str):
    first = export(
        store, result, tmp_path, {"keyPrefix": "o/x.json", "saveMode": mode}, manual=True
    )
    store.write("outb", "o/x.json.note", b"not ours")
    return first, export(
        store, result, tmp_path, {"keyPrefix": "o/x.json", "saveMode": mode}, manual=True
    )


def test_save_mode_overwrite_replaces_the_files(store, result, tmp_path) -> None:
    store.create_bucket("outb")
    store.write("outb", "o/part-00007.json", b"old")
    store.write("outb", "o/readme.txt", b"user file")

    outcome = export(
        store, result, tmp_path, {"keyPrefix": "o/", "saveMode": "overwrite"}, manual=True, now=None
    )

    assert outcome.status == "Successful"
    assert sorted(listing(store)) == ["o/part-00000.json", "o/readme.txt"]


def test_save_mode_append_adds_files_alongside(store, result, tmp_path) -> None:
    spec = {"keyPrefix": "o/", "saveMode": "append", "fileCount": 2}
    export(store, result, tmp_path, spec, manual=True)

    export(store, result, tmp_path, spec, manual=True)

    files = listing(store)
    assert len(files) == 4
    assert all(k.startswith("o/part-0000") and k.endswith(".json") for k in files)
    assert sum(len(read_rows(d, "json", "none")) for d in files.values()) == 20


def test_save_mode_error_if_exists_fails_when_files_exist(store, result, tmp_path) -> None:
    first, second = write_twice(store, result, tmp_path, "errorIfExists")

    assert first.status == "Successful"
    assert second.status == "Failed"
    assert "already has 1 file(s), e.g. o/x.json, and saveMode is errorIfExists" in second.message


def test_save_mode_ignore_skips_and_succeeds(store, result, tmp_path) -> None:
    store.create_bucket("outb")
    store.write("outb", "o/x.json", b"kept")

    outcome = export(
        store, result, tmp_path, {"keyPrefix": "o/x.json", "saveMode": "ignore"}, manual=True
    )

    assert outcome.status == "Skipped" and not outcome.failed
    assert store.read("outb", "o/x.json") == b"kept"


def test_rerun_replaces_the_previous_attempts_files(store, result, tmp_path) -> None:
    spec = {"keyPrefix": "o/", "saveMode": "append", "fileCount": 2}
    first = export(store, result, tmp_path, spec)
    later = datetime(2026, 11, 24, 8, 0, 0, tzinfo=ZONE)

    second = export(store, result, tmp_path, spec, previous=(first.written,), now=later, attempt=1)

    assert set(listing(store)) == set(second.written["keys"])
    assert set(first.written["keys"]).isdisjoint(second.written["keys"])
    assert all(k.startswith("o/2026-11-24-08-00-00/") for k in second.written["keys"])
